"""What can go wrong with the event store."""

from __future__ import annotations


class StoreError(Exception):
    """The event store cannot do what was asked: not a store, corrupt, read-only, or refused."""


class EventConflictError(StoreError):
    """An event id already stored with a different payload: two producers disagree about history."""

    def __init__(self, event_id: str, stored: str, offered: str) -> None:
        super().__init__(
            f"event {event_id} is already stored with a different payload"
            f" (stored {len(stored)} bytes, offered {len(offered)} bytes)"
        )
        self.event_id = event_id
        self.stored = stored
        self.offered = offered


class SequenceGapError(StoreError):
    """An event arrived before its predecessor in its dialogue; retry once that one is stored."""

    def __init__(self, dialogue_id: str, expected_seq: int, got_seq: int) -> None:
        super().__init__(
            f"dialogue {dialogue_id}: expected seq {expected_seq}, got {got_seq}; batch not stored"
        )
        self.dialogue_id = dialogue_id
        self.expected_seq = expected_seq
        self.got_seq = got_seq
