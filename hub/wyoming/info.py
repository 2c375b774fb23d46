"""``Describe`` -> ``Info``: what Home Assistant learns about the hub.

A *handle* program (text in, the hub's reply out) makes the hub a conversation agent in Home
Assistant, named after ``wyoming.name``, in the config's languages, and marked as controlling
the home (``supports_home_control``). With a speech model, an *asr* program makes it a
speech-to-text engine too. Home Assistant waits one second for the answer, so it is built once
at start.
"""

from __future__ import annotations

from collections.abc import Sequence

from wyoming.info import (
    AsrModel,
    AsrProgram,
    Attribution,
    HandleModel,
    HandleProgram,
    Info,
)

from hub import __version__
from hub.wyoming.asr import Transcriber

HUB = Attribution(name="hub", url="")
INTENTS = Attribution(
    name="Home Assistant intents and hub's own templates",
    url="https://github.com/home-assistant/intents",
)
VOSK = Attribution(name="Alpha Cephei (Vosk)", url="https://alphacephei.com/vosk/models")


def describe(
    name: str,
    languages: Sequence[str],
    tiers: Sequence[str],
    transcriber: Transcriber | None = None,
) -> Info:
    """The Info for a hub whose pipeline has ``tiers`` and, maybe, a speech model."""
    model = HandleModel(
        name=name,
        attribution=INTENTS,
        installed=True,
        description=f"tiers: {', '.join(tiers) or 'none'}",
        version=__version__,
        languages=list(languages),
    )
    handle = HandleProgram(
        name=name,
        attribution=HUB,
        installed=True,
        description="hub: what people say at home, turned into validated device actions",
        version=__version__,
        models=[model],
        supports_home_control=True,
    )
    asr: list[AsrProgram] = []
    if transcriber is not None:
        asr_model = AsrModel(
            name=transcriber.name,
            attribution=VOSK,
            installed=True,
            description=transcriber.description,
            version=None,
            languages=[transcriber.language],
        )
        asr.append(
            AsrProgram(
                name=name,
                attribution=HUB,
                installed=True,
                description="hub's speech recognizer, knowing the home's devices and areas",
                version=__version__,
                models=[asr_model],
                requires_external_vad=True,  # one command's audio: Home Assistant ends it
            )
        )
    return Info(handle=[handle], asr=asr)
