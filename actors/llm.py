"""Model calls through litellm: bounded concurrency, retries with backoff, a recorded `ModelCall` per reply.

    settings = ModelSettings(model="openai/gpt-4.1-mini", api_key_env="OPENAI_API_KEY")
    client = ModelClient("agent", settings)          # built at the edge; reads the key once
    reply = await client.complete(messages, tools, seed=7)
    reply.message  # {"role": "assistant", "content": None, "tool_calls": [...]}
    reply.call     # events.ModelCall: model, parameters, usage, cost, latency, attempts

Offline models are our own functions: after `register_scripted_model("echo", respond)`, `cove/echo`
answers with `respond(messages, tools, params)`, called in process (no litellm). The record is the
one litellm's custom provider "cove" would give (`ModelSettings(scripted_via_litellm=True)` takes
that path, to prove it; code that calls litellm itself uses `litellm_with_scripted_models()`).

The API key lives only in the client and in the request litellm sends; every message, log line,
record and error that leaves this module has it replaced by "***". litellm is imported on first
use (it costs seconds and ~190 MB), with its bundled price list instead of a download: a run whose
models are all scripted never imports it.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import hashlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator

from actors.memo import Kept
from events.calls import ModelCall, ModelRole, TokenUsage

log = structlog.get_logger(__name__)

SCRIPTED_PROVIDER = "cove"
_CLIENT_OWNED_PARAMS = frozenset(
    ("model", "messages", "tools", "seed", "api_key", "api_base", "temperature", "max_tokens", "timeout")
    + ("num_retries", "max_retries")
)
_SECRET_LOOKING = re.compile(r"key|secret|password|auth|credential|header|token(?!s$)", re.IGNORECASE)
_TRANSIENT_STATUS = {408, 409, 429}
# Failures no retry and no other dialogue gets past: a refused key, a model or provider that does not exist.
# A run stops at the first one (see cove/run.py) instead of failing every dialogue the same way.
RUN_STOPPING_ERRORS = frozenset({"authentication_error", "permission_denied_error", "not_found_error", "unknown_provider"})
_MESSAGE_LIMIT = 1000

Respond = Callable[[list[dict[str, Any]], list[dict[str, Any]] | None, dict[str, Any]], dict[str, Any]]


class ModelSettings(BaseModel):
    """Which model to call and how; names the env var holding the API key, never the key itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1)  # "openai/gpt-4.1-mini", "hosted_vllm/...", "cove/scripted-agent"
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    max_tokens: int | None = None
    timeout: float = Field(60.0, gt=0)  # seconds per attempt
    max_attempts: int = Field(5, ge=1)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(30.0, ge=0)
    concurrency: int = Field(8, ge=1)
    extra: dict[str, Any] = {}  # further litellm parameters (top_p, drop_params, ...)
    scripted_via_litellm: bool = False  # a cove/ model through litellm's custom provider, not called in process

    @field_validator("extra")
    @classmethod
    def _refuse_owned_or_secret_params(cls, extra: dict[str, Any]) -> dict[str, Any]:
        for name in extra:
            if name in _CLIENT_OWNED_PARAMS or _SECRET_LOOKING.search(name):
                raise ValueError(f"extra parameter {name!r} is set by the client or may hold a secret")
        return extra

    def recorded_parameters(self) -> dict[str, Any]:
        """The request parameters a `ModelCall` records (no key, no retry policy)."""
        parameters = dict(temperature=self.temperature, max_tokens=self.max_tokens, timeout=self.timeout,
                          api_base=self.api_base, **self.extra)
        return {name: value for name, value in parameters.items() if value is not None}


@dataclass(frozen=True)
class ModelReply:
    """The assistant message in OpenAI format, and the record of the call that produced it."""

    message: dict[str, Any]
    call: ModelCall


class ModelCallError(Exception):
    """A model request that failed: at once (auth, bad request) or after its last attempt."""

    def __init__(
        self, error_type: str, message: str, *, attempts: int, retryable: bool, role: ModelRole, model: str
    ) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type, self.message, self.attempts, self.retryable = error_type, message, attempts, retryable
        self.role, self.model = role, model

    def to_event_fields(self) -> dict[str, Any]:
        """Keyword arguments for `events.ModelCallFailed` (the envelope fields are the caller's)."""
        return dict(role=self.role, model=self.model, error_type=self.error_type, message=self.message,
                    attempts=self.attempts, retryable=self.retryable)


@dataclass(frozen=True)
class _Failure:
    """Why one attempt did not give a usable reply."""

    error_type: str
    message: str
    retry: bool  # worth another attempt now
    retryable: bool  # when the attempts are used up: may trying later help?
    retry_after: float | None = None


@dataclass(frozen=True)
class _Answer:
    """What one attempt brought back, from litellm's response or from a scripted model in process."""

    content: str | None
    tool_calls: list[Mapping[str, Any]] | None
    finish_reason: str | None
    id: str
    model: str
    usage: TokenUsage
    script: dict[str, Any] | None = None
    response: Any = None  # litellm's, for the price; None in process


class ScriptedModelError(Exception):
    """A scripted model that is not registered (`not_found_error`) or whose function failed (`bad_request_error`)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type, self.message = error_type, message


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it said."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    if (value := headers.get("retry-after")) is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if email.utils.parsedate(value) else None
        return max(when.timestamp() - time.time(), 0.0) if when else None


def _classify_exception(exc: BaseException, scrub: Callable[[str], str], timeout: float) -> _Failure:
    """Transient (timeouts, 408/409/429, 5xx, lost connections) or not, with a key-free message."""
    if isinstance(exc, ScriptedModelError):  # deterministic: trying again gives the same answer
        return _Failure(exc.error_type, scrub(exc.message)[:_MESSAGE_LIMIT], retry=False, retryable=False)
    if isinstance(exc, TimeoutError):
        return _Failure("timeout", f"no reply within {timeout:g} s", retry=True, retryable=True)
    status = getattr(exc, "status_code", None)
    transient = isinstance(status, int) and (status in _TRANSIENT_STATUS or status >= 500)
    message = scrub(str(getattr(exc, "message", None) or exc))[:_MESSAGE_LIMIT]
    retry_after = _retry_after(exc) if transient else None
    error_type = "unknown_provider" if "LLM Provider NOT provided" in message else _snake_case(type(exc).__name__)
    return _Failure(error_type, message, transient, transient, retry_after)


def stops_the_run(error_type: str, retryable: bool) -> bool:
    """A model call that failed this way will fail for every dialogue: the run should stop, not go on."""
    return not retryable and error_type in RUN_STOPPING_ERRORS


def model_problem(model: str, api_base: str | None = None, has_api_key: bool = False) -> str | None:
    """Why `model` cannot be called at all (an unknown provider or scripted model, no API key where one is needed), or None.

    Imports litellm (seconds): call it once, before a run starts.
    """
    if model.startswith(f"{SCRIPTED_PROVIDER}/"):
        name = model.removeprefix(f"{SCRIPTED_PROVIDER}/")
        return None if name in _SCRIPTED_MODELS else f"no scripted model named {name!r} (there are: {', '.join(sorted(_SCRIPTED_MODELS))})"
    litellm = _litellm()
    try:
        litellm.get_llm_provider(model, api_base=api_base)
    except Exception:  # litellm says "LLM Provider NOT provided" with a banner of advice
        return "litellm knows no provider for it (name one, e.g. openai/gpt-4.1-mini, or hosted_vllm/NAME with a base URL)"
    if has_api_key or api_base:
        return None
    missing = [name for name in litellm.validate_environment(model=model).get("missing_keys", []) if name.endswith("_API_KEY")]
    return f"no API key: set {' or '.join(missing)}, or name the variable that holds it" if missing else None


def _assistant_message(content: str | None, tool_calls: list[Mapping[str, Any]] | None) -> dict[str, Any]:
    """The OpenAI assistant message: role, content, and tool_calls only when there are some.

    Arguments stay the string the model sent, even when it is not valid JSON (the caller's to judge).
    """
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [_tool_call(call, index) for index, call in enumerate(tool_calls)]
    return message


def _tool_call(call: Mapping[str, Any], index: int) -> dict[str, Any]:
    function = call["function"]
    arguments = function.get("arguments")
    text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return {"id": call.get("id") or f"call_{index}", "type": "function",
            "function": {"name": function["name"], "arguments": text}}


def _unusable_reply(message: Mapping[str, Any], finish_reason: str | None) -> _Failure | None:
    """An empty reply, or one cut by the token limit before anything usable came out."""
    has_text = bool((message.get("content") or "").strip())
    calls = message.get("tool_calls", [])
    if finish_reason == "length" and not has_text and (not calls or not all(_parses(c) for c in calls)):
        return _Failure("truncated_reply", "reply cut by the token limit before any usable content", True, False)
    if not has_text and not calls:
        return _Failure("empty_reply", "reply had no content and no tool calls", True, False)
    return None


def _parses(call: Mapping[str, Any]) -> bool:
    try:
        json.loads(call["function"]["arguments"])
    except ValueError:
        return False
    return True


def backoff_delay(settings: ModelSettings, attempt: int, seed: int | None, retry_after: float | None) -> float:
    """Seconds to wait after failed `attempt`: the server's Retry-After, else exponential with jitter."""
    if retry_after is not None:
        return min(retry_after, settings.backoff_max)
    exponential = min(settings.backoff_base * 2 ** (attempt - 1), settings.backoff_max)
    return exponential * random.Random(f"{seed}:{attempt}").uniform(0.5, 1.0)


class ModelClient:
    """Calls one model for one role: at most `settings.concurrency` requests in flight."""

    def __init__(self, role: str, settings: ModelSettings, api_key: str | None = None) -> None:
        self.role = ModelRole(role)
        self.settings = settings
        if api_key is None and settings.api_key_env is not None:
            api_key = os.environ.get(settings.api_key_env)
            if api_key is None:
                raise ValueError(f"environment variable {settings.api_key_env} (the API key) is not set")
        self._api_key = api_key or None
        self._semaphore = asyncio.Semaphore(settings.concurrency)

    def __repr__(self) -> str:
        return f"ModelClient(role={self.role.value!r}, model={self.settings.model!r})"

    def scrub(self, text: str) -> str:
        """`text` with the API key replaced by "***"."""
        return text.replace(self._api_key, "***") if self._api_key else text

    def _scrub_json(self, value: Any) -> Any:
        """`value` with the API key replaced wherever it occurs; no key, nothing to serialise."""
        if not self._api_key:
            return value
        text = json.dumps(value, default=str)
        return json.loads(self.scrub(text)) if self._api_key in text else value

    @property
    def in_process(self) -> bool:
        """A scripted model answered by calling its function, not through litellm."""
        return self.settings.model.startswith(f"{SCRIPTED_PROVIDER}/") and not self.settings.scripted_via_litellm

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None, *, seed: int | None = None
    ) -> ModelReply:
        """The model's reply to `messages`, retried on transient failures and empty or cut replies."""
        settings = self.settings
        answer_once = self._in_process_answer(messages, tools, seed) if self.in_process else self._litellm_answer(messages, tools, seed)
        for attempt in range(1, settings.max_attempts + 1):
            try:
                async with self._semaphore:
                    started = time.perf_counter()
                    answer = await answer_once()
                    latency = time.perf_counter() - started
            except Exception as exc:  # litellm maps provider errors to its own exception types
                failure = _classify_exception(exc, self.scrub, settings.timeout)
            else:
                message = self._scrub_json(_assistant_message(answer.content, answer.tool_calls))
                failure = _unusable_reply(message, answer.finish_reason)
                if failure is None:
                    return ModelReply(message, self._record(answer, message, seed, latency, attempt))
            if not failure.retry or attempt == settings.max_attempts:
                raise self._error(failure, attempt) from None
            delay = backoff_delay(settings, attempt, seed, failure.retry_after)
            log.warning(
                "model_call_retry", role=self.role.value, model=settings.model, attempt=attempt,
                error_type=failure.error_type, error=failure.message, delay_s=round(delay, 3),
            )
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _litellm_answer(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, seed: int | None
    ) -> Callable[[], Awaitable[_Answer]]:
        """One attempt through litellm, bounded by the timeout."""
        request = self._request(messages, tools, seed)
        litellm = _litellm()  # the first import takes seconds: not inside the attempt's timeout

        async def attempt() -> _Answer:
            async with asyncio.timeout(self.settings.timeout):
                response = await litellm.acompletion(**request)
            return self._answer_of(response)

        return attempt

    def _in_process_answer(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, seed: int | None
    ) -> Callable[[], Awaitable[_Answer]]:
        """One attempt of a scripted model: its function called here, with the parameters litellm would hand it."""
        settings = self.settings
        name = settings.model.removeprefix(f"{SCRIPTED_PROVIDER}/")
        optional = dict(max_tokens=settings.max_tokens, seed=seed)
        params = {"temperature": settings.temperature} | {key: value for key, value in optional.items() if value is not None}
        params |= settings.extra

        sent = _as_litellm_sends(messages)

        async def attempt() -> _Answer:
            reply = scripted_reply(name, sent, tools or None, params)
            return _Answer(reply.message.get("content"), reply.message.get("tool_calls"), reply.finish_reason,
                           reply.id, reply.model, reply.usage, reply.script)

        return attempt

    def _answer_of(self, response: Any) -> _Answer:
        """What the client reads of a litellm response."""
        choice = response.choices[0].model_dump() if response.choices else {"message": {}}
        usage = getattr(response, "usage", None)
        tokens = TokenUsage(**{name: getattr(usage, name, 0) or 0 for name in TokenUsage.model_fields})
        return _Answer(choice["message"].get("content"), choice["message"].get("tool_calls"), choice.get("finish_reason"),
                       response.id, response.model, tokens, self._script(choice["message"]), response)

    def _request(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, seed: int | None
    ) -> dict[str, Any]:
        """litellm's keyword arguments; its own retries are off (num_retries, and the SDK's max_retries)."""
        settings = self.settings
        request = dict(model=settings.model, messages=messages, temperature=settings.temperature,
                       timeout=settings.timeout, num_retries=0, max_retries=0, **settings.extra)
        optional = dict(tools=tools or None, seed=seed, max_tokens=settings.max_tokens,
                        api_base=settings.api_base, api_key=self._api_key)
        if settings.model.startswith(f"{SCRIPTED_PROVIDER}/"):
            # our offline models are free: saying so spares litellm's price-list search on every call
            request |= {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0}
        return request | {name: value for name, value in optional.items() if value is not None}

    def _script(self, message: Mapping[str, Any]) -> dict[str, Any] | None:
        """What a scripted model says about its own reply (its dialogue acts, its deliberate mistakes)."""
        if not self.settings.model.startswith(f"{SCRIPTED_PROVIDER}/"):
            return None  # a real model's provider fields are not ours to read
        return (message.get("provider_specific_fields") or {}).get(SCRIPTED_PROVIDER)

    def _record(
        self, answer: _Answer, message: dict[str, Any], seed: int | None, latency: float, attempts: int
    ) -> ModelCall:
        """The `ModelCall`: latency is the successful attempt's round trip (no queueing, no backoff).

        A scripted model's script (acts, mistakes) is kept in `raw_response["script"]`: ground truth
        for benchmarks and for the scripted agent, never shown to a verifier or an export.
        """
        raw = dict(id=answer.id, model=answer.model, message=message, finish_reason=answer.finish_reason,
                   usage=answer.usage.model_dump())
        if answer.script:
            raw["script"] = answer.script
        parameters = self.settings.recorded_parameters() | ({"seed": seed} if seed is not None else {})
        return ModelCall(
            model=self.settings.model, parameters=self._scrub_json(parameters), usage=answer.usage,
            cost_usd=self._cost(answer.response), latency_s=latency, attempts=attempts, raw_response=self._scrub_json(raw),
        )

    def _cost(self, response: Any) -> float:
        """USD from litellm's bundled price list; 0.0 for scripted and unpriced models."""
        if self.settings.model.startswith(f"{SCRIPTED_PROVIDER}/") or response is None:
            return 0.0
        hidden = getattr(response, "_hidden_params", None) or {}
        try:  # litellm usually priced it already, with the same function: None means it could not
            if "response_cost" in hidden:
                return float(hidden["response_cost"] or 0.0)
            return float(_litellm().completion_cost(completion_response=response) or 0.0)
        except Exception:  # unknown model, missing usage: cost is informative, never fatal
            return 0.0

    def _error(self, failure: _Failure, attempts: int) -> ModelCallError:
        # a warning: the caller records the failure as an event (ModelCallFailed); `cove run` reports what it means
        log.warning(
            "model_call_failed", role=self.role.value, model=self.settings.model, attempts=attempts,
            error_type=failure.error_type, error=failure.message, retryable=failure.retryable,
        )
        return ModelCallError(
            failure.error_type, failure.message, attempts=attempts, retryable=failure.retryable,
            role=self.role, model=self.settings.model,
        )


# --- the "cove/<name>" scripted models, and litellm, imported on first use (serving them too) ---

_SCRIPTED_MODELS: dict[str, Respond] = {}


def register_scripted_model(name: str, respond: Respond) -> None:
    """Make `cove/<name>` answer with `respond(messages, tools, params)`; registering again replaces it.

    `respond` returns an assistant message: {"content": ..., "tool_calls": [...]} in OpenAI format,
    optionally with "finish_reason" and "script" (a JSON dict about the reply, such as its dialogue
    acts, that the call record keeps in `raw_response["script"]`). `params` holds temperature, seed,
    max_tokens and any other parameter of the call. `respond` reads the caller's messages and tools
    and must not change them.
    """
    _SCRIPTED_MODELS[name] = respond
    if "litellm" in sys.modules:  # already in use: keep its provider map serving the new entry
        _litellm()


@dataclass(frozen=True)
class ScriptedReply:
    """A scripted model's answer, as litellm's provider "cove" returns it and the client records it."""

    id: str
    model: str
    message: dict[str, Any]  # the assistant message (_assistant_message's shape)
    finish_reason: str
    usage: TokenUsage
    script: dict[str, Any] | None


def _as_litellm_sends(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as litellm hands them to a provider: no field whose value is None (e.g. an assistant's
    "content" beside its tool calls); the others as they are, not copied."""
    return [{key: value for key, value in m.items() if value is not None} if None in m.values() else m for m in messages]


def _word_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: a token per four words, rounded up."""
    return (len(text.split()) + 3) // 4


def _json_word_tokens(text: str) -> int:
    """`_word_tokens` of `json.dumps` output (ASCII), without splitting it into a list of words.

    Its only whitespace is the space (the escapes cover the rest) and it neither starts nor ends with one,
    so its words are its runs of spaces plus one: each run is squeezed to one space, then the spaces counted.
    """
    return (_space_runs(text) + 1 + 3) // 4


def _space_runs(text: str) -> int:
    """How many runs of spaces `text` has."""
    while "  " in text:
        text = text.replace("  ", " ")
    return text.count(" ")


_PROMPT_PARTS: Kept[tuple[str, int]] = Kept(8192)  # a message's items -> (its JSON, its runs of spaces); a few hundred dialogues' messages
_TEXT_TYPES = frozenset({str, type(None)})


def _prompt_json(messages: list[dict[str, Any]]) -> tuple[str, int]:
    """`json.dumps(messages, default=str, sort_keys=True)` and its `_json_word_tokens`, a message at a time.

    A transcript is sent again with one or two messages more at every turn (and the same long system
    prompt each time): each message's JSON and its runs of spaces are kept, keyed by the message's
    items, and the prompt is joined from them as `json.dumps` joins a list (", "). A JSON value neither
    starts nor ends with a space, so no run of spaces spans two messages and the prompt's runs are the
    messages' plus one per separator.
    """
    parts: list[str] = []
    runs = 0
    for message in messages:
        # a message of text (or null) values is keyed by its items; one with more in it (tool calls, a scripted
        # model's acts) by its repr, which tells 1, 1.0 and True apart (equal as keys, not as JSON)
        flat = type(message) is dict and _TEXT_TYPES.issuperset(map(type, message.values()))
        key = tuple(message.items()) if flat else ("repr", repr(message))
        cached = _PROMPT_PARTS.get(key)
        if cached is None:
            text = json.dumps(message, default=str, sort_keys=True)
            cached = _PROMPT_PARTS.put(key, (text, _space_runs(text)))
        parts.append(cached[0])
        runs += cached[1]
    return "[" + ", ".join(parts) + "]", runs + max(len(parts) - 1, 0)


def scripted_reply(
    name: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, params: dict[str, Any]
) -> ScriptedReply:
    """Call the scripted model `name`; its id, token counts and finish reason follow from the request alone.

    The prompt is serialised (from its messages' kept JSON) for the token count and the id; `respond`
    gets the messages and tools themselves. Raises `ScriptedModelError`: a script is deterministic, so its failure is a bad
    request (never retried), not a lost connection.
    """
    if (respond := _SCRIPTED_MODELS.get(name)) is None:
        raise ScriptedModelError("not_found_error", f"no scripted model named {name!r}")
    try:
        reply = respond(messages, tools, params)
        message = _assistant_message(reply.get("content"), reply.get("tool_calls"))
    except Exception as exc:
        raise ScriptedModelError("bad_request_error", f"scripted model {name!r} failed: {exc!r}") from exc
    # sorted keys: the id depends on content, not on key order, so a message that came through the stream
    # (JSON, sorted keys) and the same message built in this process give one id, whichever process answers
    prompt, prompt_runs = _prompt_json(messages)
    prompt_tokens, completion_tokens = (prompt_runs + 1 + 3) // 4, _json_word_tokens(json.dumps(message))
    digest = hashlib.sha256(f"{name}\n{prompt}\n{json.dumps(params, default=str, sort_keys=True)}".encode()).hexdigest()[:16]
    finish_reason = reply.get("finish_reason") or ("tool_calls" if message.get("tool_calls") else "stop")
    script = json.loads(json.dumps(reply["script"])) if reply.get("script") else None  # plain JSON, the caller's own copy
    usage = TokenUsage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                       total_tokens=prompt_tokens + completion_tokens)
    return ScriptedReply(f"cove-{digest}", f"{SCRIPTED_PROVIDER}/{name}", message, finish_reason, usage, script)


@functools.cache
def _import_litellm() -> ModuleType:
    # litellm reads this at import; without it the import tries to download a price list.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners on stdout
    return litellm


def _litellm() -> ModuleType:
    """litellm, with the "cove" provider in its `custom_provider_map` (other entries kept)."""
    litellm = _import_litellm()
    handler = _scripted_handler()
    entries = litellm.custom_provider_map
    if not any(item.get("custom_handler") is handler for item in entries):
        others = [item for item in entries if item.get("provider") != SCRIPTED_PROVIDER]
        litellm.custom_provider_map = [*others, {"provider": SCRIPTED_PROVIDER, "custom_handler": handler}]
    return litellm


def litellm_with_scripted_models() -> ModuleType:
    """litellm, answering `cove/<name>` with the registered scripted models: for code that calls litellm itself."""
    return _litellm()


_HTTP_STATUS = {"not_found_error": 404, "bad_request_error": 400}


def _scripted_response(
    litellm: ModuleType, name: str, messages: list[dict[str, Any]], optional_params: dict[str, Any]
) -> Any:
    """`scripted_reply` wrapped in a litellm `ModelResponse`, its script under the provider's fields.

    litellm hands a custom provider the call's parameters as `optional_params` (temperature, seed,
    max_tokens, tools, anything extra, and the SDK's max_retries); `respond` gets them minus tools
    and max_retries.
    """
    from litellm.llms.custom_llm import CustomLLMError

    params = {key: value for key, value in optional_params.items() if key not in ("tools", "max_retries")}
    try:
        reply = scripted_reply(name, messages, optional_params.get("tools"), params)
    except ScriptedModelError as exc:
        raise CustomLLMError(status_code=_HTTP_STATUS[exc.error_type], message=exc.message) from exc
    message = dict(reply.message)
    if reply.script:
        message["provider_specific_fields"] = {SCRIPTED_PROVIDER: reply.script}
    return litellm.ModelResponse(
        id=reply.id, model=reply.model, choices=[{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
        usage=reply.usage.model_dump(),
    )


@functools.cache
def _scripted_handler() -> Any:
    """The one `CustomLLM` serving provider "cove": litellm passes the name after "cove/" as `model`."""
    litellm = _import_litellm()

    class ScriptedModels(litellm.CustomLLM):
        def completion(self, model: str, messages: list, optional_params: dict, **_: Any) -> Any:
            return _scripted_response(litellm, model, messages, optional_params)

        async def acompletion(self, model: str, messages: list, optional_params: dict, **_: Any) -> Any:
            return _scripted_response(litellm, model, messages, optional_params)

    return ScriptedModels()
