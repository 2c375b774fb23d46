"""The configuration: one YAML file, validated at load into one frozen, typed object.

``load_config`` is the only place YAML becomes configuration. The section parsers record every
problem they find (``hub.config.reader``); if there is any, the load stops with one ConfigError
that lists them all, each naming the key (``devices[3].area``), the line, and the reason.
Everything else in hub receives the parts of Config it needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hub.config.discovery import DiscoveryConfig, parse_discovery
from hub.config.home import all_named, devices, floors_and_areas, languages
from hub.config.llm import LLM_BACKENDS, LLMConfig, ModelConfig, parse_llm, parse_model
from hub.config.memory import FAQEntry, StoreConfig, parse_faq, parse_store
from hub.config.mqtt import (
    MQTT_CREDENTIAL,
    MQTT_PASSWORD_ENV,
    MQTT_PROTOCOLS,
    MQTTConfig,
    TLSConfig,
    parse_mqtt,
)
from hub.config.reader import Reader, index_lines
from hub.config.security import SecurityConfig, parse_security
from hub.config.speech import SpeechConfig, parse_speech
from hub.config.summaries import SummariesConfig, SummaryJob, parse_summaries
from hub.config.wyoming import WyomingConfig, parse_wyoming
from hub.errors import ConfigError
from hub.registry import Area, Device, Floor, Registry

__all__ = [
    "LLM_BACKENDS",
    "MQTT_CREDENTIAL",
    "MQTT_PASSWORD_ENV",
    "MQTT_PROTOCOLS",
    "Config",
    "FAQEntry",
    "LLMConfig",
    "MQTTConfig",
    "ModelConfig",
    "Reader",
    "SecurityConfig",
    "StoreConfig",
    "SummariesConfig",
    "SummaryJob",
    "TLSConfig",
    "WyomingConfig",
    "config_from_data",
    "load_config",
    "parse_config",
]


@dataclass(frozen=True)
class Config:
    languages: tuple[str, ...] = ("en",)
    languages_on_demand: bool = True  # another language's templates, loaded on its first request
    floors: tuple[Floor, ...] = ()
    areas: tuple[Area, ...] = ()
    devices: tuple[Device, ...] = ()
    model: ModelConfig = field(default_factory=ModelConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    data_dir: Path | None = None
    intents_dir: Path | None = None  # extra hassil templates: <dir>/<lang>/*.yaml
    mqtt: MQTTConfig | None = None  # None: nothing is published
    store: StoreConfig = field(default_factory=StoreConfig)
    faq: tuple[FAQEntry, ...] = ()
    discovery: DiscoveryConfig | None = None  # None: the home is the config alone
    summaries: SummariesConfig = field(default_factory=SummariesConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    conversation_window: float = 60.0  # seconds a follow-up may answer or point back
    wyoming: WyomingConfig | None = None  # None: hub run serves no Wyoming (Home Assistant)
    source: Path | None = None

    def registry(self) -> Registry:
        return Registry(self.floors, self.areas, self.devices)


# -- loading ------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raises ConfigError listing every problem found."""
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
        index_lines(node, "", lines)
    return config_from_data(data if data is not None else {}, lines, file=file)


def config_from_data(
    data: Any, lines: dict[str, int] | None = None, *, file: Path | None = None
) -> Config:
    """Validate YAML already read (``lines``: the line of each key path, for the messages);
    raises ConfigError listing every problem found."""
    reader = Reader(data, "", lines or {}, str(file) if file else "config")
    base = file.parent if file else Path.cwd()
    config = _build(reader, base, file)
    reader.check()
    return config


# -- building -----------------------------------------------------------------------------

_TOP_KEYS = (
    "language",
    "languages",
    "languages_on_demand",
    "floors",
    "areas",
    "devices",
    "model",
    "llm",
    "data_dir",
    "intents_dir",
    "mqtt",
    "discovery",
    "store",
    "faq",
    "summaries",
    "speech",
    "wyoming",
    "security",
    "conversation_window",
)


def _build(top: Reader, base: Path, file: Path | None) -> Config:
    top.only(*_TOP_KEYS)
    langs = languages(top)
    floors, areas = floors_and_areas(top)
    # None: the list has problems of its own, and references to its items are not checked (a
    # reference to an area left out for its problems would be one problem reported twice)
    area_ids = {a.id for a in areas} if all_named(top, "areas", "id", "name") else None
    found = devices(top, area_ids)
    entity_ids = {d.entity_id for d in found} if all_named(top, "devices", "id") else None
    return Config(
        languages=langs,
        languages_on_demand=top.get("languages_on_demand", bool, True),
        floors=floors,
        areas=areas,
        devices=found,
        model=parse_model(top.section("model"), base),
        llm=parse_llm(top.section("llm"), base),
        data_dir=top.path_value("data_dir", base),
        intents_dir=top.path_value("intents_dir", base),
        mqtt=(mqtt := parse_mqtt(top.section("mqtt"), base) if "mqtt" in top.data else None),
        discovery=parse_discovery(top.section("discovery"), base, mqtt=mqtt, area_ids=area_ids)
        if "discovery" in top.data
        else None,
        store=parse_store(top.section("store"), base),
        faq=parse_faq(top),
        summaries=parse_summaries(top.section("summaries"), base, langs[0]),
        speech=parse_speech(top.section("speech"), base),
        security=parse_security(
            top.section("security"),
            base,
            area_ids=area_ids,
            entity_ids=entity_ids,
        ),
        wyoming=parse_wyoming(top.section("wyoming"), speech="speech" in top.data)
        if "wyoming" in top.data
        else None,
        conversation_window=top.number("conversation_window", 60.0, 5.0, 3600.0),
        source=file,
    )
