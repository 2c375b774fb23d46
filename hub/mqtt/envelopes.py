"""Answers to MQTT requests and commands: what they say, and where they go.

An answer is the Reply of ``hub ask --json`` plus the request's ``id``; an error answer carries
``{"error": {"code", "message"}}``. It goes to the request's ``reply_to``, else the MQTT v5
response topic (with the correlation data), else ``<prefix>/response``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from hub.integrations.router import OutMessage
from hub.messages import ErrorInfo, Reply
from hub.mqtt.inbound import Inbound, Parsed
from hub.mqtt.topics import KnownTopics, Topics
from hub.registry import Registry
from hub.replies import describe
from hub.validator import validate


@dataclass(frozen=True)
class Answer:
    topic: str
    correlation: bytes | None
    reply: Reply
    id: str | None = None
    messages: tuple[OutMessage, ...] | list[OutMessage] = ()  # what was published for it
    # per entity: {"entity_id", "action", "status"} (confirmed, unconfirmed, failed, published,
    # unavailable); only when the daemon checks actions (a discovery: section)
    verified: tuple[dict[str, str], ...] = ()

    @cached_property
    def body(self) -> dict[str, Any]:
        body = {**self.reply.to_dict(), "id": self.id}
        if self.verified:
            body["verified"] = [dict(v) for v in self.verified]
        return body

    def payload(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


@dataclass(frozen=True)
class Destination:
    topic: str
    error: ErrorInfo | None = None


def destination(
    topics: Topics, inbound: Inbound, parsed: Parsed, known: KnownTopics | None = None
) -> Destination:
    """Where the answer goes; an unusable requested topic is an error answered on the default.

    ``known``: the devices' topics (``hub.mqtt.device_topics``), refused like the hub's own."""
    for requested, field in (
        (parsed.reply_to, "reply_to"),
        (inbound.response_topic, "response topic"),
    ):
        if requested:
            problem = topics.reply_problem(requested, known)
            if problem:
                return Destination(
                    topics.response,
                    ErrorInfo("bad_reply_to", f"The {field} is unusable: {problem}."),
                )
            return Destination(requested)
    return Destination(topics.response)


def error_reply(
    topics: Topics,
    inbound: Inbound,
    parsed: Parsed,
    code: str,
    message: str,
    reply: Reply | None = None,
    known: KnownTopics | None = None,
) -> Answer:
    error = ErrorInfo(code, message)
    if reply is None:
        reply = Reply(text=parsed.text or "", reply=message, error=error)
    else:
        reply = replace(reply, error=error)
    where = destination(topics, inbound, parsed, known)
    return Answer(where.topic, inbound.correlation, reply, parsed.id)


def reply_to_command(parsed: Parsed, registry: Registry) -> Reply:
    """A direct command: validated like any other, then described (tier ``direct``)."""
    start = time.perf_counter()
    raw = dict(parsed.command or {})
    checked = validate(raw, registry)
    ms = (time.perf_counter() - start) * 1000
    rejection = checked.rejection
    if rejection is not None:
        return Reply(
            text=json.dumps(raw, ensure_ascii=False)[:200],
            reply=f"I can't do that: {rejection.reason}.",
            tier="direct",
            ms=ms,
            rejected=(rejection,),
            error=ErrorInfo(rejection.code, rejection.reason),
        )
    command = checked.command
    if command is None:
        raise RuntimeError("the validator returned neither a command nor a rejection")
    return Reply(
        text=f"{command.action} {', '.join(command.entity_ids)}"
        + (f" {json.dumps(dict(command.data), ensure_ascii=False)}" if command.data else ""),
        commands=(command,),
        reply=describe([command], registry),
        tier="direct",
        ms=ms,
    )
