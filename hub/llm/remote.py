"""A backend that asks an OpenAI-compatible server (llama.cpp, Ollama, vLLM, LM Studio).

For homes where a bigger machine on the network runs the model. Only the standard library is
used, so this costs hub no dependency.

Structured output is where the servers differ. OpenAI, vLLM, Ollama (0.5+), LM Studio and recent
llama-server take ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``.
llama-cpp-python's own server (0.3.36) only takes ``{"type": "json_object", "schema": ...}``
and answers the other shape with HTTP 500 and a validation message naming
``response_format``. So the OpenAI shape is sent first and, when a server rejects it, the
llama.cpp shape is tried once; whichever worked is remembered for later requests.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from hub.errors import LLMError
from hub.llm.backend import Generation, JsonSchema, Prompt

log = logging.getLogger(__name__)

OPENAI_FORMAT = "json_schema"  # OpenAI, vLLM, Ollama, LM Studio, recent llama-server
LLAMACPP_FORMAT = "json_object"  # llama-cpp-python's server, older llama-server
_BODY_EXCERPT = 300


class RemoteBackend:
    """An LLM backend speaking the OpenAI chat-completions API over HTTP."""

    name = "remote"

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        """``extra_body`` is merged into every request, for server-specific sampling fields:
        llama-cpp-python's server, for one, applies ``repeat_penalty`` 1.1 unless told
        ``{"repeat_penalty": 1.0}``, which can change what a greedy JSON answer says."""
        self.base_url = normalise_base_url(url)
        self.endpoint = self.base_url + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self._api_key = api_key
        self._extra = dict(extra_body or {})
        self._format = OPENAI_FORMAT
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        # Environment proxies must not capture a server on this machine.
        handlers = [urllib.request.ProxyHandler({})] if _is_loopback(host) else []
        self._opener = urllib.request.build_opener(*handlers)
        self._closed = False

    @property
    def schema_format(self) -> str:
        """The response_format shape this server accepts (learned on the first schema request)."""
        return self._format

    def generate(
        self,
        prompt: Prompt,
        schema: JsonSchema | None,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
    ) -> Generation:
        """Ask the server; with ``schema``, ask for JSON that obeys it."""
        if self._closed:
            raise LLMError("the remote backend is closed", code="closed")
        body: dict[str, Any] = {
            **self._extra,
            "messages": prompt.messages(),
            "temperature": temperature,
            "max_tokens": max_tokens,
            "stream": False,
        }
        if self.model:
            body["model"] = self.model
        start = time.perf_counter()
        reply = self._post(body) if schema is None else self._post_with_schema(body, schema)
        ms = (time.perf_counter() - start) * 1000
        gen = _parse_reply(reply, self.endpoint, ms)
        log.debug(
            "%s answered %d tokens in %.0f ms (prompt %d, cached %d)",
            self.endpoint,
            gen.completion_tokens,
            gen.ms,
            gen.prompt_tokens,
            gen.cached_tokens,
        )
        return gen

    def warm(self, prompt: Prompt) -> None:
        """Send the fixed prefix once so a server with a prompt cache keeps it evaluated."""
        self.generate(prompt, None, max_tokens=1)

    def close(self) -> None:
        """Nothing is held open between requests; later calls raise LLMError."""
        self._closed = True

    def _post_with_schema(self, body: dict[str, Any], schema: JsonSchema) -> dict[str, Any]:
        first = self._format
        try:
            return self._post({**body, "response_format": response_format(first, schema)})
        except _Rejected as exc:
            second = LLAMACPP_FORMAT if first == OPENAI_FORMAT else OPENAI_FORMAT
            log.info(
                "%s rejected response_format %s (HTTP %d); trying %s",
                self.endpoint,
                first,
                exc.status,
                second,
            )
            try:
                reply = self._post({**body, "response_format": response_format(second, schema)})
            except _Rejected:
                raise exc.as_error() from None
            self._format = second
            return reply

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(self.endpoint, data=data, headers=headers, method="POST")
        url = self.endpoint
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = _error_body(exc)
            if "response_format" in body and _rejects_format(exc.code, detail):
                raise _Rejected(url, exc.code, detail) from exc
            code = "server_down" if exc.code in (502, 503, 504) else "bad_response"
            raise LLMError(f"{url} answered HTTP {exc.code}: {detail}", code=code) from exc
        except urllib.error.URLError as exc:
            raise _transport_error(url, exc.reason, self.timeout) from exc
        except OSError as exc:  # includes timeouts and connections reset or closed unanswered
            raise _transport_error(url, exc, self.timeout) from exc
        except http.client.HTTPException as exc:  # answered, but not with HTTP
            message = f"{url} gave a malformed HTTP answer: {exc!r}"
            raise LLMError(message, code="bad_response") from exc
        try:
            reply = json.loads(raw)
        except ValueError as exc:
            raise LLMError(
                f"{url} answered with something that is not JSON: {_excerpt(raw)}",
                code="bad_response",
            ) from exc
        if not isinstance(reply, dict):
            raise LLMError(f"{url} answered JSON that is not an object", code="bad_response")
        return reply


def response_format(kind: str, schema: JsonSchema) -> dict[str, Any]:
    """The ``response_format`` value asking a server for JSON that obeys ``schema``."""
    if kind == LLAMACPP_FORMAT:
        return {"type": "json_object", "schema": schema}
    name = str(schema.get("title") or "hub_output")
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def normalise_base_url(url: str) -> str:
    """``http://host:port``, with or without ``/v1`` and a trailing slash, to ``.../v1``."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LLMError(f"not an http(s) URL: {url!r}", code="bad_url")
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class _Rejected(Exception):
    """The server refused the request, probably for its response_format shape."""

    def __init__(self, url: str, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}")
        self.url = url
        self.status = status
        self.detail = detail

    def as_error(self) -> LLMError:
        return LLMError(
            f"{self.url} answered HTTP {self.status}: {self.detail}", code="bad_response"
        )


def _rejects_format(status: int, detail: str) -> bool:
    # Only a refusal that names the field: retrying other errors (a prompt too long, say) in the
    # other shape could land on a server that accepts json_object but ignores its schema.
    # llama-cpp-python's server answers 500, not 400 or 422, for a shape it does not know.
    names_it = "response_format" in detail or "json_schema" in detail
    return status in (400, 422, 500) and names_it


def _transport_error(url: str, reason: object, timeout: float) -> LLMError:
    if isinstance(reason, TimeoutError):
        return LLMError(f"{url} did not answer within {timeout:g} s", code="timeout")
    if isinstance(reason, ConnectionRefusedError):
        return LLMError(f"{url} refused the connection: is the server running?", code="server_down")
    if isinstance(reason, socket.gaierror):
        return LLMError(f"{url}: host not found ({reason.strerror})", code="server_down")
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return LLMError(f"{url} is unreachable: {text}", code="server_down")


def _parse_reply(reply: dict[str, Any], url: str, ms: float) -> Generation:
    try:
        text = reply["choices"][0]["message"]["content"]
        if not isinstance(text, str):
            raise TypeError("message content is not text")
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMError(
            f"{url} answered JSON without a chat completion ({exc}): "
            f"{_excerpt(json.dumps(reply).encode())}",
            code="bad_response",
        ) from exc
    usage = reply.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    timings = reply.get("timings") or {}  # llama-server reports its prompt cache here
    cached = details.get("cached_tokens") or timings.get("cache_n") or 0
    return Generation(
        text=text,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        ms=ms,
        cached_tokens=int(cached),
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error_body(exc: urllib.error.HTTPError) -> str:
    try:
        return _excerpt(exc.read())
    except (OSError, http.client.HTTPException):
        return exc.reason if isinstance(exc.reason, str) else "(no body)"


def _excerpt(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text[:_BODY_EXCERPT] + ("…" if len(text) > _BODY_EXCERPT else "")
