"""A run never hangs, never orphans a process and never lies about what it made (issue 12).

In-process runs use `run_dialogues` or `run_command`; the ones that need real signals (Ctrl-C,
kill -9 of the controller) run `cove run` as a subprocess and wait on what it leaves in its
event store and pid file.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actors.bus import RetryPolicy, make_broker, start_bus
from actors.runtime import ActorContext, build_router
from cove.cli import app
from cove.run import run_dialogues
from cove.runner import run_command
from cove.settings import RoleSettings, RunSettings
from events import DialogueEnded, DialogueRequested, DialogueVerified
from store.eventlog import EventStore
from tests.openai_server import Reply, always
from tests.progress import verified_rows, wait_for

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "COVE_LOG_LEVEL": "WARNING"}
FLAGS = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--seed", "5", "--scripted-error-rate", "0.0", "--model-timeout", "10", "--no-progress"]
KEY = "COVE_TEST_ROBUST_KEY"
pytestmark = pytest.mark.usefixtures("restore_logging")  # `cove run` in-process configures logging for the process


def _settings(out: Path, **overrides) -> RunSettings:
    values = dict(domain="retail", scale=0.2, db_seed=1, count=3, seed=5, concurrency=3, out=out, progress=False, scripted_error_rate=0.0)
    return RunSettings(**(values | overrides))


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _cove_lines(stderr: str) -> list[str]:
    """The human lines of stderr (structured log lines are JSON)."""
    return [line for line in stderr.splitlines() if line.startswith("cove:")]




def _start_run(out: Path, *args: str) -> subprocess.Popen:
    """`cove run` in its own session, its output in files (a full pipe could block it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    logs = (open(out.parent / f"{out.name}.stdout", "w"), open(out.parent / f"{out.name}.stderr", "w"))
    return subprocess.Popen([sys.executable, "-m", "cove.cli", "run", *FLAGS, *args, "--out", str(out)], env=ENV, stdout=logs[0], stderr=logs[1], start_new_session=True, cwd=REPO)


def _stderr(out: Path) -> str:
    return (out.parent / f"{out.name}.stderr").read_text()


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`: their command lines by pid."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found[int(status.parent.name)] = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def process_alive(pid: int) -> bool:
    """The process exists and is not a zombie (/proc/<pid>/stat)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _resume(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cove.cli", "run", "--resume", str(out), *args], env=ENV, capture_output=True, text=True, timeout=240, cwd=REPO)


# row 1: a dialogue that can never finish is finished as failed


@pytest.mark.timeout(120)
def test_a_dialogue_whose_sampler_gives_up_is_ended_as_failed(tmp_path, nats_server):
    """A sampler that fails on every trigger dead-letters it; the run ends those dialogues as unscored infrastructure failures instead of waiting for ever, and the store verifies clean."""
    out = tmp_path / "run"
    settings = _settings(out, nats_url=nats_server.url, actors=("fuzzifier", "user", "agent", "executor", "verifier"))

    async def scenario() -> dict:
        broker = make_broker(nats_server.url)
        broken = ActorContext(broker=broker, bases={}, retry=RetryPolicy(first_delay=0.05, max_delay=0.2))  # a sampler with no database fails on every trigger
        broker.include_router(build_router("sampler", broken, max_workers=4))
        await start_bus(broker)
        try:
            return await asyncio.wait_for(run_dialogues(settings), 90)
        finally:
            await broker.stop()

    summary = asyncio.run(scenario())
    assert summary["dialogues"] == summary["finished"] == 3 and summary["unfinished"] == 0
    assert summary["scored"] == 0 and summary["dead_letters"] == 3 and summary["terminations"] == {"infrastructure_failure": 3}
    with EventStore(out / "events.db", readonly=True) as store:
        for dialogue_id in store.dialogue_ids():
            events = store.events(dialogue_id)
            assert [type(e) for e in events] == [DialogueRequested, DialogueEnded, DialogueVerified]
            assert events[1].reason == "infrastructure_failure" and "the sampler gave up" in events[1].detail and "has no retail database" in events[1].detail
            assert events[2].verdict["scored"] is False
    verified = CliRunner().invoke(app, ["verify", "--store", str(out / "events.db")])
    assert verified.exit_code == 0, verified.output  # no task, no turn, an unscored verdict: nothing wrong in the store


# row 2: a permanent model error, or infrastructure failures in a row, stop the run


def _http_models(server_url: str, **role) -> dict[str, RoleSettings]:
    common = dict(api_base=server_url, api_key_env=KEY, timeout=5.0) | role
    return {"agent": RoleSettings(model="openai/test-agent", **common), "user": RoleSettings(model="openai/test-user", **common)}


@pytest.mark.timeout(150)
def test_a_refused_key_stops_the_run_at_once(tmp_path, openai_server):
    """A model that refuses the key stops a --target-passing run after the dialogues in flight: one error line naming it, exit 1, summary incomplete."""
    openai_server.script = always(Reply.unauthorized())
    out = tmp_path / "run"
    models = [arg for role in ("agent", "user") for arg in (f"--{role}-model", f"openai/test-{role}", f"--{role}-base-url", openai_server.url, f"--{role}-api-key-env", KEY)]
    command = [sys.executable, "-m", "cove.cli", "run", *FLAGS, "--target-passing", "5", "--concurrency", "2", *models, "--out", str(out)]
    try:
        result = subprocess.run(command, env=ENV | {KEY: "sk-refused-0000"}, capture_output=True, text=True, timeout=120, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail("the run did not stop within 120 s")
    [line] = _cove_lines(result.stderr)
    assert result.returncode == 1 and line.startswith("cove: error: the user model openai/test-user cannot be used: authentication_error"), result.stderr
    assert "sk-refused-0000" not in result.stderr and "Traceback" not in result.stderr
    summary = _summary(out)
    assert summary["stopped_by"] == "model_refused" and summary["complete"] is False
    assert 1 <= summary["finished"] <= 2 and summary["scored"] == 0 and len(openai_server.requests) <= 2


@pytest.mark.timeout(120)
def test_infrastructure_failures_in_a_row_stop_the_run(tmp_path, openai_server, monkeypatch, capsys):
    """A model API that stays down (503) stops a continuous run once the last --infra-failure-limit dialogues all failed on infrastructure: exit 1."""
    monkeypatch.setenv(KEY, "sk-test-0000")
    openai_server.script = always(Reply.server_error(503))
    out = tmp_path / "run"
    code = run_command(_settings(out, count=None, target_passing=5, concurrency=2, infra_failure_limit=3, **_http_models(openai_server.url, max_attempts=1)))
    [line] = _cove_lines(capsys.readouterr().err)
    assert code == 1 and "the last 3 finished dialogues all failed on infrastructure" in line
    summary = _summary(out)
    assert summary["stopped_by"] == "infrastructure_failures" and summary["complete"] is False
    assert 3 <= summary["finished"] <= 4 and summary["scored"] == 0 and summary["attributions"] == {"infrastructure": summary["finished"]}


# row 4: the embedded nats-server (and the helpers) die with the controller; a stale server is stopped


@pytest.mark.timeout(300)
def test_kill_9_of_the_controller_leaves_no_process_and_resume_finishes(tmp_path):
    """kill -9 of a `--processes 2` controller takes its nats-server and helper with it; the resume finishes the run."""
    out = tmp_path / "run"
    process = _start_run(out, "--count", "6", "--concurrency", "3", "--processes", "2")
    started: list[int] = []
    try:
        wait_for(lambda: verified_rows(out / "events.db") >= 2 or process.poll() is not None, 180, "2 verified dialogues")
        assert process.poll() is None, _stderr(out)
        children = _children(process.pid)
        servers = [pid for pid, command in children.items() if "nats-server" in command]
        helpers = [pid for pid, command in children.items() if "cove.replicas" in command]
        started = servers + helpers
        assert len(servers) == 1 and len(helpers) == 1, children
        process.kill()  # the controller alone, not its process group
        process.wait(30)
        wait_for(lambda: not any(process_alive(pid) for pid in started), 30, "the nats-server and the helper to exit")
    finally:
        for pid in filter(process_alive, started):
            os.kill(pid, signal.SIGKILL)  # left behind (what this test is about): do not leak it
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    resumed = _resume(out, "--processes", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert _summary(out)["complete"] is True and _summary(out)["finished"] == 6


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A small finished run (its store kept under run/nats)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert asyncio.run(run_dialogues(_settings(out, count=2)))["unfinished"] == 0
    return out


def _orphan_server(store_dir: Path) -> int:
    """Start a nats-server on `store_dir` from a process that then exits without stopping it: an orphan."""
    code = "import sys; from actors.natsserver import EmbeddedNats; s = EmbeddedNats(sys.argv[1]); s.start(); print(s.pid)"
    started = subprocess.run([sys.executable, "-c", code, str(store_dir)], capture_output=True, text=True, timeout=60, cwd=REPO, env=ENV, check=True)
    return int(started.stdout.split()[-1])


@pytest.mark.timeout(120)
def test_resume_stops_a_nats_server_left_on_its_store(finished_run):
    """A nats-server whose starter died still holds the run's store: `--resume` stops it and goes on with one server of its own."""
    orphan = _orphan_server(finished_run / "nats")
    try:
        assert process_alive(orphan)
        resumed = _resume(finished_run)
        assert resumed.returncode == 0, resumed.stderr
        assert not process_alive(orphan)
    finally:
        if process_alive(orphan):
            os.kill(orphan, signal.SIGKILL)


@pytest.mark.timeout(60)
def test_resume_refuses_a_store_held_by_a_running_process(finished_run):
    """While a live process's nats-server holds the store, `--resume` refuses with one line (exit 2) and leaves that server running."""
    from actors.natsserver import EmbeddedNats

    with EmbeddedNats(finished_run / "nats") as server:
        result = CliRunner().invoke(app, ["run", "--resume", str(finished_run)])
        assert process_alive(server.pid)
    [line] = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and "is in use" in line and str(os.getpid()) in line


# row 8: Ctrl-C says whether the run is complete


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("args", "code", "complete"),
    [pytest.param(["--count", "40"], 130, False, id="count-run"), pytest.param([], 0, True, id="continuous-run")],
)
def test_ctrl_c_exit_code_and_summary_say_whether_the_run_is_complete(tmp_path, args, code, complete):
    """Ctrl-C drains and exports; a --count run stopped short exits 130 with complete: false, a continuous run exits 0, complete."""
    out = tmp_path / "run"
    process = _start_run(out, "--concurrency", "2", *args)
    try:
        wait_for(lambda: verified_rows(out / "events.db") >= 2 or process.poll() is not None, 120, "2 verified dialogues")
        assert process.poll() is None, _stderr(out)
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == code, _stderr(out)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    summary = _summary(out)
    assert summary["complete"] is complete and summary["stopped_by"] == "interrupted" and summary["unfinished"] == 0
    assert summary["finished"] == summary["dialogues"] >= 2
    assert summary["requested"] == (40 if args else summary["finished"])


# row 9: rates over the whole run


@pytest.mark.timeout(120)
def test_rates_count_every_part_of_a_resumed_run(tmp_path):
    """Resuming a finished run keeps the first part's seconds: the rate is over the whole run, not over the last, empty part."""
    out = tmp_path / "run"
    first = asyncio.run(run_dialogues(_settings(out, count=4)))["timings"]
    again = asyncio.run(run_dialogues(_settings(out, count=4), resume=True))["timings"]
    assert again["parts"] == 2 and again["seconds"] >= first["seconds"] > again["last_part_seconds"] > 0
    assert again["dialogues_per_second"] <= first["dialogues_per_second"]
    assert json.loads((out / "run.json").read_text())["elapsed_seconds"] == again["seconds"]


# row 10: the user's umask


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_files_a_run_writes_get_the_users_umask(tmp_path, umask_027):
    """Under umask 027 every file a run or `cove db generate` writes is 0640, like events.db (not mkstemp's 0600)."""
    out = tmp_path / "run"
    asyncio.run(run_dialogues(_settings(out, count=2)))
    generated = CliRunner().invoke(app, ["db", "generate", "--domain", "airline", "--scale", "0.1", "--out", str(tmp_path / "airline.json")])
    assert generated.exit_code == 0, generated.output
    paths = [out / name for name in ("events.db", "sft.jsonl", "rewards.jsonl", "summary.json", "run.json")] + [tmp_path / "airline.json"]
    assert {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in paths} == {path.name: "0o640" for path in paths}


# row 12: --target-passing N gives N rows


@pytest.mark.timeout(120)
def test_target_passing_exports_exactly_that_many_rows(tmp_path):
    """--target-passing 1 with 5 dialogues in flight writes one sft row, the lowest-id passing dialogue, and counts the other passing ones as not exported."""
    out = tmp_path / "run"
    summary = asyncio.run(run_dialogues(_settings(out, count=None, target_passing=1, concurrency=5)))
    rows, rewards = _lines(out / "sft.jsonl"), _lines(out / "rewards.jsonl")
    passing = sorted(row["dialogue_id"] for row in rewards if row["score"] == 1.0)
    assert summary["passing"] == len(passing) > 1, "the drained dialogues must overshoot the target"
    assert len(rows) == summary["sft_rows"] == 1 and rows[0]["meta"]["dialogue_id"] == passing[0]
    assert summary["passing_not_exported"] == len(passing) - 1
    assert summary["stopped_by"] == "target_passing" and summary["complete"] is True
