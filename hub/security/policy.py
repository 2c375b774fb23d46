"""Which commands are security actions, and which sources and areas may ask for them.

A security action opens the home to someone: unlocking or opening a lock, opening a garage,
door or gate cover (or moving it, or toggling it), disarming an alarm, and any action on a
device the config lists under ``security.devices``. Locking and closing are not: they make the
home safer, and a household wants them at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.config.security import SecurityConfig
from hub.messages import Command
from hub.registry import Device, Registry
from hub.text.fold import normalize_name

OPENING_COVER_CLASSES = frozenset({"garage", "door", "gate"})
# Names that say a cover is a way into the home, when its device class does not say it.
# Folded (no accents, lower case); the short ones only as whole words ("tor", not "motor").
_OPENING_PARTS = (
    "garage",
    "door",
    "gate",
    "porte",
    "portail",
    "puerta",
    "porton",
    "deur",
    "poort",
    "porta",
    "portao",
    "门",
    "車庫",
    "차고",
)
_OPENING_WORDS = frozenset({"tor", "tur", "hoftor", "gartentor"})
_SECURITY_ACTIONS = frozenset(
    {
        "lock.unlock",
        "lock.open",
        "alarm_control_panel.alarm_disarm",
    }
)
_OPENING_COVER_ACTIONS = frozenset({"cover.open_cover", "cover.set_cover_position", "cover.toggle"})


class SecurityPolicy:
    def __init__(self, config: SecurityConfig | None = None) -> None:
        self.config = config or SecurityConfig()
        self._marked = frozenset(self.config.devices)
        self._trusted = frozenset(self.config.without_confirmation)

    # -- what is a security action ----------------------------------------------------------
    def is_security(self, command: Command, registry: Registry) -> bool:
        return bool(self.security_entities(command, registry))

    def security_entities(self, command: Command, registry: Registry) -> tuple[str, ...]:
        """The entities of ``command`` for which it is a security action."""
        found: list[str] = []
        for entity_id in command.entity_ids:
            opening = command.action in _OPENING_COVER_ACTIONS and is_opening_cover(
                registry.device(entity_id)
            )
            if opening or entity_id in self._marked or command.action in _SECURITY_ACTIONS:
                found.append(entity_id)
        return tuple(found)

    def any_security(self, commands: Iterable[Command], registry: Registry) -> bool:
        return any(self.is_security(c, registry) for c in commands)

    def needs_confirmation(
        self, commands: Iterable[Command], registry: Registry, tier: str
    ) -> bool:
        """Whether these commands wait for a "yes": any security action, unless confirmation
        is off (all of them, or for every device concerned) and no model chose them."""
        entities = [e for c in commands for e in self.security_entities(c, registry)]
        if not entities:
            return False
        if tier in ("llm", "cache"):
            return True  # never from the model in one shot, whatever the config says
        if not self.config.confirm:
            return False
        return not all(e in self._trusted for e in entities)

    # -- who may ask ------------------------------------------------------------------------
    def source_allowed(self, source: str) -> bool:
        """Whether ``source`` (cli, speech, wyoming, mqtt, mqtt/<name>) is named in
        ``security.sources``: it may ask for security actions and send direct commands."""
        return source in self.config.sources

    def refusal(self, source: str, area: str | None) -> str | None:
        """Why ``source`` in ``area`` may not have a security action done, or None."""
        if not self.source_allowed(source):
            return (
                f"security actions are not allowed from {source!r} "
                "(security.sources in the config names who may ask)"
            )
        areas = self.config.areas
        if areas and area not in areas:
            where = f"the area {area!r}" if area else "a request with no area"
            return f"security actions are allowed only from {', '.join(areas)}, not from {where}"
        return None


def is_opening_cover(device: Device | None) -> bool:
    """A cover that is a way into the home: a garage door, a door or a gate."""
    if device is None:
        return True  # unknown: the validator refuses it anyway; never count it as harmless
    if device.domain != "cover":
        return False
    if device.device_class in OPENING_COVER_CLASSES:
        return True
    if device.device_class is not None:
        return False
    names = " ".join(normalize_name(n) for n in (*device.names, device.entity_id))
    return any(part in names for part in _OPENING_PARTS) or bool(
        _OPENING_WORDS.intersection(names.split())
    )
