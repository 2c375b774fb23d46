"""The remote backend against a real llama_cpp.server and small local misbehaving servers."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hub.errors import LLMError
from hub.llm.backend import Generation, LLMBackend, Prompt
from hub.llm.remote import LLAMACPP_FORMAT, OPENAI_FORMAT, RemoteBackend, normalise_base_url

PROMPT = Prompt(
    system="Turn the request into a JSON home action.",
    examples=(("turn off the hall light", '{"action": "light.turn_off"}'),),
    user="turn on the kitchen light",
)
OK_REPLY = {
    "choices": [{"message": {"role": "assistant", "content": '{"action": "light.turn_on"}'}}],
    "usage": {"prompt_tokens": 40, "completion_tokens": 8, "prompt_tokens_details": {
        "cached_tokens": 32}},
}  # fmt: skip

# A handler answers (status, body) for a request's parsed JSON body and headers.
Answer = Callable[[dict[str, Any], dict[str, str]], tuple[int, bytes]]


class _Handler(BaseHTTPRequestHandler):
    answer: Answer
    seen: list[tuple[dict[str, Any], dict[str, str]]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.seen.append((body, headers))
        status, payload = self.answer(body, headers)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may have given up (timeout test)
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_server(
    answer: Answer,
) -> Iterator[tuple[str, list[tuple[dict[str, Any], dict[str, str]]]]]:
    """A tiny HTTP server on a free loopback port; yields its URL and the requests it saw."""
    seen: list[tuple[dict[str, Any], dict[str, str]]] = []
    handler = type("Handler", (_Handler,), {"answer": staticmethod(answer), "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ok(_body: dict[str, Any], _headers: dict[str, str]) -> tuple[int, bytes]:
    return 200, json.dumps(OK_REPLY).encode()


def test_real_llama_cpp_server_obeys_schema(llama_server: str, enum_schema: dict[str, Any]) -> None:
    backend = RemoteBackend(llama_server, timeout=120)
    gen = backend.generate(PROMPT, enum_schema, max_tokens=32)
    assert json.loads(gen.text)["action"] in {"light.turn_on", "light.turn_off"}
    assert gen.prompt_tokens > 0 and gen.completion_tokens > 0
    # llama-cpp-python's server refuses the OpenAI shape; the fallback is remembered.
    assert backend.schema_format == LLAMACPP_FORMAT
    again = backend.generate(PROMPT, enum_schema, max_tokens=32)
    assert json.loads(again.text)["action"] in {"light.turn_on", "light.turn_off"}


def test_nothing_listening_is_server_down_not_a_timeout() -> None:
    """A refused connection is told at once: waiting out the timeout would be code "timeout"."""
    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}", timeout=10)
    with pytest.raises(LLMError) as caught:
        backend.generate(PROMPT, None)
    assert caught.value.code == "server_down"
    assert "127.0.0.1" in str(caught.value) and "refused the connection" in str(caught.value)


def test_slow_server_is_a_timeout() -> None:
    def slow(_body: dict[str, Any], _headers: dict[str, str]) -> tuple[int, bytes]:
        time.sleep(1.0)
        return ok(_body, _headers)

    with fake_server(slow) as (url, _seen):
        backend = RemoteBackend(url, timeout=0.2)
        with pytest.raises(LLMError) as caught:
            backend.generate(PROMPT, None)
    assert caught.value.code == "timeout"
    assert url in str(caught.value)


def error_from(status: int, payload: bytes, schema: dict[str, Any] | None = None) -> LLMError:
    """The LLMError a request gets from a server that always answers ``status``, ``payload``."""
    with fake_server(lambda _b, _h: (status, payload)) as (url, _seen):
        try:
            RemoteBackend(url, timeout=5).generate(PROMPT, schema)
        except LLMError as exc:
            assert url in str(exc)
            return exc
    raise AssertionError("no LLMError raised")


def test_non_json_answer_is_bad_response() -> None:
    error = error_from(200, b"<html>hello</html>")
    assert error.code == "bad_response"
    assert "not JSON" in str(error)


def test_json_without_completion_is_bad_response() -> None:
    assert error_from(200, b'{"object": "list"}').code == "bad_response"


def test_http_error_is_bad_response_with_status() -> None:
    error = error_from(404, b'{"error": "model not found"}')
    assert error.code == "bad_response"
    assert "404" in str(error) and "model not found" in str(error)


def test_unavailable_is_server_down() -> None:
    assert error_from(503, b"loading model").code == "server_down"


def test_request_shape_messages_key_and_openai_format(enum_schema: dict[str, Any]) -> None:
    with fake_server(ok) as (url, seen):
        backend = RemoteBackend(
            url + "/v1/", model="qwen", api_key="s3cret", timeout=5, extra_body={"top_k": 1}
        )
        gen = backend.generate(PROMPT, enum_schema, max_tokens=50, temperature=0.0)
    assert gen.text == '{"action": "light.turn_on"}'
    assert (gen.prompt_tokens, gen.completion_tokens, gen.cached_tokens) == (40, 8, 32)
    body, headers = seen[0]
    assert headers["authorization"] == "Bearer s3cret"
    assert body["model"] == "qwen"
    assert body["top_k"] == 1
    assert body["max_tokens"] == 50 and body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][-1]["content"] == PROMPT.user
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "hub_output", "schema": enum_schema, "strict": True},
    }
    assert backend.schema_format == OPENAI_FORMAT


def test_rejected_openai_format_falls_back_once_and_remembers(
    enum_schema: dict[str, Any],
) -> None:
    def picky(body: dict[str, Any], _headers: dict[str, str]) -> tuple[int, bytes]:
        if body["response_format"]["type"] == "json_schema":
            return 422, b'{"detail": "response_format: Input should be text or json_object"}'
        return ok(body, _headers)

    with fake_server(picky) as (url, seen):
        backend = RemoteBackend(url, timeout=5)
        backend.generate(PROMPT, enum_schema)
        backend.generate(PROMPT, enum_schema)
    kinds = [body["response_format"]["type"] for body, _ in seen]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert seen[1][0]["response_format"]["schema"] == enum_schema


def test_both_formats_rejected_is_bad_response(enum_schema: dict[str, Any]) -> None:
    def refuse(_body: dict[str, Any], _headers: dict[str, str]) -> tuple[int, bytes]:
        return 400, b'{"error": "unsupported response_format"}'

    with fake_server(refuse) as (url, seen), pytest.raises(LLMError) as caught:
        RemoteBackend(url, timeout=5).generate(PROMPT, enum_schema)
    assert caught.value.code == "bad_response"
    assert len(seen) == 2


def test_other_client_errors_are_not_retried(enum_schema: dict[str, Any]) -> None:
    def too_long(_body: dict[str, Any], _headers: dict[str, str]) -> tuple[int, bytes]:
        return 400, b'{"error": "prompt exceeds the context size"}'

    with fake_server(too_long) as (url, seen), pytest.raises(LLMError) as caught:
        RemoteBackend(url, timeout=5).generate(PROMPT, enum_schema)
    assert caught.value.code == "bad_response"
    assert "context size" in str(caught.value)
    assert len(seen) == 1


@pytest.mark.parametrize(
    "url",
    ["http://h:8080", "http://h:8080/", "http://h:8080/v1", "http://h:8080/v1/"],
)
def test_base_url_with_or_without_v1(url: str) -> None:
    assert normalise_base_url(url) == "http://h:8080/v1"


def test_base_url_under_a_path_prefix() -> None:
    assert normalise_base_url("https://box/llm/") == "https://box/llm/v1"


def test_not_an_http_url() -> None:
    with pytest.raises(LLMError):
        RemoteBackend("localhost:8080")


def test_remote_keeps_the_backend_promises() -> None:
    """What LLMBackend promises: a name, warm() evaluates the fixed prefix, generate() is safe
    from several threads, and a closed backend raises LLMError without asking the server."""
    with fake_server(ok) as (url, seen):
        backend: LLMBackend = RemoteBackend(url, timeout=30)
        assert backend.name == "remote"
        backend.warm(PROMPT)
        [(warming, _)] = seen
        assert warming["max_tokens"] == 1 and "response_format" not in warming
        assert warming["messages"][:3] == PROMPT.messages()[:3]  # the system text and examples

        answers: list[Generation] = []
        errors: list[BaseException] = []

        def generate() -> None:
            try:
                answers.append(backend.generate(PROMPT, None))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=generate) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == [] and len(answers) == 8 and len(seen) == 9
        assert {a.text for a in answers} == {'{"action": "light.turn_on"}'}

        backend.close()
        for call in (lambda: backend.generate(PROMPT, None), lambda: backend.warm(PROMPT)):
            with pytest.raises(LLMError) as caught:
                call()
            assert caught.value.code == "closed"
        assert len(seen) == 9  # nothing reached the server after close()
