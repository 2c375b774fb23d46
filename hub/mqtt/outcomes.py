"""What the daemon says about its actions: devices left out as unavailable, the reply after the
devices' echo, and one event per device and outcome. Pure functions of the reply and registry."""

from __future__ import annotations

from dataclasses import replace

from hub.messages import Command, Reply
from hub.registry import Registry
from hub.store.events import Event
from hub.verify import FAILED, PUBLISHED, UNAVAILABLE, UNCONFIRMED, Check


def without_unavailable(
    reply: Reply, registry: Registry
) -> tuple[Reply, tuple[dict[str, str], ...]]:
    """The reply without commands for unavailable devices, and those devices (``verified``
    entries with the status ``unavailable``). The reply text says what was not sent."""
    skipped: list[dict[str, str]] = []
    commands: list[Command] = []
    for command in reply.commands:
        keep = []
        for entity_id in command.entity_ids:
            device = registry.device(entity_id)
            if device is not None and device.state.state == "unavailable":
                skipped.append(
                    {"entity_id": entity_id, "action": command.action, "status": UNAVAILABLE}
                )
            else:
                keep.append(entity_id)
        if keep:
            commands.append(Command(command.action, tuple(keep), command.data))
    if not skipped:
        return reply, ()
    names = list(dict.fromkeys(_name(registry, item["entity_id"]) for item in skipped))
    note = f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} unavailable"
    if not commands:
        text = f"{note[0].upper()}{note[1:]}, so nothing was done."
    else:
        text = f"{reply.reply} ({note}: not sent.)"
    return replace(reply, commands=tuple(commands), reply=text), tuple(skipped)


def checked_reply(reply: Reply, checks: list[Check], registry: Registry) -> Reply:
    """The reply text, plus what the devices did not confirm."""
    words = []
    for check in checks:
        if check.status in (UNCONFIRMED, FAILED):
            what = "went unavailable" if check.status == FAILED else "did not confirm it"
            words.append(f"{_name(registry, check.entity_id)} {what}")
    if not words:
        return reply
    return replace(reply, reply=f"{reply.reply} But {'; '.join(words)}.".strip())


def action_events(
    reply: Reply, request_id: str | None, checks: list[Check], source: str = "mqtt"
) -> list[Event]:
    """One ``action`` event per device of the reply's commands, with its outcome."""
    status = {c.entity_id: c.status for c in checks}
    return [
        Event(
            kind="action",
            source=source,
            text=reply.text,
            tier=reply.tier,
            outcome=status.get(entity_id) or PUBLISHED,
            reply=reply.reply,
            entity_id=entity_id,
            commands=(Command(command.action, (entity_id,), command.data).to_dict(),),
            request_id=request_id,
        )
        for command in reply.commands
        for entity_id in command.entity_ids
    ]


def _name(registry: Registry, entity_id: str) -> str:
    device = registry.device(entity_id)
    return device.name if device is not None else entity_id
