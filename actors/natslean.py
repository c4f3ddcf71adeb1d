"""Where nats-py spends a system call or a task per message on something cove does not need.

**A pull subscription's `next_msg`.** nats-py's `PullSubscription.fetch` takes each message of a
pull through `Subscription.next_msg`, which names the call with `uuid4()` (a system call for random
bytes), starts a task for it and a second one inside `asyncio.wait_for`: in a scripted run that was
~6% of the process's CPU. `lean_next_msg` keeps what `next_msg` promises (the same errors; a closing
connection still cancels a waiting call through `_pending_next_msgs_calls`; the same pending-size
bookkeeping) and the fetch protocol itself (its pull requests, batches, status messages) is
untouched: a message already in the subscription's queue is taken at once, and only a call that
must wait starts one task, with a counter for its name. Installed per subscription (an instance
attribute shadows the method), only where the subscription has the attributes it relies on.

**A request's reply token.** Every request (each JetStream publish waits for its PubAck through
one) gets a reply subject made of the connection's NUID, unique per request already, and two more
random bytes from `secrets.token_hex`: another system call each time (~2% of the CPU).
`cheap_request_tokens` draws those two bytes from a PRNG seeded once from the system's randomness,
as the NUID's own sequence is.
"""

from __future__ import annotations

import asyncio
import itertools
import random
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


_tokens = random.Random()  # seeded from os.urandom


def _token_hex(nbytes: int) -> str:
    return format(_tokens.getrandbits(8 * nbytes), f"0{2 * nbytes}x")


def cheap_request_tokens() -> bool:
    """Give nats-py's requests their reply token from `_token_hex`; False (nothing changed) where nats-py draws it otherwise."""
    import nats.aio.client as client

    if getattr(client, "token_hex", None) is None:
        return False
    client.token_hex = _token_hex
    return True
