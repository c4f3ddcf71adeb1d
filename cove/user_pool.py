"""A pool of user simulators: one drawn per dialogue, by weight, from the run's seed and the task's index.

The controller draws when it asks for a dialogue and records the name on `DialogueRequested.user_simulator`;
the user actor of any process reads it back from the dialogue's first event and calls that simulator's
client, so no process needs another's state, and a restart or a resume draws nothing again. The draw
is a pure function of (seed, task index, the pool's names and weights), so `cove verify` draws it
again and holds the recorded name, and each user turn's model, against it.

    --user-model openai/gpt-4.1=2 --user-model openai/gpt-4.1-mini=1     # one endpoint, two models, 2:1
    --user-pool pool.toml                                                  # names, weights, endpoints, keys, temperatures
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cove.settings import RoleSettings, UserSimulator
from events import DialogueRequested, Event, ModelCallFailed, UserSpoke

POOL_FIELDS = {"name", "model", "weight", "base_url", "api_key_env", "temperature", "max_tokens"}


class PoolError(ValueError):
    """A pool given on the command line or in a file that cannot be used; the message is one line."""


def chosen_simulator(pool: Sequence[tuple[str, float]], seed: int, task_index: int) -> str:
    """The name of the (name, weight) pool entry drawn for task `task_index` of the run seeded `seed`.

    sha256 of the seed and index gives a point in [0, total weight); the entry whose share of the
    weights (in pool order) holds it is drawn: the same on every machine, process and Python.
    """
    total = sum(weight for _, weight in pool)
    digest = hashlib.sha256(f"cove-user-simulator:{seed}:{task_index}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * total
    reached = 0.0
    for name, weight in pool:
        reached += weight
        if point < reached:
            return name
    return pool[-1][0]  # rounding left the point at the very end


def request_simulator(pool: Sequence[UserSimulator], seed: int, task_index: int) -> str | None:
    """What `DialogueRequested.user_simulator` records: the drawn name, or None for a run with one simulator."""
    return chosen_simulator([(s.name, s.weight) for s in pool], seed, task_index) if pool else None


def parse_weighted_model(spec: str) -> tuple[str, float]:
    """`MODEL[=WEIGHT]` (weight 1 when left out) as (model, weight); PoolError for a weight that is not a positive number."""
    model, sep, weight_text = spec.rpartition("=") if "=" in spec else (spec, "", "")
    if not model.strip():
        raise PoolError(f"--user-model {spec!r}: give a model name, then =WEIGHT if you want one")
    if not sep:
        return model.strip(), 1.0
    try:
        weight = float(weight_text)
    except ValueError:
        raise PoolError(f"--user-model {spec}: the weight {weight_text!r} is not a number") from None
    if not weight > 0 or weight == float("inf"):
        raise PoolError(f"--user-model {spec}: the weight must be a positive number, not {weight_text}")
    return model.strip(), weight


def pool_from_flags(specs: Sequence[str], shared: RoleSettings) -> tuple[UserSimulator, ...]:
    """The pool of several `--user-model MODEL[=WEIGHT]`, each with the other `--user-*` flags; () for one model."""
    weighted = [parse_weighted_model(spec) for spec in specs]
    models = [model for model, _ in weighted]
    twice = sorted({model for model in models if models.count(model) > 1})
    if twice:
        raise PoolError(f"--user-model {twice[0]} is given twice: to run one model with two settings, name each in --user-pool FILE")
    if len(weighted) < 2:
        return ()
    return tuple(UserSimulator(name=model, weight=weight, role=shared.model_copy(update={"model": model})) for model, weight in weighted)


def load_pool_file(path: Path, limits: RoleSettings) -> tuple[UserSimulator, ...]:
    """The simulators of a TOML or JSON pool file (`simulators`: a list of tables), with the client limits of `limits`.

    Each simulator: `model` (required), `name` (default: the model), `weight` (default 1), `base_url`,
    `api_key_env`, `temperature` (default 0), `max_tokens`. PoolError, naming the file, for anything else.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PoolError(f"--user-pool {path}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML (name a JSON file *.json)"
        raise PoolError(f"--user-pool {path}: not valid {kind}: {exc}") from None
    entries = data.get("simulators") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(entry, dict) for entry in entries):
        raise PoolError(f"--user-pool {path}: expected a non-empty list `simulators` of tables ([[simulators]] in TOML), each with a `model`")
    pool = []
    for number, entry in enumerate(entries, 1):
        unknown = sorted(set(entry) - POOL_FIELDS)
        if unknown:
            raise PoolError(f"--user-pool {path}: simulator {number} has unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(POOL_FIELDS))})")
        weight = entry.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0 or weight == float("inf"):
            raise PoolError(f"--user-pool {path}: simulator {number}: the weight must be a positive number, not {weight!r}")
        try:
            role = limits.model_copy(update={"model": entry.get("model"), "api_base": entry.get("base_url"), "api_key_env": entry.get("api_key_env"),
                                             "temperature": entry.get("temperature", 0.0), "max_tokens": entry.get("max_tokens")})
            role = RoleSettings.model_validate(role.model_dump())
            pool.append(UserSimulator(name=entry.get("name", entry.get("model")), weight=float(weight), role=role))
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise PoolError(f"--user-pool {path}: simulator {number}: {'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}") from None
    names = [simulator.name for simulator in pool]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise PoolError(f"--user-pool {path}: the name {twice[0]!r} is given to two simulators (set `name` to tell them apart)")
    return tuple(pool)


def dialogue_simulator(events: Sequence[Event]) -> str | None:
    """The user simulator a dialogue got: the one its request records, else the model of its first user turn
    (a run with one simulator), else its run's user model; None when nothing says."""
    request = events[0] if events and isinstance(events[0], DialogueRequested) else None
    if request is not None and request.user_simulator is not None:
        return request.user_simulator
    call = next((e.call for e in events if isinstance(e, UserSpoke) and e.call is not None), None)
    if call is not None:
        return call.model
    user = request.config.get("user") if request is not None else None
    return user.get("model") if isinstance(user, dict) else None


def simulator_problems(events: Sequence[Event]) -> list[str]:
    """What is wrong with the simulator a dialogue records: not the one its seed and index draw from its
    run's pool, or user turns made by another model or with other parameters than that simulator's."""
    request = next((e for e in events if isinstance(e, DialogueRequested)), None)
    if request is None:
        return []
    pool, chosen = request.config.get("user_pool"), request.user_simulator
    if pool is None:
        return [f"the request records user simulator {chosen!r}, but its run has no pool of simulators"] if chosen is not None else []
    try:
        entries = {entry["name"]: entry for entry in pool}
        expected = chosen_simulator([(entry["name"], float(entry["weight"])) for entry in pool], request.seed, request.task_index)
    except (TypeError, KeyError, ValueError, IndexError, ZeroDivisionError) as exc:
        return [f"the request's user_pool cannot be read: {type(exc).__name__}: {exc}"]
    if chosen != expected:
        return [f"the request records user simulator {chosen!r}, but task {request.task_index} of seed {request.seed} draws {expected!r} from the run's pool"]
    entry, problems = entries[expected], []
    for event in events:
        call = event.call if isinstance(event, UserSpoke) else None
        if isinstance(event, ModelCallFailed) and event.role == "user" and event.model != entry.get("model"):
            problems.append(f"the user model call that failed at event {event.seq} went to {event.model}, not to simulator {chosen!r} ({entry.get('model')})")
        if call is None:
            continue
        if call.model != entry.get("model"):
            problems.append(f"the user turn at event {event.seq} was made by {call.model}, not by simulator {chosen!r} ({entry.get('model')})")
        for key, recorded in _parameters(call.parameters).items():
            if recorded != entry.get(key):
                problems.append(f"the user turn at event {event.seq} was made with {key} {recorded!r}, simulator {chosen!r} has {entry.get(key)!r}")
    return problems


def _parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """The recorded call parameters a simulator's settings fix."""
    return {key: parameters.get(key) for key in ("temperature", "max_tokens", "api_base")}
