"""Riding out a NATS outage: which errors mean "not now", and asking again until NATS answers.

A server restart, a failover to another node of a cluster, or a stream or consumer electing a new
leader make JetStream answer with timeouts, "no responders" or "temporarily unavailable" for a few
seconds. Those are waited out, as long as the connection is alive (nats-py reconnects to any of the
given servers for ever); anything else, or a closed connection, is raised at once.

    ack = await until_answered(lambda: js.publish(...), connection, "publish", subject=subject)

FastStream's pull loop gets one more thing from here: a pull subscriber whose consumer has no leader
waits one pull timeout before it pulls again (`pause_when_leaderless`), instead of spinning.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from nats.errors import (
    ConnectionReconnectingError,
    NoRespondersError,
    OutboundBufferLimitError,
    StaleConnectionError,
)
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError, NoStreamResponseError, ServiceUnavailableError

log = structlog.get_logger(__name__)

T = TypeVar("T")

_TRANSIENT_TYPES = (
    NatsTimeoutError,  # no answer in time: a leader is being elected, or the client is reconnecting
    TimeoutError,
    NoRespondersError,  # nobody serves the subject yet
    NoStreamResponseError,  # a publish found no stream leader
    ServiceUnavailableError,  # 503
    OutboundBufferLimitError,  # reconnecting, and the client's pending buffer is full
    ConnectionReconnectingError,
    StaleConnectionError,
)
# JetStream error codes that a cluster gives while it elects leaders or gets a node back
_TRANSIENT_CODES = {
    10004,  # JSClusterIncompleteErr: incomplete results
    10008,  # JSClusterNotAvailErr: JetStream system temporarily unavailable (no meta leader)
    10009,  # JSClusterNotLeaderErr: JetStream cluster can not handle request
}
FIRST_WAIT = 0.25  # seconds before the second attempt, doubling up to MAX_WAIT
MAX_WAIT = 5.0
REPORT_EVERY = 30.0  # seconds between "still waiting" warnings of one operation


def is_transient(error: BaseException) -> bool:
    """True for the errors NATS gives while a server, a leader or a connection comes back."""
    if isinstance(error, _TRANSIENT_TYPES):
        return True
    return isinstance(error, APIError) and error.err_code in _TRANSIENT_CODES


async def until_answered(operation: Callable[[], Awaitable[T]], connection: Any, what: str, **context: Any) -> T:
    """`await operation()`, again after each transient failure, for as long as `connection` is not closed.

    Waits double from FIRST_WAIT to MAX_WAIT; the first failure, then one every REPORT_EVERY
    seconds, and the success after failures are logged as warnings (with `context`).
    """
    failures, started, reported, wait = 0, time.monotonic(), 0.0, FIRST_WAIT
    while True:
        try:
            result = await operation()
        except Exception as error:
            if not is_transient(error) or connection is None or connection.is_closed:
                raise
            failures += 1
            waited = time.monotonic() - started
            if failures == 1 or waited - reported >= REPORT_EVERY:
                reported = waited
                log.warning("nats_unavailable_retrying", operation=what, error=repr(error), attempts=failures, waited_s=round(waited, 1), **context)
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_WAIT)
            continue
        if failures:
            log.warning("nats_available_again", operation=what, attempts=failures + 1, waited_s=round(time.monotonic() - started, 1), **context)
        return result


def pause_when_leaderless(subscriber: Any) -> None:
    """Make a pull subscriber wait out a consumer that has no leader instead of asking again at once.

    While a consumer elects a leader (or its stream has lost its quorum) every pull request is
    answered at once with 503 "no responders"; FastStream's pull loop swallows that and pulls
    again, spinning a core. A failed pull now takes as long as an empty one (the pull timeout).
    """
    subscription = getattr(subscriber, "subscription", None)
    fetch = getattr(subscription, "fetch", None)
    if fetch is None:
        return

    async def fetch_or_wait(batch: int = 1, timeout: float | None = 5, heartbeat: float | None = None) -> list[Any]:
        try:
            return await fetch(batch, timeout, heartbeat)
        except ServiceUnavailableError:
            await asyncio.sleep(timeout or 1.0)
            raise

    subscription.fetch = fetch_or_wait
