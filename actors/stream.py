"""The COVE stream, the log of record: its config, and creating it once with N replicas.

On a NATS cluster the stream may be kept on N servers (`--stream-replicas N`, at most 5); its durable
consumers inherit the stream's replicas (JetStream's default for a consumer's `num_replicas=0`),
so their delivery state survives a node as the messages do. Whoever starts first creates the stream;
everyone else uses it as it is. Its replicas are never changed behind a user's back: asking for
other replicas than an existing stream has is refused with one line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from nats.js.api import StorageType, StreamConfig, StreamInfo
from nats.js.errors import APIError, BadRequestError, NotFoundError, ServiceUnavailableError

from actors.outages import is_transient, until_answered
from events import Event, parse_event
from events.dead_letters import DEAD_LETTER_PREFIX

STREAM_NAME = "COVE"
SUBJECTS = ["cove.>", f"{DEAD_LETTER_PREFIX}.>"]
DUPLICATE_WINDOW = 300.0  # seconds: a second publish with the same Nats-Msg-Id is acked, not stored
MAX_REPLICAS = 5  # JetStream's limit
_NAME_IN_USE = 10058  # JSStreamNameExistErr: created by someone else, or with another config


class JetStreamMissingError(RuntimeError):
    """The NATS server(s) reached run without JetStream, so there is no stream to keep the log in."""


class StreamReplicasError(RuntimeError):
    """The COVE stream cannot be had with the replicas asked for (a single server, or a stream that has others)."""


def stream_config(replicas: int = 1) -> StreamConfig:
    return StreamConfig(name=STREAM_NAME, subjects=list(SUBJECTS), storage=StorageType.FILE, duplicate_window=DUPLICATE_WINDOW, num_replicas=replicas)


STREAM_CONFIG = stream_config()


def _differs(existing: StreamConfig, wanted: StreamConfig) -> bool:
    """True when an existing stream lacks what cove needs (an older cove's subjects or dedup window)."""
    return sorted(existing.subjects or []) != sorted(wanted.subjects or []) or existing.storage != wanted.storage or existing.duplicate_window != wanted.duplicate_window


async def declare_stream(js: Any, replicas: int | None = None) -> StreamInfo:
    """Create the COVE stream with `replicas` (default 1), or use the existing one if its replicas match.

    `replicas=None`: whatever an existing stream has. An existing stream with another config is
    updated to cove's subjects and dedup window, keeping its replicas.
    """
    if replicas is not None and not 1 <= replicas <= MAX_REPLICAS:
        raise StreamReplicasError(f"--stream-replicas must be between 1 and {MAX_REPLICAS}, not {replicas}")
    wanted = stream_config(replicas or 1)
    for _ in range(3):  # another process may create it between our look and our create
        try:
            info = await js.stream_info(STREAM_NAME)
        except ServiceUnavailableError as exc:
            if exc.err_code is None:  # "no responders": no server this client reaches runs JetStream
                raise JetStreamMissingError("JetStream is not enabled there (start nats-server with -js)") from exc
            raise  # a cluster without a meta leader yet: `until_answered` asks again
        except NotFoundError:
            try:
                return await js.add_stream(config=wanted)
            except APIError as exc:
                if isinstance(exc, BadRequestError) and exc.err_code == _NAME_IN_USE:
                    continue
                if is_transient(exc):
                    raise  # `until_answered` asks again
                raise _cannot_create(wanted, exc) from exc
        existing = info.config.num_replicas or 1
        if replicas is not None and existing != replicas:
            raise StreamReplicasError(
                f"stream {STREAM_NAME} on this NATS has {existing} replica(s), not the {replicas} asked for: "
                f"use --stream-replicas {existing}, or remove the stream first (`nats stream rm {STREAM_NAME}`)"
            )
        if _differs(info.config, wanted):
            return await js.update_stream(config=stream_config(existing))
        return info
    raise StreamReplicasError(f"stream {STREAM_NAME} keeps changing while being created: another cove asks for other settings?")


def _cannot_create(wanted: StreamConfig, exc: APIError) -> StreamReplicasError:
    replicas = wanted.num_replicas or 1
    hint = " (each replica needs its own JetStream server in one cluster)" if replicas > 1 else ""
    return StreamReplicasError(f"cannot create stream {STREAM_NAME} with {replicas} replica(s) on this NATS: {exc.description or exc}{hint}")


async def read_subject(broker: Any, subject: str, **context: Any) -> AsyncIterator[Event]:
    """Every event the stream holds on `subject` (a pattern), oldest first, read back one message at a time;
    a stream electing a leader is asked again (the log of record, with no consumer). `context` names the
    reading in the outage log lines."""
    state = broker.config.connection_state
    next_seq = 1
    while True:
        try:
            read = partial(state.stream.get_msg, STREAM_NAME, seq=next_seq, subject=subject, next=True)
            raw = await until_answered(read, state.connection, "read_back", **context)
        except NotFoundError:
            return
        yield parse_event(raw.data)
        next_seq = raw.seq + 1
