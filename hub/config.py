"""The configuration: one YAML file, validated at load into one frozen, typed object.

``load_config`` is the only place YAML becomes configuration. Every problem stops the load with
a ConfigError naming the key (``devices[3].area``), the line, and the reason. Everything else in
hub receives the parts of Config it needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from hub.errors import ConfigError
from hub.normalize import slugify
from hub.registry import Area, Device, Floor, Registry, State

T = TypeVar("T")

LLM_BACKENDS = ("embedded", "remote", "off")


@dataclass(frozen=True)
class ModelConfig:
    path: Path | None = None  # overrides the installed default model
    threads: int = 0  # 0: min(4, cores), right for a Pi 5
    context: int = 2048
    batch: int = 256


@dataclass(frozen=True)
class LLMConfig:
    backend: str = "embedded"  # embedded | remote | off
    url: str | None = None  # remote: an OpenAI-compatible server
    api_key: str | None = None
    timeout: float = 10.0
    max_tokens: int = 160
    max_candidates: int = 40  # devices shown to the model at most; the rest are narrowed away
    min_confidence: float = 0.0  # below this, the hub asks "Did you mean ...?" instead of acting
    # The share of the model's belief its chosen lines held; below it the model wanted to say
    # something the home cannot do (a device that does not exist there), so the hub asks.
    min_coverage: float = 0.01
    model: str | None = None  # remote: the server's model name (Ollama: e.g. qwen2.5:0.5b)


@dataclass(frozen=True)
class Config:
    languages: tuple[str, ...] = ("en",)
    floors: tuple[Floor, ...] = ()
    areas: tuple[Area, ...] = ()
    devices: tuple[Device, ...] = ()
    model: ModelConfig = field(default_factory=ModelConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    data_dir: Path | None = None
    intents_dir: Path | None = None  # extra hassil templates: <dir>/<lang>/*.yaml
    source: Path | None = None

    def registry(self) -> Registry:
        return Registry(self.floors, self.areas, self.devices)


# -- loading ------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raises ConfigError on the first problem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", f"no such file: {file}", file=str(file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("", f"cannot read: {exc}", file=str(file)) from None
    return parse_config(text, file=file)


def parse_config(text: str, *, file: Path | None = None) -> Config:
    name = str(file) if file else "config"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError("", f"not valid YAML: {problem}", line=line, file=name) from None
    lines: dict[str, int] = {}
    if node is not None:
        _index_lines(node, "", lines)
    reader = _Reader(data if data is not None else {}, "", lines, name)
    base = file.parent if file else Path.cwd()
    return _build(reader, base, file)


def _index_lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = f"{path}.{key_node.value}" if path else str(key_node.value)
            out[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out[child] = item.start_mark.line + 1
            _index_lines(item, child, out)


class _Reader:
    """A view of one mapping in the YAML, that knows its path and lines for errors."""

    def __init__(self, data: Any, path: str, lines: dict[str, int], file: str) -> None:
        self.path, self.lines, self.file = path, lines, file
        if not isinstance(data, Mapping):
            self.fail("", f"must be a mapping, not {_kind(data)}")
        self.data: Mapping[str, Any] = data

    def key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> None:
        full = self.key(key) if key else self.path
        line = self.lines.get(full) or self.lines.get(self.path)
        raise ConfigError(full, reason, line=line, file=self.file)

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                self.fail(str(key), f"unknown key (expected one of: {', '.join(allowed)})")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def get(self, key: str, kind: type[T], default: T) -> T:
        value = self.data.get(key)
        if value is None:
            return default
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            self.fail(key, f"must be {_kind_name(kind)}, not {_kind(value)}")
        return value  # type: ignore[return-value]

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(key, f"must be a string, not {_kind(value)}")
        value = str(value).strip()
        if required and not value:
            self.fail(key, "must not be empty")
        return value

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        return value or ""

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.get(key, float, default)
        if not low <= value <= high:
            self.fail(key, f"must be between {low:g} and {high:g}, not {value:g}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key, int, default)
        if not low <= value <= high:
            self.fail(key, f"must be between {low} and {high}, not {value}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(key, f"must be a list of strings, not {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            if (
                isinstance(item, bool)
                or not isinstance(item, str | int | float)
                or not str(item).strip()
            ):
                self.fail(f"{key}[{i}]", "must be a non-empty string")
            out.append(str(item).strip())
        return tuple(out)

    def section(self, key: str) -> _Reader:
        return _Reader(self.data.get(key) or {}, self.key(key), self.lines, self.file)

    def items(self, key: str) -> Iterator[_Reader]:
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(key, f"must be a list, not {_kind(value)}")
        for i, item in enumerate(value):
            yield _Reader(item, f"{self.key(key)}[{i}]", self.lines, self.file)

    def path_value(self, key: str, base: Path) -> Path | None:
        value = self.text(key)
        if not value:
            return None
        path = Path(os.path.expandvars(value)).expanduser()
        return path if path.is_absolute() else (base / path)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _kind_name(kind: type) -> str:
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(kind, kind.__name__)


# -- building -----------------------------------------------------------------------------

_TOP_KEYS = (
    "language",
    "languages",
    "floors",
    "areas",
    "devices",
    "model",
    "llm",
    "data_dir",
    "intents_dir",
)


def _build(top: _Reader, base: Path, file: Path | None) -> Config:
    top.only(*_TOP_KEYS)
    languages = _languages(top)
    floors, areas = _floors_and_areas(top)
    devices = _devices(top, {a.id for a in areas})
    return Config(
        languages=languages,
        floors=floors,
        areas=areas,
        devices=devices,
        model=_model(top.section("model"), base),
        llm=_llm(top.section("llm"), base),
        data_dir=top.path_value("data_dir", base),
        intents_dir=top.path_value("intents_dir", base),
        source=file,
    )


def _languages(top: _Reader) -> tuple[str, ...]:
    if top.has("language") and top.has("languages"):
        top.fail("languages", "give either 'language' or 'languages', not both")
    key = "languages" if top.has("languages") else "language"
    languages = top.strings(key) or ("en",)
    known = _known_languages()
    for i, lang in enumerate(languages):
        if lang not in known:
            where = f"{key}[{i}]" if key == "languages" else key
            close = sorted(k for k in known if k.split("-")[0] == lang.split("-")[0].lower())
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            top.fail(where, f"unknown language {lang!r}{hint}")
    return tuple(dict.fromkeys(languages))


def _known_languages() -> set[str]:
    from home_assistant_intents import get_languages

    return set(get_languages())


def _floors_and_areas(top: _Reader) -> tuple[tuple[Floor, ...], tuple[Area, ...]]:
    floors: dict[str, Floor] = {}
    for r in top.items("floors"):
        r.only("id", "name", "aliases", "level")
        name = r.text("name") or r.required_text("id")
        fid = r.text("id") or slugify(name)
        if fid in floors:
            r.fail("id", f"duplicate floor id {fid!r}")
        level = r.get("level", int, 0) if r.has("level") else None
        floors[fid] = Floor(fid, name, r.strings("aliases"), level)
    by_name = {slugify(f.name): f.id for f in floors.values()}

    areas: dict[str, Area] = {}
    for r in top.items("areas"):
        r.only("id", "name", "floor", "aliases")
        name = r.text("name") or r.required_text("id")
        aid = r.text("id") or slugify(name)
        if aid in areas:
            r.fail("id", f"duplicate area id {aid!r}")
        floor_ref = r.text("floor")
        floor_id = None
        if floor_ref:
            floor_id = floor_ref if floor_ref in floors else by_name.get(slugify(floor_ref))
            if floor_id is None:
                if top.has("floors"):
                    r.fail("floor", f"unknown floor {floor_ref!r} (not in floors:)")
                # Without a floors: section, areas name their floors (FORMAT.md shape).
                floor_id = slugify(floor_ref)
                floors[floor_id] = Floor(floor_id, floor_ref)
                by_name[floor_id] = floor_id
        areas[aid] = Area(aid, name, floor_id, r.strings("aliases"))
    return tuple(floors.values()), tuple(areas.values())


def _devices(top: _Reader, area_ids: set[str]) -> tuple[Device, ...]:
    devices: dict[str, Device] = {}
    for r in top.items("devices"):
        r.only("id", "name", "area", "aliases", "features", "state", "device_class", "binding")
        entity_id = r.required_text("id")
        domain, _, object_id = entity_id.partition(".")
        if not domain or not object_id or not _is_slug(domain) or not _is_slug(object_id):
            r.fail("id", f"{entity_id!r} is not an entity id like 'light.kitchen'")
        if entity_id in devices:
            r.fail("id", f"duplicate device id {entity_id!r}")
        area = r.text("area")
        if area and area not in area_ids:
            r.fail(
                "area", f"unknown area {area!r} (areas: {', '.join(sorted(area_ids)) or 'none'})"
            )
        state_raw = r.data.get("state")
        if state_raw is not None:
            state_reader = r.section("state")
            state_reader.only("state", "attributes")
            if state_reader.has("attributes"):
                state_reader.get("attributes", dict, {})
        state = State.from_dict(state_raw)
        device_class = r.text("device_class") or state.attributes.get("device_class")
        binding = r.get("binding", dict, {}) if r.has("binding") else None
        devices[entity_id] = Device(
            entity_id=entity_id,
            name=r.text("name") or object_id.replace("_", " ").title(),
            area=area,
            aliases=r.strings("aliases"),
            features=frozenset(r.strings("features")),
            device_class=str(device_class) if device_class else None,
            state=state,
            binding=binding,
        )
    return tuple(devices.values())


def _is_slug(text: str) -> bool:
    return bool(text) and all(ch.isalnum() or ch == "_" for ch in text) and text == text.lower()


def _model(r: _Reader, base: Path) -> ModelConfig:
    r.only("path", "threads", "context", "batch")
    return ModelConfig(
        path=r.path_value("path", base),
        threads=r.integer("threads", 0, 0, 64),
        context=r.integer("context", 2048, 512, 32768),
        batch=r.integer("batch", 256, 8, 4096),
    )


def _llm(r: _Reader, base: Path) -> LLMConfig:
    r.only(
        "backend",
        "url",
        "model",
        "api_key",
        "api_key_file",
        "timeout",
        "max_tokens",
        "max_candidates",
        "min_confidence",
        "min_coverage",
    )
    backend = r.text("backend", "embedded") or "embedded"
    if backend not in LLM_BACKENDS:
        r.fail("backend", f"must be one of {', '.join(LLM_BACKENDS)}, not {backend!r}")
    url = r.text("url")
    if backend == "remote" and not url:
        r.fail("url", "is required when backend is 'remote'")
    if url and not url.startswith(("http://", "https://")):
        r.fail("url", f"must start with http:// or https://, not {url!r}")
    api_key = r.text("api_key")
    key_file = r.path_value("api_key_file", base)
    if key_file is not None:
        try:
            api_key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            r.fail("api_key_file", f"cannot read {key_file}: {exc.strerror or exc}")
    return LLMConfig(
        backend=backend,
        url=url,
        api_key=api_key or os.environ.get("HUB_LLM_API_KEY") or None,
        timeout=r.number("timeout", 10.0, 0.1, 600.0),
        max_tokens=r.integer("max_tokens", 160, 16, 2048),
        max_candidates=r.integer("max_candidates", 40, 1, 1000),
        min_confidence=r.number("min_confidence", 0.0, 0.0, 1.0),
        min_coverage=r.number("min_coverage", 0.01, 0.0, 1.0),
        model=r.text("model"),
    )
