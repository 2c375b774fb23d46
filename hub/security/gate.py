"""The last word before anything is done: security actions, negated requests, private answers.

``guard`` takes the validated reply of the tiers and returns the reply the hub gives:
- a request that says "don't" is never acted on;
- a security action from a source or area the config does not allow is refused;
- a security action that needs a confirmation becomes the question "Say 'yes' to confirm: ...",
  with the commands kept as ``pending`` for the conversation (``hub.dialogue``); without a
  conversation to answer in, it is refused;
- a private FAQ answer is told only to the sources and areas allowed security actions.
Refusals carry an error code: ``negated``, ``not_allowed``, ``needs_confirmation``.
"""

from __future__ import annotations

from dataclasses import replace

from hub.messages import ErrorInfo, Reply, Request
from hub.registry import Registry
from hub.replies import describe
from hub.security.negation import is_negated
from hub.security.policy import SecurityPolicy

PRIVATE_REFUSAL = "That answer is private, and this request may not hear it"


def guard(
    policy: SecurityPolicy,
    reply: Reply,
    request: Request,
    registry: Registry,
    *,
    conversation: bool,
) -> Reply:
    if reply.private:
        refusal = policy.refusal(request.source, request.area)
        if refusal is not None:
            return _refuse(reply, "not_allowed", f"{PRIVATE_REFUSAL}: {refusal}.")
        return reply
    commands = reply.commands
    if not commands:
        return reply
    secure = policy.any_security(commands, registry)
    what = describe(commands, registry)
    if is_negated(request.text):
        if secure or not conversation:
            message = f"You said not to, so I did nothing ({what.rstrip('.')})."
            return replace(_refuse(reply, "negated", message), secure=secure)
        # an ordinary action: perhaps the "not" was about something else; a "yes" does it
        return replace(
            reply,
            commands=(),
            reply=f"You said not to, so I did nothing. Did you mean: {what}",
            outcome="asked",
            pending=commands,
        )
    if not secure:
        return reply
    refusal = policy.refusal(request.source, request.area)
    if refusal is not None:
        return replace(_refuse(reply, "not_allowed", f"I can't do that: {refusal}."), secure=True)
    if not policy.needs_confirmation(commands, registry, reply.tier):
        return replace(reply, secure=True)
    if not conversation:
        message = (
            f"{what.rstrip('.')} needs a confirmation, and this request has no conversation "
            "to confirm it in (give it a conversation_id); nothing was done."
        )
        return replace(_refuse(reply, "needs_confirmation", message), secure=True)
    pin = " and the PIN" if policy.config.pin else ""
    return replace(
        reply,
        commands=(),
        reply=f"Say 'yes'{pin} to confirm: {what}",
        outcome="asked",
        secure=True,
        pending=commands,
    )


def _refuse(reply: Reply, code: str, message: str) -> Reply:
    return replace(
        reply,
        commands=(),
        reply=message,
        outcome="refused",
        error=ErrorInfo(code, message),
        pending=(),
        choices=(),
    )
