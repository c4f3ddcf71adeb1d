"""Events: round trips, immutability, strict validation, deterministic ids and NATS subjects."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from events import (
    EVENT_TYPES,
    AgentSpoke,
    DialogueEnded,
    DialogueVerified,
    EventError,
    InstructionFuzzified,
    DialogueRequested,
    ModelCall,
    ModelCallFailed,
    ModelRole,
    TaskSampled,
    TerminationReason,
    TokenUsage,
    ToolCallRequest,
    ToolCalled,
    ToolErrorKind,
    ToolFailed,
    ToolReturned,
    UserSpoke,
    dialogue_token,
    event_to_json,
    next_event_id,
    parse_event,
    subject_for,
    subject_pattern,
)

CALL = ModelCall(
    model="openai/gpt-4.1-mini",
    parameters={"temperature": 0.0, "max_tokens": 1024},
    usage=TokenUsage(prompt_tokens=812, completion_tokens=40, total_tokens=852),
    cost_usd=0.00041,
    latency_s=1.27,
    attempts=2,
    raw_response={"id": "chatcmpl-1", "choices": [{"finish_reason": "stop"}]},
)


def envelope(seq: int, actor: str = "orchestrator", dialogue_id: str = "retail-7-s42") -> dict:
    return {"dialogue_id": dialogue_id, "seq": seq, "time": 1_750_000_000.25 + seq,
            "causation_id": next_event_id(dialogue_id, seq - 1) if seq else None, "actor": actor}


SAMPLES = {
    "task_sampled": TaskSampled(
        **envelope(0, "sampler"),
        domain="retail",
        task={"task_id": "retail-7", "user_id": "mia_li_3668",
              "constraints": [{"type": "cancel_order", "order_id": "#W2378156"}],
              "descriptions": {}, "instruction": "Cancel my order."},
        seed=42,
        base_db_hash="a" * 64,
        config={"max_turns": 30, "fuzz_level": "medium"},
    ),
    "instruction_fuzzified": InstructionFuzzified(
        **envelope(1, "fuzzifier"),
        instruction="Cancel the order with the blue kettle.",
        descriptions={"#W2378156": "the order with the blue kettle"},
        fuzz_level="medium",
        rewrite={"accepted": False, "reason": "leaked an order id", "model": "openai/gpt-4.1-mini"},
    ),
    "user_spoke": UserSpoke(**envelope(2, "user"), content="Hi, I want to cancel an order.", call=CALL),
    "agent_spoke": AgentSpoke(
        **envelope(3, "agent"),
        tool_calls=[ToolCallRequest(id="call_1", name="get_order_details",
                                    arguments='{"order_id": "#W2378156"}')],
        call=CALL,
    ),
    "tool_called": ToolCalled(**envelope(4, "tools"), call_id="call_1", name="get_order_details",
                              arguments='{"order_id": "#W2378156"}'),
    "tool_returned": ToolReturned(**envelope(5, "tools"), call_id="call_1",
                                  name="get_order_details", content='{"status": "pending"}',
                                  mutates_state=False),
    "tool_failed": ToolFailed(**envelope(6, "tools"), call_id="call_2", name="cancel_order",
                              content="Error: order is not pending",
                              error_kind=ToolErrorKind.TOOL_ERROR),
    "model_call_failed": ModelCallFailed(**envelope(7, "agent"), role=ModelRole.AGENT,
                                         model="openai/gpt-4.1-mini", error_type="RateLimitError",
                                         message="429 Too Many Requests", attempts=5,
                                         retryable=True),
    "dialogue_ended": DialogueEnded(**envelope(8), reason=TerminationReason.USER_STOP,
                                    detail="###STOP###"),
    "dialogue_verified": DialogueVerified(
        **envelope(9, "verifier"),
        verdict={"score": 1.0, "scored": True, "constraints": [1], "redundant_writes": [],
                 "violations": [], "attribution": None},
        verifier_version="1",
    ),
    "dialogue_requested": DialogueRequested(**envelope(0, "run"), domain="retail", run_id="r1",
                                            seed=42, task_index=7, config={"max_turns": 60}),
}
SAMPLE_IDS = list(SAMPLES)
NATS_SUBJECT = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")


def matches(pattern: str, subject: str) -> bool:
    """NATS wildcard matching: '*' is one token, '>' the rest."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(tokens) == len(wanted)


def test_samples_cover_every_event_type():
    """Every member of the event union has a sample, so every test below covers all of them."""
    assert set(SAMPLES) == set(EVENT_TYPES)
    assert all(SAMPLES[name].type == name for name in SAMPLES)


@pytest.mark.parametrize("name", SAMPLE_IDS)
def test_round_trip_through_json(name):
    """An event survives event_to_json → parse_event unchanged, as bytes, text or dict."""
    event = SAMPLES[name]
    data = event_to_json(event)
    assert parse_event(data) == event
    assert parse_event(data.decode()) == event
    assert parse_event(json.loads(data)) == event
    assert event_to_json(parse_event(data)) == data


def test_json_is_compact_with_sorted_keys():
    """The wire format depends on content only, not on the order a dict was built in."""
    task = SAMPLES["task_sampled"]
    reordered = task.model_copy(update={"task": dict(reversed(list(task.task.items())))})
    data = event_to_json(reordered)
    assert data == event_to_json(task)
    assert b": " not in data and b", " not in data.replace(b'", "', b"")
    assert list(json.loads(data)) == sorted(json.loads(data))


def test_non_finite_numbers_cannot_be_serialized():
    """NaN is not JSON, so serializing it raises EventError instead of writing invalid text."""
    event = UserSpoke(**envelope(2), content="hi", call=CALL.model_copy(update={"cost_usd": float("nan")}))
    with pytest.raises(EventError):
        event_to_json(event)


@pytest.mark.parametrize("name", SAMPLE_IDS)
def test_events_are_frozen(name):
    """Assigning to a field of a recorded event fails."""
    with pytest.raises(ValidationError):
        SAMPLES[name].seq = 99


@pytest.mark.parametrize("name", SAMPLE_IDS)
def test_extra_fields_are_rejected(name):
    """An unknown field is an error, both when parsing and when constructing."""
    data = json.loads(event_to_json(SAMPLES[name])) | {"surprise": 1}
    with pytest.raises(EventError, match="surprise"):
        parse_event(data)
    with pytest.raises(ValidationError):
        type(SAMPLES[name])(**data)


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        "",
        b"[]",
        b'{"type": "dialogue_exploded", "dialogue_id": "d", "seq": 0, "time": 0, "actor": "a"}',
        b'{"dialogue_id": "d", "seq": 0, "time": 0, "actor": "a", "content": "hi"}',
        {"type": "user_spoke", "dialogue_id": "d", "seq": 0, "time": 0, "actor": "a"},
        {"type": "user_spoke", "dialogue_id": "d", "seq": -1, "time": 0, "actor": "a", "content": ""},
        {"type": "dialogue_ended", "dialogue_id": "d", "seq": 0, "time": 0, "actor": "a",
         "reason": "bored"},
        42,
    ],
    ids=["truncated", "empty", "not-object", "unknown-type", "no-type", "missing-field",
         "negative-seq", "bad-enum", "not-json"],
)
def test_malformed_input_raises_event_error(data):
    """Anything that is not a valid event raises EventError, never a bare pydantic or JSON error."""
    with pytest.raises(EventError):
        parse_event(data)


def test_event_id_is_derived_from_dialogue_and_seq():
    """The event id is filled in deterministically, so a republished event keeps its id."""
    event = UserSpoke(**envelope(3), content="hi")
    assert event.event_id == next_event_id("retail-7-s42", 3) == "retail-7-s42:0003"
    assert UserSpoke(**envelope(3), content="hi").event_id == event.event_id


def test_mismatched_event_id_is_refused():
    """An event id that does not match its dialogue and seq cannot be constructed or parsed."""
    with pytest.raises(ValidationError, match="should be"):
        UserSpoke(**envelope(3), event_id="retail-7-s42:0004", content="hi")
    data = json.loads(event_to_json(SAMPLES["user_spoke"])) | {"event_id": "other:0002"}
    with pytest.raises(EventError):
        parse_event(data)


@pytest.mark.parametrize("enum", [TerminationReason, ToolErrorKind, ModelRole])
def test_enum_values_are_lowercase(enum):
    """Enum values are lowercase strings, so they read the same in JSON, SQL and logs."""
    assert all(member == member.value.lower() == member.name.lower() for member in enum)


@pytest.mark.parametrize("name", SAMPLE_IDS)
def test_subject_is_a_valid_nats_subject(name):
    """Each event's subject is `cove.<type>.<dialogue>`, made of valid NATS tokens."""
    subject = subject_for(SAMPLES[name])
    assert NATS_SUBJECT.fullmatch(subject)
    assert subject == f"cove.{name}.retail-7-s42"


def test_subjects_are_distinct_per_type():
    """No two event types share a subject, so consumers can subscribe by type."""
    assert len({subject_for(event) for event in SAMPLES.values()}) == len(SAMPLES)


@pytest.mark.parametrize("name", SAMPLE_IDS)
def test_subject_pattern_selects_one_type(name):
    """subject_pattern(type) matches that type's events and no other's, whatever the dialogue."""
    event_class = EVENT_TYPES[name]
    for pattern in (subject_pattern(event_class), subject_pattern(name)):
        assert [other for other, event in SAMPLES.items()
                if matches(pattern, subject_for(event))] == [name]
    assert matches(subject_pattern(), subject_for(SAMPLES[name]))


def test_subject_pattern_selects_one_dialogue():
    """A pattern for one dialogue matches its events and not another dialogue's."""
    event = UserSpoke(**envelope(2, dialogue_id="a.b c"), content="hi")
    other = UserSpoke(**envelope(2, dialogue_id="a_b_c"), content="hi")
    pattern = subject_pattern(dialogue_id="a.b c")
    assert matches(pattern, subject_for(event))
    assert not matches(pattern, subject_for(other))


def test_subject_pattern_refuses_unknown_type():
    """A typo in an event type name is an error, not a subscription that never matches."""
    with pytest.raises(EventError, match="unknown event type"):
        subject_pattern("user_spake")


@pytest.mark.parametrize("dialogue_id", ["a.b", "a b", "a*b", "a>b", "a_b", "tâche-1", "x\ty", "a~b"])
def test_dialogue_token_is_one_distinct_nats_token(dialogue_id):
    """Any dialogue id becomes one NATS token, distinct from the token of every other sample id."""
    token = dialogue_token(dialogue_id)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    others = {"a.b", "a b", "a*b", "a>b", "a_b", "tâche-1", "x\ty", "a~b"} - {dialogue_id}
    assert token not in {dialogue_token(other) for other in others}
