"""``hub listen``: speech in (WAV files or the microphone), through the pipeline, replies out."""

from __future__ import annotations

import json
import logging
import queue
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from hub.app.build import build_pipeline, find_config
from hub.cli.ask import format_reply
from hub.cli.options import config_option, tier_option
from hub.config import Config
from hub.messages import Reply
from hub.pipeline import Pipeline

_LOGGER = logging.getLogger(__name__)


@click.command("listen")
@click.option(
    "--wav",
    "wavs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Recognize this WAV file (any common rate, mono or stereo) instead of the "
    "microphone; may be given several times.",
)
@config_option
@click.option(
    "--jsonl",
    is_flag=True,
    help="Print one JSON object a line for each utterance (a file in which nothing was heard "
    "gets one line with empty text).",
)
@click.option(
    "--free",
    is_flag=True,
    help="Decode free-form, without the home's grammar (for comparison).",
)
@click.option("--area", help="The area the microphone is in (id or name).")
@tier_option
def listen(
    wavs: tuple[Path, ...],
    config_path: str | None,
    jsonl: bool,
    free: bool,
    area: str | None,
    tier: str,
) -> None:
    """Recognize speech offline with Vosk and act on it like any other request.

    Uses the config's speech: section (model, language, microphone, mode; push-to-talk, which
    needs MQTT, listens always here). Without --wav it listens on the microphone until Ctrl-C.
    Nothing is published over MQTT; `hub run` does that when speech.enabled is true.

    \b
    Examples:
      hub model install --vosk ko
      hub listen --wav command.wav --jsonl
      hub listen --config config.yaml
    """
    from hub.speech.service import GrammarCache, load_engine, make_listener, speech_language

    config = find_config(config_path)
    if not wavs:
        from hub.speech.mic import check_microphone

        check_microphone(config.speech.device)  # before seconds of loading: fail fast
    pipeline = build_pipeline(config, tier)
    engine = load_engine(config)
    language = speech_language(config)
    area_id = _area_id(pipeline, area)
    emit = _printer(jsonl)
    if wavs:
        pipeline.warm(llm=False)
        mode = "always" if config.speech.mode == "push" else None
        cache = GrammarCache(
            engine,
            lambda: pipeline.registry,
            language,
            config.speech,
            (config.intents_dir,) if config.intents_dir else (),
        )
        for wav in wavs:  # a listener each (no state carries from file to file), one grammar
            heard: list[Any] = []
            listener = make_listener(
                config,
                engine,
                lambda: pipeline.registry,
                heard.append,
                grammar=not free,
                mode=mode,
                cache=cache,
            )
            _feed_file(listener, wav, config)
            for utterance in heard:
                emit(utterance, _act(pipeline, utterance, language, config, area_id), wav)
            if not heard:
                emit(None, None, wav)
        return
    _listen_microphone(config, pipeline, engine, language, area_id, free, emit)


def _feed_file(listener: Any, wav: Path, config: Config) -> None:
    from hub.speech.audio import read_wav

    audio = read_wav(wav, listener.engine.rate)
    step = max(2, int(config.speech.blocksize * audio.rate / config.speech.samplerate) * 2)
    for i in range(0, len(audio.pcm), step):
        listener.feed(audio.pcm[i : i + step])
    listener.finish()


def _act(
    pipeline: Pipeline, utterance: Any, language: str, config: Config, area: str | None
) -> Reply:
    from dataclasses import replace

    from hub.speech.service import to_request

    request = to_request(utterance, pipeline.registry, language, config.speech.min_confidence)
    if isinstance(request, Reply):
        return request
    return pipeline.ask(replace(request, area=area))


def _area_id(pipeline: Pipeline, area: str | None) -> str | None:
    if not area:
        return None
    found = pipeline.registry.find_area(area)
    if found is None:
        raise click.BadParameter(f"no area {area!r} in the config", param_hint="--area")
    return found.id


def _printer(jsonl: bool) -> Callable[[Any, Reply | None, Path | None], None]:
    def emit(utterance: Any, reply: Reply | None, source: Path | None) -> None:
        if jsonl:
            out: dict[str, Any] = (
                reply.to_dict()
                if reply is not None
                else {
                    "text": "",
                    "commands": [],
                    "reply": "",
                    "tier": "none",
                    "ms": 0.0,
                }
            )
            if utterance is not None:
                out.update(
                    heard=utterance.heard,
                    confidence=utterance.confidence,
                    free_form=utterance.free_form,
                    seconds=utterance.seconds,
                    decode_ms=utterance.decode_ms,
                )
            if source is not None:
                out["file"] = str(source)
            out["source"] = "speech"
            click.echo(json.dumps(out, ensure_ascii=False))
            return
        where = f"{source}: " if source is not None else ""
        if utterance is None:
            click.echo(f"{where}(nothing heard)")
            return
        click.echo(f"{where}heard {utterance.text!r} (confidence {utterance.confidence:.2f})")
        if reply is not None:
            click.echo(format_reply(reply))

    return emit


def _listen_microphone(
    config: Config,
    pipeline: Pipeline,
    engine: Any,
    language: str,
    area: str | None,
    free: bool,
    emit: Callable[[Any, Reply | None, Path | None], None],
) -> None:
    from hub.speech.audio import Resampler, pcm16_to_float, to_pcm16
    from hub.speech.listener import ListenerThread
    from hub.speech.mic import Microphone
    from hub.speech.service import make_listener
    from hub.speech.voice import make_voice

    heard: queue.Queue[Any] = queue.Queue()
    listener = make_listener(
        config,
        engine,
        lambda: pipeline.registry,
        heard.put,
        grammar=not free,
        mode="always" if config.speech.mode == "push" else None,
    )
    resampler = Resampler(config.speech.samplerate, engine.rate)
    thread = ListenerThread(
        listener, convert=lambda raw: to_pcm16(resampler.process(pcm16_to_float(raw)))
    )
    microphone = Microphone(
        thread.put,
        device=config.speech.device,
        samplerate=config.speech.samplerate,
        blocksize=config.speech.blocksize,
    )
    microphone.start()  # SpeechError (one line, exit 2) when there is no microphone
    voice = make_voice(
        config.speech.speak, config.speech.voice, mute=listener.mute, unmute=listener.unmute
    )
    pipeline.warm(llm=False)
    thread.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    click.echo("Listening; Ctrl-C to stop.", err=True)
    try:
        while not stop.is_set():
            try:
                utterance = heard.get(timeout=0.2)
            except queue.Empty:
                continue
            reply = _act(pipeline, utterance, language, config, area)
            emit(utterance, reply, None)
            voice.say(reply.reply, reply.language or language)
    finally:
        microphone.stop()
        thread.stop()
    sys.exit(0)
