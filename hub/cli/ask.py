"""``hub ask``: one request from the command line, or many as JSON lines on stdin."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import IO, Any

import click

from hub.app.build import build_pipeline, find_config
from hub.cli.options import config_option, tier_option
from hub.messages import ErrorInfo, Reply
from hub.pipeline import Pipeline, make_request
from hub.store.memory import Memory

JSONL_KEYS = ("text", "area", "state", "id", "conversation_id")
MAX_CONVERSATION_ID = 128


@click.command("ask")
@click.argument("text", required=False)
@config_option
@click.option("--area", help="The area the request comes from (id or name), e.g. kitchen.")
@click.option("--json", "as_json", is_flag=True, help="Print the reply as one JSON object.")
@click.option(
    "--jsonl",
    is_flag=True,
    help="Read one request a line from stdin (text, or JSON with text, area, state, "
    "conversation_id); write one JSON reply a line.",
)
@tier_option
@click.option(
    "--publish",
    is_flag=True,
    help="Publish the commands over MQTT, as `hub run` does (needs an mqtt: section).",
)
@click.option(
    "--no-memory",
    is_flag=True,
    help="Neither read the caches nor write the event log (the database is not opened).",
)
def ask(
    text: str | None,
    config_path: str | None,
    area: str | None,
    as_json: bool,
    jsonl: bool,
    tier: str,
    publish: bool,
    no_memory: bool,
) -> None:
    """Turn TEXT into validated device commands and print them.

    \b
    Examples:
      hub ask "dim the kitchen to 30%"
      hub ask --area kitchen "turn on the lights"
      echo '{"text": "lock the front door"}' | hub ask --jsonl

    On a terminal, a question the hub asks ("Which one ...?", "Say 'yes' to confirm ...")
    waits for your answer.
    """
    if jsonl and text is not None:
        raise click.UsageError("give TEXT or --jsonl, not both")
    if not jsonl and text is None:
        raise click.UsageError("missing TEXT (or use --jsonl to read requests from stdin)")
    config = find_config(config_path)
    memory = None
    if config.store.enabled and not no_memory:
        memory = Memory.open(config, config.registry())
        click.get_current_context().call_on_close(memory.close)
    pipeline = build_pipeline(config, tier, memory=memory)
    if publish:
        from hub.mqtt.publish import publishing

        pipeline = click.get_current_context().with_resource(publishing(pipeline, config))
    if jsonl:
        pipeline.warm(llm=False)  # the model loads on the first request that needs it
        run_jsonl(pipeline, sys.stdin.buffer, sys.stdout)
        return
    assert text is not None
    conversation = f"cli-{os.getpid()}"
    while True:
        request = make_request(pipeline.registry, text, area=area)
        reply = pipeline.ask(replace(request, conversation_id=conversation))
        if as_json:
            click.echo(json.dumps(reply.to_dict(), ensure_ascii=False))
        else:
            click.echo(format_reply(reply))
        if reply.outcome != "asked" or not sys.stdin.isatty():
            break
        text = click.prompt(">", prompt_suffix=" ", default="", show_default=False)
        if not text.strip():
            break
    if reply.error is not None:
        sys.exit(1)


def format_reply(reply: Reply) -> str:
    lines = []
    for command in reply.commands:
        target = ", ".join(command.entity_ids)
        data = " ".join(f"{k}={v}" for k, v in command.data.items())
        lines.append(f"{command.action} → {target}" + (f" ({data})" if data else ""))
    for rejection in reply.rejected:
        lines.append(f"rejected [{rejection.code}]: {rejection.reason}")
    if reply.error is not None:
        lines.append(f"error [{reply.error.code}]: {reply.error.message}")
    elif reply.reply:
        lines.append(reply.reply)
    lines.append(f"[{reply.tier}, {reply.ms:.1f} ms]")
    return "\n".join(lines)


def run_jsonl(pipeline: Pipeline, stdin: IO[bytes], stdout: IO[str]) -> None:
    """One reply line per input line; a bad line gets an error object and the loop goes on."""
    for raw in _lines(stdin):
        out = _answer_line(pipeline, raw)
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        stdout.flush()


def _lines(stdin: IO[bytes]) -> Iterator[bytes]:
    for line in stdin:
        if line.strip():
            yield line


def _error_line(text: Any, code: str, message: str) -> dict[str, Any]:
    return Reply(text=text, reply=message, error=ErrorInfo(code, message)).to_dict()


def _answer_line(pipeline: Pipeline, raw: bytes) -> dict[str, Any]:
    try:
        line = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        return _error_line(
            None, "bad_encoding", f"The line is not UTF-8 text ({exc.reason} at byte {exc.start})."
        )
    text: Any = line
    area = None
    state: Mapping[str, Any] = {}
    request_id = None
    conversation: Any = None
    if line.startswith(("{", "[")):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            return _error_line(
                None, "bad_json", f"The line is not valid JSON: {exc.msg} (column {exc.colno})."
            )
        if not isinstance(obj, dict):
            return _error_line(None, "bad_json", "A JSON request must be an object.")
        text = obj.get("text")
        if not isinstance(text, str):
            return _error_line(text, "bad_request", "'text' must be a string.")
        area = obj.get("area")
        if area is not None and not isinstance(area, str):
            return _error_line(text, "bad_request", "'area' must be a string.")
        state = obj.get("state") or {}
        if not isinstance(state, dict) or not all(isinstance(v, dict) for v in state.values()):
            return _error_line(text, "bad_request", "'state' must map entity ids to states.")
        request_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        conversation = obj.get("conversation_id")
        if conversation is not None and (
            not isinstance(conversation, str | int) or len(str(conversation)) > MAX_CONVERSATION_ID
        ):
            message = f"'conversation_id' must be a string of at most {MAX_CONVERSATION_ID} chars."
            return _error_line(text, "bad_request", message)
    try:
        request = make_request(
            pipeline.registry, text, area=area, states=state, request_id=request_id
        )
        if conversation is not None:
            request = replace(request, conversation_id=str(conversation))
        return pipeline.ask(request).to_dict()
    except Exception as exc:  # one bad line must never end the stream
        return _error_line(text, "internal", f"Internal error: {exc}")
