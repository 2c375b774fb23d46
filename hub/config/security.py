"""The security section: which actions need a confirmation, and who may ask for them at all.

```yaml
security:
  confirm: true              # security actions ask "Say 'yes' to confirm: ..." before acting
  confirm_seconds: 30        # how long that question waits for its "yes"
  pin_file: /etc/hub/pin     # optional: the "yes" must say this PIN too (or pin:, $HUB_PIN)
  sources: [cli, speech, mqtt/homeassistant]   # who may ask for security actions and use
                             # <prefix>/command/<name>; MQTT sources are mqtt/<name>, from
                             # the topic <prefix>/request/<name> (docs/mqtt-api.md has the ACL)
  areas: []                  # if given: security actions only from requests in these areas
  devices: [switch.gate_power]      # more devices whose every action is a security action
  without_confirmation: [lock.shed] # knowingly: template answers act on these at once
```

A security action is unlocking or opening a lock, opening a garage, door or gate cover (or
setting its position), and any action on a device listed under ``devices``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from hub.config.reader import Reader

PIN_ENV = "HUB_PIN"
PIN_CREDENTIAL = "pin"  # systemd: LoadCredential=pin:/etc/hub/pin
LOCAL_SOURCES = ("cli", "speech")
_KEYS = (
    "confirm",
    "confirm_seconds",
    "pin",
    "pin_file",
    "sources",
    "areas",
    "devices",
    "without_confirmation",
)


@dataclass(frozen=True)
class SecurityConfig:
    confirm: bool = True
    confirm_seconds: float = 30.0
    pin: str | None = None
    sources: tuple[str, ...] = LOCAL_SOURCES
    areas: tuple[str, ...] = ()  # empty: any area
    devices: tuple[str, ...] = ()
    without_confirmation: tuple[str, ...] = ()

    def __repr__(self) -> str:  # the PIN is never logged
        pin = "set" if self.pin else "none"
        return (
            f"SecurityConfig(confirm={self.confirm}, pin={pin}, sources={self.sources}, "
            f"areas={self.areas}, devices={self.devices}, "
            f"without_confirmation={self.without_confirmation})"
        )


def parse_security(
    r: Reader, base: Path, *, area_ids: set[str] | None, entity_ids: set[str] | None
) -> SecurityConfig:
    """``area_ids``, ``entity_ids`` None: that list has problems of its own, and references to it
    are not checked."""
    r.only(*_KEYS)
    sources = r.strings("sources") if r.has("sources") else LOCAL_SOURCES
    for source in sources:
        if source not in LOCAL_SOURCES and source != "wyoming" and not _mqtt_source(source):
            r.fail(
                "sources",
                f"{source!r} is not a source: use cli, speech, wyoming, mqtt or mqtt/<name>",
            )
    areas = r.strings("areas")
    for area in areas:
        if area_ids is not None and area not in area_ids:
            r.fail("areas", f"unknown area {area!r}")
    listed: dict[str, tuple[str, ...]] = {}
    for key in ("devices", "without_confirmation"):
        listed[key] = r.strings(key)
        for entity_id in listed[key]:
            if "." not in entity_id:
                r.fail(key, f"{entity_id!r} is not an entity id like lock.front_door")
            elif entity_ids is not None and entity_id not in entity_ids:
                r.fail(key, f"no device {entity_id!r} in devices:")
    return SecurityConfig(
        confirm=r.get("confirm", bool, True),
        confirm_seconds=r.number("confirm_seconds", 30.0, 3.0, 600.0),
        pin=_pin(r, base),
        sources=sources,
        areas=areas,
        devices=listed["devices"],
        without_confirmation=listed["without_confirmation"],
    )


def _mqtt_source(source: str) -> bool:
    if source == "mqtt":
        return True
    name = source.removeprefix("mqtt/")
    return source.startswith("mqtt/") and bool(name) and not any(c in name for c in "/+#")


def _pin(r: Reader, base: Path) -> str | None:
    """pin_file, or pin, or the systemd credential ``pin``, or $HUB_PIN: digits only."""
    if r.has("pin") and r.has("pin_file"):
        r.fail("pin_file", "give either 'pin' or 'pin_file', not both")
    key = "pin"
    value: str | None = None
    file = r.path_value("pin_file", base)
    if file is not None:
        key = "pin_file"
        try:
            value = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            r.fail("pin_file", f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    elif r.has("pin"):
        raw = r.data.get("pin")
        value = str(raw).strip() if isinstance(raw, int | str) else None
        if value is None:
            r.fail("pin", "must be digits, like 4711")
    else:
        credentials = os.environ.get("CREDENTIALS_DIRECTORY")
        if credentials and (Path(credentials) / PIN_CREDENTIAL).is_file():
            value = (Path(credentials) / PIN_CREDENTIAL).read_text(encoding="utf-8").strip()
        else:
            value = os.environ.get(PIN_ENV) or None
    if value is not None and not (value.isdigit() and 3 <= len(value) <= 12):
        r.fail(key, "the PIN must be 3 to 12 digits")
    return value
