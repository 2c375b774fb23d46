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

from hub.bindings.spec import BindingSpecError, parse_binding, topic_problem
from hub.errors import ConfigError
from hub.normalize import slugify
from hub.registry import Area, Device, Floor, Registry, State

T = TypeVar("T")

LLM_BACKENDS = ("embedded", "remote", "off")
MQTT_PROTOCOLS = ("5", "3.1.1")
MQTT_PASSWORD_ENV = "HUB_MQTT_PASSWORD"
MQTT_CREDENTIAL = "mqtt_password"  # systemd: LoadCredential=mqtt_password:/etc/hub/mqtt_password


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
class TLSConfig:
    ca_file: Path | None = None  # None: the system's CA certificates
    cert_file: Path | None = None  # client certificate, for brokers that require one
    key_file: Path | None = None
    insecure: bool = False  # skip certificate and host name checks (testing only)


@dataclass(frozen=True)
class MQTTConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = ""  # "": hub-<hostname>, stable across restarts
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never logged
    tls: TLSConfig | None = None
    protocol: str = "5"  # 5 | 3.1.1
    prefix: str = "hub"  # <prefix>/request, /command, /response, /status, /action/<domain>
    keepalive: int = 60
    discovery: bool = True  # Home Assistant MQTT discovery
    discovery_prefix: str = "homeassistant"
    zigbee2mqtt_base: str = "zigbee2mqtt"
    max_payload: int = 4096  # bytes; larger requests are answered with an error
    queue_size: int = 64  # requests waiting for the worker; more are answered "busy"
    dedupe_seconds: float = 60.0  # a request id acted on is not acted on again within this
    message_expiry: int = 10  # seconds an action (and a reply) may wait in the broker
    request_timeout: float = 10.0  # a request not started within this is answered "expired"
    reconnect_max_delay: int = 30  # seconds; reconnects back off from 1 s up to this


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
    mqtt: MQTTConfig | None = None  # None: nothing is published
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
    "mqtt",
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
        mqtt=_mqtt(top.section("mqtt"), base) if "mqtt" in top.data else None,
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
        binding = _binding(r, entity_id) if r.has("binding") else None
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


def _binding(r: _Reader, entity_id: str) -> dict[str, Any]:
    raw = r.get("binding", dict, {})
    try:
        parse_binding(raw, entity_id)
    except BindingSpecError as exc:
        r.section("binding").fail(exc.key, exc.reason)
    return raw


_MQTT_KEYS = (
    "host",
    "port",
    "client_id",
    "username",
    "password",
    "password_file",
    "tls",
    "protocol",
    "prefix",
    "keepalive",
    "discovery",
    "discovery_prefix",
    "zigbee2mqtt_base",
    "max_payload",
    "queue_size",
    "dedupe_seconds",
    "message_expiry",
    "request_timeout",
    "reconnect_max_delay",
)


def _mqtt(r: _Reader, base: Path) -> MQTTConfig:
    r.only(*_MQTT_KEYS)
    protocol = r.text("protocol", "5") or "5"
    if protocol in ("5.0", "v5"):
        protocol = "5"
    if protocol not in MQTT_PROTOCOLS:
        r.fail("protocol", f"must be 5 or 3.1.1, not {protocol!r}")
    topics = {
        key: _topic(r, key, default)
        for key, default in (
            ("prefix", "hub"),
            ("discovery_prefix", "homeassistant"),
            ("zigbee2mqtt_base", "zigbee2mqtt"),
        )
    }
    client_id = r.text("client_id", "") or ""
    if len(client_id.encode("utf-8")) > 65535:
        r.fail("client_id", "is too long")
    return MQTTConfig(
        host=r.required_text("host") if r.has("host") else "127.0.0.1",
        port=r.integer("port", 1883, 1, 65535),
        client_id=client_id,
        username=r.text("username"),
        password=_mqtt_password(r, base),
        tls=_tls(r.section("tls"), base) if "tls" in r.data else None,
        protocol=protocol,
        prefix=topics["prefix"],
        keepalive=r.integer("keepalive", 60, 5, 3600),
        discovery=r.get("discovery", bool, True),
        discovery_prefix=topics["discovery_prefix"],
        zigbee2mqtt_base=topics["zigbee2mqtt_base"],
        max_payload=r.integer("max_payload", 4096, 64, 1_048_576),
        queue_size=r.integer("queue_size", 64, 1, 100_000),
        dedupe_seconds=r.number("dedupe_seconds", 60.0, 0.0, 86_400.0),
        message_expiry=r.integer("message_expiry", 10, 1, 3600),
        request_timeout=r.number("request_timeout", 10.0, 0.1, 3600.0),
        reconnect_max_delay=r.integer("reconnect_max_delay", 30, 1, 3600),
    )


def _topic(r: _Reader, key: str, default: str) -> str:
    value = r.text(key, default) or default
    problem = topic_problem(value)
    if problem:
        r.fail(key, problem)
    return value


def _mqtt_password(r: _Reader, base: Path) -> str | None:
    """password_file, or password, or the systemd credential, or $HUB_MQTT_PASSWORD."""
    if r.has("password") and r.has("password_file"):
        r.fail("password_file", "give either 'password' or 'password_file', not both")
    file = r.path_value("password_file", base)
    if file is not None:
        try:
            return file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            r.fail("password_file", f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    if r.has("password"):
        return r.text("password")
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        credential = Path(credentials) / MQTT_CREDENTIAL
        try:
            return credential.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as exc:
            r.fail("password", f"cannot read the credential {credential}: {exc}")
    return os.environ.get(MQTT_PASSWORD_ENV) or None


def _tls(r: _Reader, base: Path) -> TLSConfig:
    r.only("ca_file", "cert_file", "key_file", "insecure")
    files: dict[str, Path | None] = {}
    for key in ("ca_file", "cert_file", "key_file"):
        path = r.path_value(key, base)
        if path is not None and not path.is_file():
            r.fail(key, f"no such file: {path}")
        files[key] = path
    if files["key_file"] is not None and files["cert_file"] is None:
        r.fail("key_file", "needs cert_file too")
    return TLSConfig(
        ca_file=files["ca_file"],
        cert_file=files["cert_file"],
        key_file=files["key_file"],
        insecure=r.get("insecure", bool, False),
    )
