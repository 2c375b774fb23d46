"""Facts as text: the lines the model reads, and sentences written by code.

``facts_lines`` is what the model is given (English bullet lines; the model writes in the job's
language). ``template_sentences`` is the deterministic summary used when the model's prose does
not survive the check or no model is used; ``coverage_sentences`` add what the prose must name
(the busiest devices, the failures) when the model left it out. English and German are written
here; other languages get English sentences.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from hub.summaries.facts import Counts, Facts, Notable

LANGUAGES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "nl": "Dutch", "pt": "Portuguese", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "ko": "Korean", "ja": "Japanese", "zh": "Chinese",
}  # fmt: skip
TOP_DEVICES = 3


def language_name(code: str) -> str:
    return LANGUAGES.get(code.split("-")[0].lower(), code)


def window_text(facts: Facts, tz: tzinfo) -> str:
    start = datetime.fromtimestamp(facts.since, tz)
    end = datetime.fromtimestamp(facts.until, tz)
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({tz})"


def _pairs(counts: Counts, facts: Facts, limit: int = 8) -> str:
    return ", ".join(f"{facts.name_of(k)} {n}" for k, n in counts[:limit])


def facts_lines(facts: Facts) -> list[str]:
    """The facts as short English lines, only those that are not empty."""
    out = _event_lines(facts) if facts.read_events else []
    if facts.messages:
        out.append(f"recorded MQTT messages: {facts.messages}")
    for log in facts.logs:
        if log.problem:
            out.append(f"log {_log_name(log.name)}: could not be read ({log.problem})")
            continue
        line = f"log {_log_name(log.name)}: {log.lines} lines, {log.errors} errors, "
        line += f"{log.warnings} warnings"
        if log.top_errors:
            line += f"; most frequent error: {log.top_errors[0][0]} ({log.top_errors[0][1]})"
        out.append(line)
    return out


def _log_name(name: str) -> str:
    return name.removeprefix("file:")


def _event_lines(facts: Facts) -> list[str]:
    out = [f"requests: {facts.requests}"]
    if facts.requests:
        out.append(f"requests by source: {_pairs(facts.requests_by_source, facts)}")
        out.append(f"requests by tier: {_pairs(facts.requests_by_tier, facts)}")
        out.append(f"request outcomes: {_pairs(facts.outcomes, facts)}")
    out.append(f"device actions: {facts.actions}")
    if facts.actions:
        out.append(f"busiest devices (actions): {_pairs(facts.actions_by_device, facts, 5)}")
    if facts.failed_actions:
        out.append(
            f"failed device actions: {facts.failed_actions} "
            f"({_pairs(facts.failed_by_device, facts, 5)})"
        )
    out.append(f"errors: {facts.errors}")
    if facts.errors:
        out.append(f"errors by code: {_pairs(facts.errors_by_code, facts, 5)}")
    if facts.rejected:
        out.append(f"rejected requests: {facts.rejected}")
    if facts.unrecognized:
        top = "; ".join(f'"{t}" {n}' for t, n in facts.unrecognized_top[:5])
        out.append(f"requests not understood: {facts.unrecognized} (most often: {top})")
    if facts.offline_devices:
        out.append(f"devices that went offline: {_pairs(facts.offline_devices, facts, 5)}")
        if facts.still_offline:
            names = ", ".join(facts.name_of(e) for e in facts.still_offline[:5])
            more = len(facts.still_offline) - 5
            out.append(
                f"still offline at the end: {names}" + (f" and {more} more" if more > 0 else "")
            )
    lat = facts.latency
    if lat.count and lat.p50 is not None and lat.p95 is not None:
        out.append(f"request latency: median {lat.p50:.0f} ms, p95 {lat.p95:.0f} ms")
    return out


def notable_lines(notables: list[Notable], tz: tzinfo) -> list[str]:
    return [
        f"{datetime.fromtimestamp(n.ts, tz):%H:%M} {n.kind}: {n.text}"
        if n.ts
        else f"{n.kind}: {n.text}"
        for n in notables
    ]


# -- sentences written by code --------------------------------------------------------------

_EN = {
    "requests": "The hub handled {n} requests and sent {a} device actions.",
    "busiest": "The busiest devices were {list}.",
    "failed": "{n} device actions failed: {list}.",
    "errors": "There were {n} errors ({list}).",
    "no_errors": "There were no errors and no failed actions.",
    "offline": "Devices that went offline: {list}.",
    "unrecognized": "{n} requests were not understood.",
    "latency": "Requests took {p50:.0f} ms at the median and {p95:.0f} ms at p95.",
    "logs": "The log {name} had {lines} lines with {errors} errors.",
    "nothing": "Nothing was recorded in this period.",
    "log_problem": "The log {name} could not be read ({problem}).",
}
_DE = {
    "requests": "Der Hub hat {n} Anfragen bearbeitet und {a} Gerätebefehle gesendet.",
    "busiest": "Am meisten genutzt wurden {list}.",
    "failed": "{n} Gerätebefehle schlugen fehl: {list}.",
    "errors": "Es gab {n} Fehler ({list}).",
    "no_errors": "Es gab keine Fehler und keine fehlgeschlagenen Befehle.",
    "offline": "Offline gegangen sind: {list}.",
    "unrecognized": "{n} Anfragen wurden nicht verstanden.",
    "latency": "Anfragen dauerten im Median {p50:.0f} ms, p95 {p95:.0f} ms.",
    "logs": "Das Log {name} hatte {lines} Zeilen mit {errors} Fehlern.",
    "nothing": "In diesem Zeitraum wurde nichts aufgezeichnet.",
    "log_problem": "Das Log {name} konnte nicht gelesen werden ({problem}).",
}
TEMPLATES = {"en": _EN, "de": _DE}


def _words(language: str) -> dict[str, str]:
    return TEMPLATES.get(language.split("-")[0].lower(), _EN)


def _listed(counts: Counts, facts: Facts, limit: int) -> str:
    return ", ".join(f"{facts.name_of(k)} ({n})" for k, n in counts[:limit])


def busiest_sentence(facts: Facts, language: str) -> str:
    return _words(language)["busiest"].format(
        list=_listed(facts.actions_by_device, facts, TOP_DEVICES)
    )


def failures_sentence(facts: Facts, language: str) -> str:
    w = _words(language)
    parts = []
    if facts.failed_actions:
        parts.append(
            w["failed"].format(
                n=facts.failed_actions, list=_listed(facts.failed_by_device, facts, 5)
            )
        )
    if facts.errors:
        parts.append(
            w["errors"].format(n=facts.errors, list=_listed(facts.errors_by_code, facts, 5))
        )
    return " ".join(parts)


def offline_sentence(facts: Facts, language: str) -> str:
    return _words(language)["offline"].format(list=_listed(facts.offline_devices, facts, 5))


def template_sentences(facts: Facts, language: str) -> str:
    """A complete summary written by code from the facts alone."""
    w = _words(language)
    out = _event_sentences(facts, language) if facts.read_events else []
    out += logs_sentences(facts, language)
    return " ".join(out) or w["nothing"]


def logs_sentences(facts: Facts, language: str) -> list[str]:
    w = _words(language)
    out = []
    for log in facts.logs:
        name = _log_name(log.name)
        if log.problem:
            out.append(w["log_problem"].format(name=name, problem=log.problem))
        else:
            out.append(w["logs"].format(name=name, lines=log.lines, errors=log.errors))
    return out


def _event_sentences(facts: Facts, language: str) -> list[str]:
    w = _words(language)
    out = [w["requests"].format(n=facts.requests, a=facts.actions)]
    if facts.actions_by_device:
        out.append(busiest_sentence(facts, language))
    if facts.failed_actions or facts.errors:
        out.append(failures_sentence(facts, language))
    else:
        out.append(w["no_errors"])
    if facts.offline_devices:
        out.append(offline_sentence(facts, language))
    if facts.unrecognized:
        out.append(w["unrecognized"].format(n=facts.unrecognized))
    lat = facts.latency
    if lat.count and lat.p50 is not None and lat.p95 is not None:
        out.append(w["latency"].format(p50=lat.p50, p95=lat.p95))
    return out
