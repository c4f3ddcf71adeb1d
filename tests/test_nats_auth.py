"""NATS credentials: a run reaches a server that requires them, and bad or half credentials fail clearly."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from actors.natsauth import NatsAuth, NatsAuthError
from actors.natsserver import EmbeddedNats
from cove.cli import app
from cove.run import run_dialogues
from cove.settings import RunSettings

PASSWORD = "s3cret-nats-pass"
TOKEN = "t0ken-for-nats"


def _settings(tmp_path, url, auth):
    return RunSettings(domain="retail", scale=0.2, db_seed=1, count=2, seed=4, concurrency=2, out=tmp_path / "out", nats_url=url, nats_auth=auth, progress=False, nats_connect_timeout=3.0)


@pytest.mark.parametrize(
    "server_args, auth",
    [
        (("--user", "cove", "--pass", PASSWORD), NatsAuth(user="cove", password=PASSWORD)),
        (("--auth", TOKEN), NatsAuth(token=TOKEN)),
    ],
    ids=["user-password", "token"],
)
def test_run_authenticates_to_a_protected_server(tmp_path, server_args, auth):
    """With the right credentials a run completes against a server that demands them; secrets stay out of every file."""
    with EmbeddedNats(tmp_path / "nats", extra_args=server_args) as server:
        summary = asyncio.run(run_dialogues(_settings(tmp_path, server.url, auth)))
    assert summary["dialogues"] == 2 and summary["unfinished"] == 0
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert PASSWORD.encode() not in written and TOKEN.encode() not in written
    assert PASSWORD not in repr(auth) and TOKEN not in repr(auth)


def test_wrong_password_is_a_clear_error(tmp_path):
    """A wrong password exits non-zero naming NATS, without printing the password."""
    with EmbeddedNats(tmp_path / "nats", extra_args=("--user", "cove", "--pass", PASSWORD)) as server:
        result = CliRunner().invoke(app, ["run", "--count", "1", "--nats-url", server.url, "--nats-user", "cove", "--nats-password", "wrong-one", "--nats-timeout", "3", "--out", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 2 and "NATS" in result.output and "wrong-one" not in result.output


@pytest.mark.parametrize(
    "auth, message",
    [
        (NatsAuth(user="cove"), "user and password go together"),
        (NatsAuth(tls_cert="/nope/cert.pem"), "does not exist"),
        (NatsAuth(creds_file="/nope/user.creds"), "does not exist"),
    ],
    ids=["user-without-password", "missing-cert", "missing-creds"],
)
def test_unusable_credentials_are_refused_before_connecting(auth, message):
    """Half a credential pair or a missing file is refused with a message saying which."""
    with pytest.raises(NatsAuthError, match=message):
        auth.connect_kwargs()
