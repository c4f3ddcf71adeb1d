"""What `cove run` and `cove worker` check before they start anything, so bad input is one clear line.

Everything here runs before a nats-server starts or a file is written: the output folder, the
database (readable, of the run's domain, with goals to sample), the goal-count range and fuzz level
(the same check `cove sample` and `cove db check` make), the models (a known provider, the named
API-key variables set), and whether NATS answers at all.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from cove.settings import RoleSettings, RunSettings
from domains.state import Database


class RunError(RuntimeError):
    """A run that cannot start or go on: a clear message for the user."""


def load_base(settings: RunSettings) -> Database:
    """The run's base database: the given file, or our generated sandbox for (db_seed, scale)."""
    from domains.registry import get_domain

    if settings.db is not None:
        return get_domain(settings.domain).load(settings.db)
    from domains.generators import generate_database

    data = generate_database(settings.domain, seed=settings.db_seed, scale=settings.scale)
    return get_domain(settings.domain).from_json(data, source=f"<generated {settings.domain} seed {settings.db_seed} scale {settings.scale}>")


def model_roles(settings: RunSettings) -> list[tuple[str, RoleSettings]]:
    """The models the actor types of `settings.actors` call, each with the flag prefix that sets it
    (every simulator of a user pool under "user")."""
    roles = [(role, getattr(settings, role)) for role in ("agent",) if role in settings.actors]
    if "user" in settings.actors:
        roles += [("user", simulator.role) for simulator in settings.user_simulators()]
    if settings.rewrite is not None and "fuzzifier" in settings.actors:
        roles.append(("rewrite", settings.rewrite))
    return roles


def check_models(settings: RunSettings) -> None:
    """RunError unless every model the run calls can be called: key variables set, provider known."""
    roles = model_roles(settings)
    for role, model in roles:
        if model.api_key_env is not None and model.api_key_env not in os.environ:
            whose = f" (user simulator {model.model})" if settings.user_pool and role == "user" else ""
            raise RunError(f"--{role}-api-key-env {model.api_key_env}{whose}: the environment variable {model.api_key_env} is not set")
    if not roles:
        return
    from actors.llm import model_problem
    from actors.scripted import register_scripted_models

    register_scripted_models()
    for role, model in roles:
        problem = model_problem(model.model, model.api_base, has_api_key=model.api_key_env is not None)
        if problem is not None:
            raise RunError(f"--{role}-model {model.model}: {problem}")


def checked_base(settings: RunSettings) -> Database:
    """The run's base database, after checking that the settings can sample tasks from it (else RunError)."""
    from domains.sampling import SamplingError, check_sampling
    from domains.state import DatabaseError

    try:
        base = load_base(settings)
        check_sampling(settings.domain, base, settings.constraints, settings.fuzz)
    except (DatabaseError, SamplingError) as exc:
        raise RunError(str(exc)) from None
    return base


def check_inputs(settings: RunSettings) -> Database:
    """Every check a run or worker makes before starting anything; returns the base database."""
    base = checked_base(settings)
    check_models(settings)
    return base


def describe_error(exc: BaseException) -> str:
    """An exception as one line that always says something (some have no message at all)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def probe_nats(url: str, auth: dict[str, Any], timeout: float) -> None:
    """RunError, with the reason, unless a server of `url` (one URL or a comma-separated list) accepts a connection and has JetStream.

    `auth`: the keyword arguments FastStream's broker takes (actors/natsauth.py), turned into nats-py's.
    The servers of a list are tried at once: one that answers is enough (the run's client reconnects
    to the others when they come back); when none does, the error names each one's reason.
    """
    from actors.bus import server_address, split_servers

    servers = split_servers(url)
    results = await asyncio.gather(*(_probe_server(server, auth, timeout) for server in servers))
    if any(reason is None for reason in results):
        return
    if len(servers) == 1:
        raise RunError(f"cannot use NATS at {url}: {results[0]}")
    reasons = "; ".join(f"{server_address(server)}: {reason}" for server, reason in zip(servers, results, strict=True))
    raise RunError(f"cannot use NATS at any of {len(servers)} servers: {reasons}")


async def _probe_server(url: str, auth: dict[str, Any], timeout: float) -> str | None:
    """None if NATS at `url` accepts a connection and has JetStream, else why not.

    nats-py keeps retrying a refused first connection until its timeout; the first error it reports ends the probe.
    """
    import nats
    from faststream.nats.security import parse_security

    options = {key: value for key, value in auth.items() if key != "security"} | parse_security(auth.get("security"))
    failed: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def first_error(error: BaseException) -> None:
        if not failed.done():
            failed.set_result(error)

    connect = asyncio.ensure_future(nats.connect(url, connect_timeout=min(timeout, 5.0), allow_reconnect=False, max_reconnect_attempts=0, error_cb=first_error, **options))
    client = None
    try:
        await asyncio.wait({connect, failed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if not connect.done():
            raise failed.result() if failed.done() else TimeoutError()
        client = connect.result()
        await asyncio.wait_for(client.jetstream().account_info(), timeout)
    except (Exception, TimeoutError) as exc:
        if isinstance(exc, TimeoutError):
            return f"no answer in {timeout:g} s"
        if "ServiceUnavailable" in type(exc).__name__ or "NoResponders" in type(exc).__name__:
            return "JetStream is not enabled on this server (start nats-server with -js)"
        return describe_error(exc)
    finally:
        if not connect.done():
            connect.cancel()
            await asyncio.gather(connect, return_exceptions=True)
        if client is not None and not client.is_closed:
            await client.close()
    return None
