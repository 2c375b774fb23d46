"""A hub reply as Home Assistant's Wyoming integration wants it: ``Handled`` or ``NotHandled``.

Home Assistant speaks the ``text`` of either. ``Handled`` becomes a normal answer; ``NotHandled``
an error response ("failed to handle"), which Home Assistant reports as such and which lets a
voice assistant fall back. So the line between them follows what the hub did:

- ``acted`` (commands were sent): ``Handled``, "Turning on Kitchen Light."
- ``answered`` (a state, the FAQ, a general answer): ``Handled``, the answer
- ``asked`` ("Which one: ...?", "Say 'yes' to confirm ..."): ``Handled``, the question
- ``refused`` (every command rejected, a security action from a source not allowed):
  ``NotHandled``, the reason
- ``not_understood``: ``NotHandled``, the hub's "Sorry, I didn't understand that."
- ``error``, or any reply carrying an error (empty, busy, broker away, expired, device
  unavailable, timeout): ``NotHandled``, the message

A question is ``Handled`` so that Home Assistant speaks it and the person can answer it: the
answer comes back with the same ``conversation_id``, which the hub keeps its questions under.
The conversation id is put back into the reply's ``context``. Home Assistant's integration does
not read that context (it keeps the id itself), but other Wyoming clients may.
"""

from __future__ import annotations

from typing import Any

from wyoming.handle import Handled, NotHandled

from hub.messages import Reply

HANDLED_OUTCOMES = frozenset({"acted", "answered", "asked"})


def to_event(reply: Reply, conversation_id: str | None = None) -> Handled | NotHandled:
    """The Wyoming event for ``reply`` (see the table above)."""
    context: dict[str, Any] | None = (
        {"conversation_id": conversation_id} if conversation_id is not None else None
    )
    if reply.error is None and reply.outcome in HANDLED_OUTCOMES:
        return Handled(text=reply.reply, context=context)
    text = reply.reply or (reply.error.message if reply.error is not None else "")
    return NotHandled(text=text, context=context)
