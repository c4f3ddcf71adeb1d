"""The model client: litellm against a local OpenAI-compatible server, and scripted `cove/` models."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from actors.llm import ModelCallError, ModelClient, ModelSettings, backoff_delay, litellm_with_scripted_models, register_scripted_model
from events import ModelCallFailed, ModelRole
from tests.openai_server import OpenAIServer, Reply, always, in_order, tool_call

KEY = "sk-cove-SENTINEL-4f2a9"
MESSAGES = [{"role": "system", "content": "You help."}, {"role": "user", "content": "Where is my order?"}]
ORDER_ID = {"type": "object", "properties": {"order_id": {"type": "string"}}}
GET_ORDER = {"name": "get_order", "description": "Look an order up.", "parameters": ORDER_ID}
TOOLS = [{"type": "function", "function": GET_ORDER}]


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COVE_TEST_KEY", KEY)
    return KEY


def client_for(server: OpenAIServer, role: str = "agent", **overrides: Any) -> ModelClient:
    """A client of the local server with test-sized backoff."""
    fields = dict(model="openai/test-model", api_base=server.url, api_key_env="COVE_TEST_KEY", backoff_base=0.01,
                  backoff_max=1.0, timeout=5.0, max_attempts=3)
    return ModelClient(role, ModelSettings(**(fields | overrides)))


def gaps(server: OpenAIServer) -> list[float]:
    times = [request.received_at for request in server.requests]
    return [later - earlier for earlier, later in zip(times, times[1:])]


async def test_text_reply_is_recorded_with_usage_parameters_and_latency(openai_server):
    """A text reply comes back as an assistant message, with usage, parameters, latency and one attempt."""
    openai_server.script = always(Reply.text("It ships tomorrow.").after(0.05))
    reply = await client_for(openai_server, max_tokens=64).complete(MESSAGES, seed=7)

    assert reply.message == {"role": "assistant", "content": "It ships tomorrow."}
    call = reply.call
    assert (call.model, call.attempts, call.cost_usd) == ("openai/test-model", 1, 0.0)
    assert call.parameters == dict(temperature=0.0, max_tokens=64, timeout=5.0, api_base=openai_server.url, seed=7)
    assert call.usage.prompt_tokens > 0 and call.usage.completion_tokens > 0
    assert call.usage.total_tokens == call.usage.prompt_tokens + call.usage.completion_tokens
    assert call.latency_s >= 0.05
    assert call.raw_response == dict(id="chatcmpl-1", model="test-model", message=reply.message,
                                     finish_reason="stop", usage=call.usage.model_dump())
    [request] = openai_server.requests
    assert request.path == "/v1/chat/completions"
    sent = {key: request.json[key] for key in ("model", "messages", "seed", "temperature", "max_tokens")}
    assert sent == dict(model="test-model", messages=MESSAGES, seed=7, temperature=0.0, max_tokens=64)


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("get_order", '{"order_id": "#W0001", "verbose": true}'),
        ("get_order", '{"order_id": "#W00'),  # malformed JSON
        ("get_order", '{"order_id": 17}'),  # wrong argument type
        ("cancel_everything", "{}"),  # a tool that does not exist
    ],
)
async def test_tool_call_arrives_with_its_arguments_verbatim(openai_server, name, arguments):
    """Tool calls come back exactly as the model sent them, even when they are wrong, and tools reach the server."""
    openai_server.script = always(Reply.calls(tool_call(name, arguments, call_id="call_1")))
    reply = await client_for(openai_server).complete(MESSAGES, TOOLS, seed=3)

    call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
    assert reply.message == {"role": "assistant", "content": None, "tool_calls": [call]}
    assert reply.call.raw_response["finish_reason"] == "tool_calls"
    assert openai_server.requests[0].json["tools"] == TOOLS


async def test_rate_limit_waits_as_long_as_retry_after_says(openai_server):
    """A 429 with Retry-After: 0.3 is retried once, about 0.3 s later (not after the 0.01 s backoff)."""
    openai_server.script = in_order(Reply.rate_limited(retry_after=0.3), Reply.text("ok"))
    with capture_logs() as logs:
        reply = await client_for(openai_server).complete(MESSAGES, seed=1)

    assert reply.call.attempts == 2
    assert gaps(openai_server)[0] >= 0.28  # it did wait; how long it meant to wait is the logged delay, not a wall-clock bound
    [retry] = [entry for entry in logs if entry["event"] == "model_call_retry"]
    assert (retry["error_type"], retry["attempt"], retry["delay_s"]) == ("rate_limit_error", 1, 0.3)


async def test_retry_after_is_capped_by_backoff_max(openai_server):
    """A Retry-After longer than backoff_max waits backoff_max."""
    openai_server.script = in_order(Reply.rate_limited(retry_after=30), Reply.text("ok"))
    with capture_logs() as logs:
        reply = await client_for(openai_server, backoff_max=0.1).complete(MESSAGES)

    assert reply.call.attempts == 2
    [retry] = [entry for entry in logs if entry["event"] == "model_call_retry"]
    assert retry["delay_s"] == 0.1
    assert gaps(openai_server)[0] < 30  # not the 30 s the server asked for


@pytest.mark.parametrize(
    "failures",
    [
        [Reply.server_error(500), Reply.server_error(500)],
        [Reply.server_error(502), Reply.server_error(503)],
        [Reply.rate_limited(retry_after=None)],
        [Reply.hang(5.0)],  # longer than the 0.5 s timeout
    ],
    ids=["500-twice", "502-then-503", "429-without-retry-after", "timeout"],
)
async def test_transient_failures_are_retried_until_success(openai_server, failures):
    """5xx, 429 and timeouts are retried; the reply records how many attempts it took."""
    openai_server.script = in_order(*failures, Reply.text("ok"))
    reply = await client_for(openai_server, timeout=0.5, max_attempts=5).complete(MESSAGES, seed=2)

    assert reply.message["content"] == "ok"
    assert reply.call.attempts == len(failures) + 1 == len(openai_server.requests)


async def test_persistent_503_gives_up_as_retryable(openai_server):
    """A server that stays unavailable yields a retryable ModelCallError after max_attempts."""
    openai_server.script = always(Reply.server_error(503))
    with pytest.raises(ModelCallError) as raised:
        await client_for(openai_server, max_attempts=4).complete(MESSAGES)

    error = raised.value
    assert (error.error_type, error.attempts, error.retryable) == ("service_unavailable_error", 4, True)
    assert len(openai_server.requests) == 4


@pytest.mark.parametrize(
    "reply, error_type",
    [(Reply.unauthorized(), "authentication_error"), (Reply.bad_request("tools[0] is invalid"), "bad_request_error")],
)
async def test_client_errors_fail_at_once(openai_server, reply, error_type):
    """401 and 400 are not retried: one request, a non-retryable error."""
    openai_server.script = always(reply)
    with pytest.raises(ModelCallError) as raised:
        await client_for(openai_server).complete(MESSAGES)

    error = raised.value
    assert (error.error_type, error.attempts, error.retryable) == (error_type, 1, False)
    assert len(openai_server.requests) == 1


@pytest.mark.parametrize(
    "reply, error_type",
    [
        (Reply.empty(), "empty_reply"),
        (Reply.endless(""), "truncated_reply"),
        (Reply(tool_calls=(tool_call("get_order", '{"order_'),), finish_reason="length"), "truncated_reply"),
    ],
    ids=["empty", "cut-before-any-text", "cut-inside-a-tool-call"],
)
async def test_unusable_replies_are_retried_then_fail_for_good(openai_server, reply, error_type):
    """Empty and cut-off replies are retried up to max_attempts, then fail as not retryable."""
    openai_server.script = always(reply)
    with capture_logs() as logs:
        with pytest.raises(ModelCallError) as raised:
            await client_for(openai_server).complete(MESSAGES, seed=5)

    error = raised.value
    assert (error.error_type, error.attempts, error.retryable) == (error_type, 3, False)
    assert len(openai_server.requests) == 3
    assert [entry["event"] for entry in logs] == ["model_call_retry", "model_call_retry", "model_call_failed"]


async def test_empty_reply_then_answer_succeeds(openai_server):
    """One empty reply costs one more attempt."""
    openai_server.script = in_order(Reply.empty(), Reply.text("Here it is."))
    reply = await client_for(openai_server).complete(MESSAGES)

    assert (reply.message["content"], reply.call.attempts) == ("Here it is.", 2)


async def test_cut_reply_with_text_is_returned(openai_server):
    """A reply cut by the token limit that still has text is the caller's to judge."""
    openai_server.script = always(Reply.endless("and then, and then"))
    reply = await client_for(openai_server).complete(MESSAGES)

    assert reply.message["content"] == "and then, and then"
    assert (reply.call.raw_response["finish_reason"], reply.call.attempts) == ("length", 1)


async def test_concurrency_limit_bounds_requests_in_flight(openai_server):
    """With concurrency=3, ten simultaneous calls never put more than three requests in flight."""
    openai_server.script = always(Reply.text("ok").after(0.1))
    client = client_for(openai_server, concurrency=3)
    replies = await asyncio.gather(*(client.complete(MESSAGES, seed=seed) for seed in range(10)))

    assert len(replies) == 10
    assert openai_server.max_in_flight == 3


async def test_api_key_never_leaves_the_client(openai_server, capsys, caplog):
    """The key goes out only in the Authorization header: never in replies, records, errors or logs."""
    openai_server.script = in_order(Reply.rate_limited(retry_after=0.01), Reply.text("Your key is {api_key}"))
    client = client_for(openai_server)
    with capture_logs() as logs:
        reply = await client.complete(MESSAGES, seed=1)
        openai_server.script = always(Reply.unauthorized())
        with pytest.raises(ModelCallError) as raised:
            await client.complete(MESSAGES)

    error = raised.value
    assert reply.message["content"] == "Your key is ***"
    assert "Incorrect API key provided: ***" in error.message
    failed = ModelCallFailed(dialogue_id="retail-1", seq=3, time=0.0, actor="agent", **error.to_event_fields())
    captured = capsys.readouterr()
    texts = [
        str(reply), reply.call.model_dump_json(), str(error), repr(error), error.message, failed.model_dump_json(),
        str(logs), captured.out, captured.err, caplog.text, repr(client), repr(client.settings),
    ]
    assert not [text for text in texts if KEY in text]
    for request in openai_server.requests:
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        others = {name: value for name, value in request.headers.items() if name != "Authorization"}
        assert KEY not in json.dumps(request.json) + json.dumps(others)


def test_error_becomes_a_model_call_failed_event():
    """`to_event_fields` fills every ModelCallFailed field that is not the envelope's."""
    error = ModelCallError(
        "empty_reply", "reply had no content", attempts=5, retryable=False, role=ModelRole.USER, model="cove/echo"
    )
    event = ModelCallFailed(dialogue_id="airline-2", seq=4, time=1.0, actor="user", **error.to_event_fields())

    assert (event.role, event.model, event.error_type, event.message, event.attempts, event.retryable) == (
        ModelRole.USER, "cove/echo", "empty_reply", "reply had no content", 5, False
    )


def test_missing_key_variable_is_refused_when_the_client_is_built(monkeypatch):
    """A settings object naming an unset key variable fails at the edge, naming the variable only."""
    monkeypatch.delenv("COVE_TEST_KEY")
    with pytest.raises(ValueError, match="COVE_TEST_KEY"):
        ModelClient("agent", ModelSettings(model="openai/test-model", api_key_env="COVE_TEST_KEY"))


@pytest.mark.parametrize(
    "extra", [{"api_key": "x"}, {"extra_headers": {"Authorization": "x"}}, {"aws_secret_access_key": "x"}, {"seed": 1}]
)
def test_settings_refuse_extra_params_that_are_secret_or_owned(extra):
    """`extra` cannot smuggle a secret into the record, nor override what the client sets."""
    with pytest.raises(ValidationError):
        ModelSettings(model="openai/test-model", extra=extra)


async def test_extra_params_are_sent_and_recorded(openai_server):
    """Parameters in `extra` reach the server and the record."""
    reply = await client_for(openai_server, extra={"top_p": 0.5}).complete(MESSAGES)

    assert openai_server.requests[0].json["top_p"] == 0.5
    assert reply.call.parameters["top_p"] == 0.5


def test_backoff_is_exponential_capped_and_deterministic():
    """Backoff doubles per attempt with seeded jitter, stays under backoff_max, and defers to Retry-After."""
    settings = ModelSettings(model="cove/echo", backoff_base=1.0, backoff_max=5.0)
    delays = [backoff_delay(settings, attempt, 42, None) for attempt in range(1, 6)]

    assert delays == [backoff_delay(settings, attempt, 42, None) for attempt in range(1, 6)]
    assert all(0.5 * 2 ** (n - 1) <= delay <= 2 ** (n - 1) for n, delay in enumerate(delays[:3], start=1))
    assert max(delays) <= 5.0
    assert backoff_delay(settings, 1, 42, None) != backoff_delay(settings, 1, 43, None)
    assert (backoff_delay(settings, 1, 42, 2.5), backoff_delay(settings, 1, 42, 99.0)) == (2.5, 5.0)


# --- scripted models: called in process, or through litellm's custom provider; no HTTP either way ---

PATHS = pytest.mark.parametrize("via_litellm", [False, True], ids=["in-process", "via-litellm"])


@PATHS
async def test_scripted_model_answers_without_http(openai_server, via_litellm):
    """`cove/echo` calls its respond function with messages, tools and the seed, and costs nothing."""
    seen: list[tuple[Any, ...]] = []

    def echo(messages: list[dict], tools: list[dict] | None, params: dict) -> dict:
        seen.append((messages, tools, params))
        return {"content": f"echo: {messages[-1]['content']}"}

    register_scripted_model("echo", echo)
    settings = ModelSettings(model="cove/echo", api_base=openai_server.url, max_tokens=32, scripted_via_litellm=via_litellm)
    reply = await ModelClient("user", settings).complete(MESSAGES, TOOLS, seed=11)

    assert reply.message == {"role": "assistant", "content": "echo: Where is my order?"}
    [(messages, tools, params)] = seen
    assert (messages, tools) == (MESSAGES, TOOLS)
    assert {key: params[key] for key in ("seed", "temperature", "max_tokens")} == dict(
        seed=11, temperature=0.0, max_tokens=32
    )
    usage = reply.call.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert (reply.call.model, reply.call.cost_usd, reply.call.raw_response["model"]) == ("cove/echo", 0.0, "cove/echo")
    assert openai_server.requests == []


@PATHS
async def test_scripted_tool_calls_are_normalised_and_deterministic(via_litellm):
    """A scripted tool call gets an id, a JSON arguments string and finish_reason "tool_calls", the same each run."""
    order_lookup = {"function": {"name": "get_order", "arguments": {"order_id": "#W1"}}}
    register_scripted_model("caller", lambda messages, tools, params: {"content": None, "tool_calls": [order_lookup]})
    client = ModelClient("agent", ModelSettings(model="cove/caller", scripted_via_litellm=via_litellm))
    first, second = [await client.complete(MESSAGES, TOOLS, seed=4) for _ in range(2)]

    assert first.message["tool_calls"] == [
        {"id": "call_0", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "#W1"}'}}]
    assert first.call.raw_response == second.call.raw_response
    assert first.call.raw_response["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    "model, error_type",
    [("cove/never-registered", "not_found_error"), ("cove/raises", "bad_request_error"),
     ("cove/malformed", "bad_request_error")],
)
@PATHS
async def test_scripted_failures_are_not_retried(model, error_type, via_litellm):
    """An unknown scripted model, a respond function that raises or one returning a malformed message fails at once."""
    register_scripted_model("raises", lambda messages, tools, params: {}["missing"])
    register_scripted_model("malformed", lambda messages, tools, params: {"tool_calls": [{"name": "get_order"}]})
    with pytest.raises(ModelCallError) as raised:
        await ModelClient("user", ModelSettings(model=model, scripted_via_litellm=via_litellm)).complete(MESSAGES)

    assert (raised.value.error_type, raised.value.attempts, raised.value.retryable) == (error_type, 1, False)


def test_registering_is_idempotent_and_keeps_other_providers(monkeypatch):
    """Registering twice leaves one "cove" entry in litellm's provider map, other entries untouched."""
    register_scripted_model("echo-a", lambda messages, tools, params: {"content": "a"})
    litellm = litellm_with_scripted_models()

    other = {"provider": "someone-else", "custom_handler": litellm.CustomLLM()}
    monkeypatch.setattr(litellm, "custom_provider_map", [other])  # e.g. another library replaced the map
    register_scripted_model("echo-a", lambda messages, tools, params: {"content": "a"})
    register_scripted_model("echo-a", lambda messages, tools, params: {"content": "b"})

    assert litellm.custom_provider_map[0] is other
    assert [item["provider"] for item in litellm.custom_provider_map] == ["someone-else", "cove"]
    reply = litellm.completion(model="cove/echo-a", messages=MESSAGES)
    assert reply.choices[0].message.content == "b"


@pytest.mark.parametrize("value", [[], "", "a  b", "   ", ["é\u2028\x1c\x0b\t z", {"k": "  lead    x\n  y"}], [{"role": "system", "content": "1.\n    Indented  policy"}]])
def test_scripted_token_counts_of_json_equal_the_words_split(value):
    """A scripted reply's token counts come from its JSON's spaces, not a split: the same counts as splitting it."""
    from actors.llm import _json_word_tokens, _word_tokens

    text = json.dumps(value, default=str, sort_keys=True)
    assert _json_word_tokens(text) == _word_tokens(text)


def test_scripted_prompt_json_kept_per_message_equals_json_dumps_of_the_whole_prompt():
    """The prompt a scripted reply hashes and counts, joined from kept messages, is `json.dumps` of it, call after call."""
    import random

    from actors.llm import _json_word_tokens, _prompt_json

    rng = random.Random(7)
    words = ["a", "  ", " b ", "é", "\u2028", "x\ny", '"q"', "1.5", "", "tab\there"]
    long_prompt = "Policy:\n   " + "  ".join(rng.choice(words) for _ in range(400))
    transcript: list[dict] = [{"role": "system", "content": long_prompt}]
    tricky = [{"role": "user", "content": None}, {"n": 1}, {"n": True}, {"n": 1.0}, {"role": "tool", "name": "f", "content": "  {\"k\":  1}  "},
              {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
              {"role": "user", "content": "x", "acts": [{"n": 1}]}, {"role": "user", "content": "x", "acts": [{"n": True}]}, {"role": "user", "content": "x", "acts": [{"n": 1.0}]}]
    transcript += tricky
    for turn in range(60):
        content = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        transcript.append({"role": rng.choice(["user", "assistant", "tool"]), "content": content})
        if turn % 7 == 0:
            transcript.append(rng.choice(tricky))
        for messages in (transcript, list(reversed(transcript)), transcript[:1], []):  # again, and in other orders
            expected = json.dumps(messages, default=str, sort_keys=True)
            text, runs = _prompt_json(messages)
            assert text == expected and (runs + 1 + 3) // 4 == _json_word_tokens(expected)
