"""A local OpenAI-compatible chat-completions server for tests: scripted replies, recorded requests.

    def test_retry(openai_server):
        openai_server.script = in_order(Reply.rate_limited(retry_after=0.2), Reply.text("Hi"))
        ...  # ModelSettings(model="openai/test-model", api_base=openai_server.url)
        assert [r.json["seed"] for r in openai_server.requests] == [7, 7]

The server runs its own asyncio loop (aiohttp, a dependency of litellm) in a background thread, so
sync and async tests can use it and many requests are served at once. `script` is any callable
`(request_json) -> Reply`; it is called on the server's loop, once per request, in arrival order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiohttp import web

__all__ = ["OpenAIServer", "RecordedRequest", "Reply", "always", "in_order", "openai_server", "tool_call"]

Script = Callable[[dict[str, Any]], "Reply"]


def tool_call(name: str, arguments: dict[str, Any] | str, call_id: str | None = None) -> dict[str, Any]:
    """An OpenAI tool call; a str `arguments` is sent verbatim, so it may be malformed JSON."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id or f"call_{name}", "type": "function", "function": {"name": name, "arguments": text}}


@dataclass(frozen=True)
class Reply:
    """What the server answers to one request: an assistant message, or an HTTP error.

    In `content` and `error`, "{api_key}" becomes the caller's bearer token (a server that leaks it).
    """

    status: int = 200
    content: str | None = None
    tool_calls: tuple[dict[str, Any], ...] = ()
    finish_reason: str = "stop"
    error: str = ""  # the error body's message
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (latency, or a hang past the client timeout)

    @classmethod
    def text(cls, content: str) -> Reply:
        return cls(content=content)

    @classmethod
    def calls(cls, *tool_calls: dict[str, Any]) -> Reply:
        """Tool calls (build them with `tool_call`), e.g. an unknown tool name or wrong argument types."""
        return cls(tool_calls=tool_calls, finish_reason="tool_calls")

    @classmethod
    def empty(cls) -> Reply:
        return cls(content="")

    @classmethod
    def endless(cls, content: str = "and then, and then, and then") -> Reply:
        """A reply that ran out of tokens: content cut, finish_reason "length"."""
        return cls(content=content, finish_reason="length")

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        return cls(status=429, error="Rate limit reached, slow down", headers=headers)

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        return cls(status=status, error=f"The server had an error ({status})")

    @classmethod
    def unauthorized(cls) -> Reply:
        """401 echoing the presented key, as OpenAI's "Incorrect API key provided: sk-..." does."""
        return cls(status=401, error="Incorrect API key provided: {api_key}")

    @classmethod
    def bad_request(cls, message: str = "Invalid request") -> Reply:
        return cls(status=400, error=message)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        """No answer for `seconds` (the server's shutdown cuts it short), then a text reply."""
        return cls(content="too late", delay=seconds)

    def after(self, seconds: float) -> Reply:
        """The same reply, sent `seconds` after the request arrived."""
        return replace(self, delay=seconds)


def in_order(*replies: Reply) -> Script:
    """A script answering with `replies` in turn, then repeating the last one."""
    remaining: Iterator[Reply] = itertools.chain(replies, itertools.repeat(replies[-1]))
    return lambda _request: next(remaining)


def always(reply: Reply) -> Script:
    return lambda _request: reply


def echo_last_message(request: dict[str, Any]) -> Reply:
    """The default script: repeat the last message's content."""
    return Reply.text(f"echo: {request['messages'][-1].get('content') or ''}")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; `received_at` is `time.perf_counter()`."""

    path: str
    headers: dict[str, str]
    json: dict[str, Any]
    received_at: float

    @property
    def bearer_token(self) -> str | None:
        authorization = self.headers.get("Authorization", "")
        return authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None


def _word_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: one token per four words, rounded up."""
    return (len(text.split()) + 3) // 4


def _completion_body(request: dict[str, Any], reply: Reply, number: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = list(reply.tool_calls)
    prompt_tokens = _word_tokens(json.dumps(request.get("messages", [])))
    completion_tokens = _word_tokens(json.dumps(message))
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": request.get("model", "unknown"),
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class OpenAIServer:
    """Serves POST /v1/chat/completions (and /chat/completions) on a free 127.0.0.1 port."""

    def __init__(self, script: Script = echo_last_message) -> None:
        self.script = script
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="openai-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Cut hanging replies short, close every connection, end the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_post("/chat/completions", self._chat_completions)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock, backlog=1024).start()

    async def _shutdown(self) -> None:
        assert self._closing is not None and self._runner is not None
        self._closing.set()
        await self._runner.cleanup()

    async def _chat_completions(self, request: web.Request) -> web.Response:
        received_at = time.perf_counter()
        body = await request.json()
        recorded = RecordedRequest(request.path, dict(request.headers), body, received_at)
        self.requests.append(recorded)
        number = len(self.requests)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            reply = self.script(body)
            if reply.delay > 0:
                assert self._closing is not None
                try:
                    await asyncio.wait_for(self._closing.wait(), reply.delay)
                except TimeoutError:
                    pass
            return self._response(body, reply, recorded, number)
        finally:
            self.in_flight -= 1

    @staticmethod
    def _response(body: dict[str, Any], reply: Reply, recorded: RecordedRequest, number: int) -> web.Response:
        key = recorded.bearer_token or ""
        if reply.status != 200:
            message = reply.error.replace("{api_key}", key)
            error = {"error": {"message": message, "type": "cove_test_error", "code": str(reply.status)}}
            return web.json_response(error, status=reply.status, headers=reply.headers)
        if reply.content:
            reply = replace(reply, content=reply.content.replace("{api_key}", key))
        return web.json_response(_completion_body(body, reply, number), headers=reply.headers)


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A local OpenAI-compatible server; set `.script`, read `.requests`, point clients at `.url`."""
    with OpenAIServer() as server:
        yield server
