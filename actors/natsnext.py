"""A pull subscription's `next_msg` without a uuid and a task for every message.

nats-py's `PullSubscription.fetch` takes each message of a pull through `Subscription.next_msg`,
which names the call with `uuid4()` (a system call for random bytes), starts a task for it and a
second one inside `asyncio.wait_for`: in a scripted run that was ~6% of the process's CPU. The
version here keeps what `next_msg` promises (the same errors; a closing connection still cancels a
waiting call through `_pending_next_msgs_calls`; the same pending-size bookkeeping) and the fetch
protocol itself (its pull requests, batches, status messages) is untouched: a message already in
the subscription's queue is taken at once, and only a call that must wait starts one task, with a
counter for its name.

Installed per subscription (an instance attribute shadows the method), only where the subscription
has the attributes it relies on; any other nats-py keeps its own.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from nats import errors
from nats.aio.msg import Msg

_NEEDS = ("_pending_queue", "_pending_size", "_pending_next_msgs_calls", "_conn", "_cb")


def lean_next_msg(sub: Any) -> bool:
    """Give nats-py `Subscription` `sub` the cheaper `next_msg`; False (nothing changed) where it cannot."""
    if not all(hasattr(sub, name) for name in _NEEDS) or sub._cb is not None or sub._pending_next_msgs_calls is None:
        return False
    queue: asyncio.Queue[Msg] = sub._pending_queue
    calls: dict[Any, asyncio.Future] = sub._pending_next_msgs_calls
    names = itertools.count()

    async def next_msg(timeout: float | None = 1.0) -> Msg:
        if sub._conn.is_closed:
            raise errors.ConnectionClosedError
        if queue.empty():
            name = next(names)
            getter = asyncio.ensure_future(queue.get())
            calls[name] = getter  # what closing the connection cancels
            try:
                msg = await asyncio.wait_for(getter, timeout)  # a future, not a coroutine: no second task
            except asyncio.TimeoutError:
                if sub._conn.is_closed:
                    raise errors.ConnectionClosedError
                raise errors.TimeoutError
            except asyncio.CancelledError:
                if sub._conn.is_closed:
                    raise errors.ConnectionClosedError
                raise
            finally:
                calls.pop(name, None)
        else:
            msg = queue.get_nowait()
        sub._pending_size -= len(msg.data)
        queue.task_done()  # a message is done once the client has taken it, as in nats-py
        return msg

    sub.next_msg = next_msg
    return True
