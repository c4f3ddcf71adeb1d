"""Pytest fixtures for tests that need a real nats-server (import them from conftest.py)."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from faststream.nats import NatsBroker, NatsRouter

from actors.bus import make_broker, start_bus
from actors.natsserver import EmbeddedNats

__all__ = ["nats_server", "running_broker"]


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A private nats-server with JetStream on a free loopback port, its files under tmp_path."""
    with EmbeddedNats(tmp_path / "nats") as server:
        yield server


@asynccontextmanager
async def running_broker(url: str, *routers: NatsRouter, **connect: Any) -> AsyncIterator[NatsBroker]:
    """A started broker (COVE stream declared) serving `routers`; stopped on exit."""
    broker = make_broker(url, reconnect_time_wait=0.1, max_reconnect_attempts=-1, **connect)
    for router in routers:
        broker.include_router(router)
    await start_bus(broker)
    try:
        yield broker
    finally:
        await broker.stop()
