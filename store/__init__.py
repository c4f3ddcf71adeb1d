"""The complete, queryable SQLite copy of every event, from which dialogues are replayed."""

from store.chain import GENESIS_HASH, chain_hash
from store.errors import EventConflictError, SequenceGapError, StoreError
from store.eventlog import AppendResult, DialogueSummary, EventStore

__all__ = [
    "GENESIS_HASH",
    "AppendResult",
    "DialogueSummary",
    "EventConflictError",
    "EventStore",
    "SequenceGapError",
    "StoreError",
    "chain_hash",
]
