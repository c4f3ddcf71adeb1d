"""Events: small frozen records of everything that happens to a dialogue, and their wire format.

    event = UserSpoke(dialogue_id="retail-7", seq=2, time=now, actor="user", content="Hi")
    assert parse_event(event_to_json(event)) == event
    subject_for(event)  # "cove.user_spoke.retail-7"
"""

from events.calls import ModelCall, ModelCallFailed, ModelRole, TokenUsage
from events.codec import EVENT_TYPES, Event, event_to_json, parse_event
from events.dead_letters import MessageDeadLettered, dead_letter_subject
from events.dialogue import (
    AgentSpoke,
    DialogueEnded,
    DialogueRequested,
    DialogueVerified,
    InstructionFuzzified,
    TaskSampled,
    TerminationReason,
    ToolCallRequest,
    UserSpoke,
)
from events.envelope import Envelope, EventError, next_event_id
from events.subjects import SUBJECT_PREFIX, dialogue_token, subject_for, subject_pattern
from events.tools import ToolCalled, ToolErrorKind, ToolFailed, ToolReturned

__all__ = [
    "EVENT_TYPES",
    "SUBJECT_PREFIX",
    "AgentSpoke",
    "DialogueEnded",
    "DialogueRequested",
    "DialogueVerified",
    "Envelope",
    "Event",
    "EventError",
    "InstructionFuzzified",
    "MessageDeadLettered",
    "ModelCall",
    "ModelCallFailed",
    "ModelRole",
    "TaskSampled",
    "TerminationReason",
    "TokenUsage",
    "ToolCallRequest",
    "ToolCalled",
    "ToolErrorKind",
    "ToolFailed",
    "ToolReturned",
    "UserSpoke",
    "dead_letter_subject",
    "dialogue_token",
    "event_to_json",
    "next_event_id",
    "parse_event",
    "subject_for",
    "subject_pattern",
]
