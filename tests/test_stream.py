"""The COVE stream's replicas and the server list: created once as asked, never fought over, bad values refused in one line."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time

import nats
import pytest
from typer.testing import CliRunner

from actors.bus import NatsUrlError, split_servers
from actors.natsserver import HOST, EmbeddedNats, find_nats_server, free_port
from actors.stream import STREAM_NAME, StreamReplicasError, declare_stream
from cove.cli import app
from cove.settings import RunSettings
from tests.nats_cluster import NatsCluster

runner = CliRunner()


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cove: error: "), result.output
    return lines[0]


def test_server_lists_are_split_and_normalised():
    """A comma-separated --nats-url gives every server in order (spaces dropped); an empty entry is an error."""
    assert split_servers("nats://a:4222, nats://b:4222,nats://c:4222") == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
    assert RunSettings(nats_url="nats://a:1 ,nats://b:2").nats_url == "nats://a:1,nats://b:2"
    for bad in ("nats://a:1,,nats://b:2", "nats://a:1,", " "):
        with pytest.raises(NatsUrlError):
            split_servers(bad)


@pytest.mark.parametrize("command", [["run", "--count", "1", "--out", "{out}"], ["worker", "agent"]], ids=["run", "worker"])
def test_an_empty_server_in_the_list_is_one_line(tmp_path, command):
    """`--nats-url a,,b` on run and worker exits 2 with one line, before anything is written."""
    args = [arg.format(out=tmp_path / "out") for arg in command]
    result = runner.invoke(app, [*args, "--nats-url", "nats://127.0.0.1:1,,nats://127.0.0.1:2"])
    assert "empty server" in _one_line_error(result)
    assert not (tmp_path / "out").exists()


def test_replicas_on_the_embedded_server_are_refused(tmp_path):
    """`cove run --stream-replicas 3` without --nats-url is one line (a single server holds no replicas) and writes nothing."""
    result = runner.invoke(app, ["run", "--count", "1", "--stream-replicas", "3", "--out", str(tmp_path / "out")])
    assert "needs a NATS cluster" in _one_line_error(result)
    assert not (tmp_path / "out").exists()


def test_replicas_on_a_single_external_server_are_refused(tmp_path):
    """`cove worker --stream-replicas 3` against one nats-server exits 2 with the server's reason in one line."""
    with EmbeddedNats(tmp_path / "nats") as server:
        result = runner.invoke(app, ["worker", "verifier", "--nats-url", server.url, "--stream-replicas", "3", "--scale", "0.2"])
    assert "cannot create stream COVE with 3 replica(s)" in _one_line_error(result)


@pytest.mark.parametrize("command", [["run", "--count", "1", "--nats-timeout", "5", "--out", "{out}"], ["worker", "sampler"]], ids=["run", "worker"])
def test_a_server_without_jetstream_is_one_line(tmp_path, command):
    """Against a nats-server without JetStream, run and worker exit 2 saying so in one line."""
    port = free_port()
    server = subprocess.Popen([find_nats_server(), "-a", HOST, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not _accepts(port):
            assert server.poll() is None and time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.01)
        args = [arg.format(out=tmp_path / "out") for arg in command]
        result = runner.invoke(app, [*args, "--nats-url", f"nats://{HOST}:{port}", "--scale", "0.2"])
    finally:
        server.terminate()
        server.wait(10)
    assert "JetStream is not enabled" in _one_line_error(result)


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


async def _declare_in_turn(url: str) -> list:
    """R1 created, then asked for again as R1, as whatever exists, and as R3 (refused)."""
    client = await nats.connect(url)
    js, outcomes = client.jetstream(), []
    try:
        for replicas in (1, 1, None, 3):
            try:
                info = await declare_stream(js, replicas)
                outcomes.append(info.config.num_replicas)
            except StreamReplicasError as error:
                outcomes.append(str(error))
        outcomes.append((await js.stream_info(STREAM_NAME)).config.num_replicas)
    finally:
        await client.close()
    return outcomes


def test_an_existing_stream_is_used_as_it_is_never_rescaled(nats_cluster: NatsCluster):
    """On a cluster, declaring the stream again is a no-op; asking for other replicas than it has is refused, and it keeps its own."""
    outcomes = asyncio.run(_declare_in_turn(nats_cluster.urls.split(",")[0]))
    assert outcomes[:3] == [1, 1, 1] and outcomes[4] == 1
    assert "has 1 replica(s), not the 3 asked for" in outcomes[3] and "--stream-replicas 1" in outcomes[3]
