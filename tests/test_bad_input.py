"""Bad input to `cove run`, `cove worker`, `cove sample`, `cove db` and `cove tools`: one clear line, a non-zero exit, nothing started, nothing left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from actors.natsserver import free_port
from cove.cli import app

SMALL = ["--domain", "retail", "--scale", "0.2", "--db-seed", "1", "--no-progress"]
pytestmark = pytest.mark.usefixtures("restore_logging")  # `cove run` in-process configures logging for the process


def cove(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def nats_servers_on(path: Path) -> list[int]:
    """Pids of running nats-servers whose command line names `path` (their JetStream store)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"nats-server") and any(str(path).encode() in arg for arg in argv):
            found.append(int(cmdline.parent.name))
    return found


def one_error_line(result) -> str:
    """The only line the command wrote to stderr, which must be an error line."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cove: error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> dict[str, Path]:
    """A good retail and airline database, and broken ones: empty tables, truncated, a JSON list."""
    folder = tmp_path_factory.mktemp("dbs")
    paths = {name: folder / f"{name}.json" for name in ("retail", "airline", "empty", "truncated", "list")}
    for domain in ("retail", "airline"):
        assert cove("db", "generate", "--domain", domain, "--seed", 1, "--scale", 0.2, "--out", paths[domain]).exit_code == 0
    text = paths["retail"].read_text()
    paths["empty"].write_text(json.dumps({**json.loads(text), "products": {}, "users": {}, "orders": {}}))
    paths["truncated"].write_text(text[: len(text) // 3])
    paths["list"].write_text("[1, 2]")
    return paths


BAD_RUNS = [
    pytest.param(["--fuzz", "bogus"], "unknown fuzz level 'bogus'", id="fuzz"),
    pytest.param(["--constraints", "abc"], "--constraints must look like '2' or '1-3'", id="constraints-syntax"),
    pytest.param(["--constraints", "5-2"], "1 <= low <= high", id="constraints-reversed"),
    pytest.param(["--db", "{empty}"], "no task can be sampled from it", id="db-without-goals"),
    pytest.param(["--db", "{truncated}"], "invalid JSON at line", id="db-truncated"),
    pytest.param(["--db", "{airline}"], "this is an airline database", id="db-other-domain"),
    pytest.param(["--db", "{list}"], "top level must be a JSON object", id="db-list"),
    pytest.param(["--agent-model", "fooprovider/x"], "--agent-model fooprovider/x: litellm knows no provider", id="unknown-provider"),
    pytest.param(["--agent-model", "openai/gpt-4.1-mini", "--agent-api-key-env", "COVE_TEST_UNSET_KEY"], "COVE_TEST_UNSET_KEY is not set", id="unset-key-variable"),
    pytest.param(["--agent-model", "openai/gpt-4.1-mini"], "no API key: set OPENAI_API_KEY", id="no-key-at-all"),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("flags", "says"), BAD_RUNS)
def test_run_refuses_bad_input_before_starting_anything(databases, tmp_path, monkeypatch, flags, says):
    """Bad settings, databases or models end `cove run` with one line and exit 2, before an output folder or a nats-server exists."""
    monkeypatch.delenv("COVE_TEST_UNSET_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = tmp_path / "run"
    args = [flag.format(**{k: str(v) for k, v in databases.items()}) for flag in flags]
    result = cove("run", "--count", 3, *SMALL, "--out", out, *args)
    assert result.exit_code == 2 and says in one_error_line(result)
    assert not out.exists() and nats_servers_on(out) == []


@pytest.mark.timeout(60)
def test_worker_refuses_bad_input_before_connecting(tmp_path):
    """`cove worker` checks its settings before it reaches for NATS: one line, exit 2."""
    result = cove("worker", "sampler", "--nats-url", f"nats://127.0.0.1:{free_port()}", "--scale", 0.2, "--constraints", "3-1")
    assert result.exit_code == 2 and "1 <= low <= high" in one_error_line(result)


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["run", "--count", 1, *SMALL, "--out", "{file}"], id="run-out-is-a-file"),
        pytest.param(["db", "generate", "--domain", "retail", "--scale", 0.2, "--out", "{folder}"], id="generate-out-is-a-folder"),
        pytest.param(["tools", "replay", "--domain", "retail", "--db", "{retail}", "--calls", "{calls}", "--out", "{folder}"], id="replay-out-is-a-folder"),
        pytest.param(["sample", "--domain", "retail", "--db", "{retail}", "--n", 2, "--out", "{folder}"], id="sample-out-is-a-folder"),
    ],
)
def test_an_output_path_of_the_wrong_kind_is_one_line(databases, tmp_path, command):
    """A file where a folder must go, or a folder where a file must go, is one error line and exit 2, and nothing is written."""
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "somedir").mkdir()
    (tmp_path / "calls.json").write_text("[]")
    paths = {"file": tmp_path / "afile", "folder": tmp_path / "somedir", "retail": databases["retail"], "calls": tmp_path / "calls.json"}
    result = cove(*[str(part).format(**paths) for part in command])
    line = one_error_line(result)
    assert result.exit_code == 2 and ("is a file" in line or "is a folder" in line)
    assert (tmp_path / "afile").read_text() == "keep me\n" and list((tmp_path / "somedir").iterdir()) == []


@pytest.mark.timeout(120)
def test_unreachable_nats_says_why_and_leaves_the_output_folder_reusable(tmp_path, nats_server):
    """`--nats-url` with nothing listening names the reason; the folder holds no run, so the same --out works once NATS does."""
    out = tmp_path / "run"
    dead = f"nats://127.0.0.1:{free_port()}"
    result = cove("run", "--count", 2, *SMALL, "--nats-url", dead, "--nats-timeout", 5, "--out", out)
    line = one_error_line(result)
    assert result.exit_code == 2 and line.startswith(f"cove: error: cannot use NATS at {dead}: ") and "Connection" in line, line
    assert not (out / "run.json").exists() and not (out / "events.db").exists()
    assert "no run to resume" in one_error_line(cove("run", "--resume", out))
    again = cove("run", "--count", 2, *SMALL, "--nats-url", nats_server.url, "--out", out)
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["finished"] == 2


@pytest.mark.timeout(60)
async def test_a_server_list_needs_one_server_that_answers(nats_server):
    """A comma-separated --nats-url is probed server by server: one live server is enough; none names each one's reason."""
    from cove.preflight import RunError, probe_nats

    dead = [f"nats://127.0.0.1:{free_port()}" for _ in range(2)]
    await probe_nats(f"{dead[0]},{nats_server.url}", {}, 5.0)
    with pytest.raises(RunError) as refused:
        await probe_nats(",".join(dead), {}, 5.0)
    message = str(refused.value)
    assert message.startswith("cannot use NATS at any of 2 servers: ") and all(url.removeprefix("nats://") + ": " in message for url in dead), message


def test_check_refuses_a_database_no_task_can_be_sampled_from(databases):
    """A retail database whose tables are empty passes the schema but cannot give a task: `cove db check` says so and exits 1."""
    result = cove("db", "check", "--domain", "retail", "--db", databases["empty"])
    assert result.exit_code == 1 and "no task can be sampled from it" in result.stderr


@pytest.mark.parametrize(("domain", "other"), [("retail", "airline"), ("airline", "retail")])
def test_check_names_the_domain_of_a_database_of_the_other_domain(databases, domain, other):
    """Checking a database of the other domain gives one problem naming that domain, not a field error per record."""
    result = cove("db", "check", "--domain", domain, "--db", databases[other])
    assert result.exit_code == 1
    assert f"this is a{'n' if other == 'airline' else ''} {other} database" in result.stderr and f"--domain {other}" in result.stderr
    assert "1 problem(s)" in result.stderr
