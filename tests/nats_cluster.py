"""A real JetStream cluster on loopback: three nats-servers with routes, for failover tests and benchmarks.

    with NatsCluster(tmp_path / "cluster") as cluster:   # started, formed (one meta leader, all current)
        cove run --nats-url cluster.urls ...
        cluster.kill(cluster.stream_leader("COVE"))    # kill -9, like a crashed machine
        cluster.restart(name)                          # same ports, same JetStream store

Each node is an `EmbeddedNats` (the venv's nats-server) with its own store dir, client, monitoring
and cluster ports, and a server name (`n1`, `n2`, `n3`). Readiness is read from the monitoring
endpoints (`/healthz`, `/jsz`), never assumed after a sleep.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import nats
import pytest

from actors.natsserver import HOST, EmbeddedNats, free_port

__all__ = ["NatsCluster", "nats_cluster"]

CLUSTER_NAME = "cove"


class ClusterNotFormedError(RuntimeError):
    """The nodes did not agree on a JetStream meta leader in time."""


def _get_json(port: int, path: str) -> dict[str, Any] | None:
    """A monitoring endpoint's JSON, or None while the node is down or unhealthy (HTTP 503)."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=1.0) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


async def _request(url: str, subject: str, body: dict[str, Any]) -> dict[str, Any]:
    """One JetStream API request over a short-lived nats-py connection."""
    client = await nats.connect(url)
    try:
        reply = await client.request(subject, json.dumps(body).encode(), timeout=5.0)
    finally:
        await client.close()
    return json.loads(reply.data)


class NatsCluster:
    """`size` nats-servers with JetStream, routed to each other in one cluster named `cove`."""

    def __init__(self, root: Path, size: int = 3, *, form_timeout: float = 30.0) -> None:
        self.root, self.form_timeout = Path(root), form_timeout
        names = [f"n{index}" for index in range(1, size + 1)]
        cluster_ports = {name: free_port() for name in names}
        routes = ",".join(f"nats://{HOST}:{port}" for port in cluster_ports.values())
        self.nodes: dict[str, EmbeddedNats] = {
            name: EmbeddedNats(
                self.root / name,
                extra_args=("--name", name, "--cluster_name", CLUSTER_NAME, "--cluster", f"nats://{HOST}:{cluster_ports[name]}", "--routes", routes),
            )
            for name in names
        }  # fmt: skip

    @property
    def urls(self) -> str:
        """Every node's client URL, comma-separated (what `--nats-url` takes)."""
        return ",".join(node.url for node in self.nodes.values())

    def running(self) -> list[str]:
        return [name for name, node in self.nodes.items() if node.pid is not None]

    def start(self) -> None:
        """Start every node and return once the cluster has formed."""
        for node in self.nodes.values():
            node.start()
        self.wait_formed()

    def wait_formed(self, timeout: float | None = None) -> None:
        """Block until every running node is healthy and they name one meta leader whose peers are all current."""
        deadline = time.monotonic() + (timeout or self.form_timeout)
        while time.monotonic() < deadline:
            if self._formed():
                return
            time.sleep(0.05)
        raise ClusterNotFormedError(f"cluster {self.running()} did not form in {timeout or self.form_timeout:.0f} s; logs under {self.root}")

    def _formed(self) -> bool:
        leaders = set()
        for name in self.running():
            node = self.nodes[name]
            if _get_json(node.monitor_port, "/healthz") is None:
                return False
            meta = (_get_json(node.monitor_port, "/jsz") or {}).get("meta_cluster") or {}
            if not meta.get("leader"):
                return False
            leaders.add(meta["leader"])
            if meta["leader"] == name:
                peers = meta.get("replicas") or []
                if len(peers) != len(self.nodes) - 1 or not all(peer.get("current") or peer["name"] not in self.running() for peer in peers):
                    return False
        return len(leaders) == 1

    def stream_leader(self, stream: str, timeout: float = 10.0) -> str:
        """The name of the node leading `stream` (from the nodes' `/jsz` stream details)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name in self.running():
                details = _get_json(self.nodes[name].monitor_port, "/jsz?streams=true") or {}
                for account in details.get("account_details") or []:
                    for info in account.get("stream_detail") or []:
                        leader = (info.get("cluster") or {}).get("leader")
                        if info.get("name") == stream and leader in self.running():
                            return leader
            time.sleep(0.05)
        raise LookupError(f"no running node leads stream {stream} after {timeout:.0f} s")

    def stream_replicas_current(self, stream: str) -> bool:
        """True when the stream's leader reports every other replica running and caught up."""
        for name in self.running():
            details = _get_json(self.nodes[name].monitor_port, "/jsz?streams=true") or {}
            for account in details.get("account_details") or []:
                for info in account.get("stream_detail") or []:
                    cluster = info.get("cluster") or {}
                    if info.get("name") == stream and cluster.get("leader") == name:
                        peers = cluster.get("replicas") or []
                        return len(peers) == len(self.nodes) - 1 and all(peer.get("current") and not peer.get("offline") for peer in peers)
        return False

    def consumer_replicas(self, stream: str, consumer: str) -> int:
        """How many nodes keep a durable consumer's state (its leader and followers), as its leader reports it."""
        for name in self.running():
            details = _get_json(self.nodes[name].monitor_port, "/jsz?consumers=true") or {}
            for account in details.get("account_details") or []:
                for info in account.get("stream_detail") or []:
                    for found in info.get("consumer_detail") or [] if info.get("name") == stream else []:
                        cluster = found.get("cluster") or {}
                        if found.get("name") == consumer and cluster.get("leader") == name:
                            return 1 + len(cluster.get("replicas") or [])
        return 0

    def client_names(self, name: str) -> list[str]:
        """The names of the clients connected to one node (cove names its connections `cove-...`)."""
        connz = _get_json(self.nodes[name].monitor_port, "/connz?limit=1024") or {}
        return [connection.get("name", "") for connection in connz.get("connections") or []]

    def move_stream_leader(self, stream: str, to: str, timeout: float = 15.0) -> None:
        """Ask the stream's leader to step down in favour of node `to`; return once `to` leads it."""
        deadline = time.monotonic() + timeout
        while self.stream_leader(stream) != to:
            if time.monotonic() > deadline:
                raise LookupError(f"{to} did not take over stream {stream} in {timeout:.0f} s")
            asyncio.run(_request(self.nodes[to].url, f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", {"placement": {"preferred": to}}))
            settle = time.monotonic() + 2.0  # the monitoring endpoints learn the new leader within this
            while self.stream_leader(stream) != to and time.monotonic() < settle:
                time.sleep(0.05)

    def kill(self, name: str) -> None:
        """SIGKILL one node: nothing flushed, its clients and routes cut at once."""
        self.nodes[name].kill()

    def restart(self, name: str) -> None:
        """Start a stopped or killed node again on the same ports and JetStream store."""
        self.nodes[name].start()

    def close(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    """A formed 3-node JetStream cluster on loopback, its stores under tmp_path; every node stopped afterwards."""
    with NatsCluster(tmp_path / "cluster") as cluster:
        yield cluster
