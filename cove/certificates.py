"""Re-verify released rows (`cove verify --rows`): each sft.jsonl row judged again from the row alone.

A row of ours carries `meta.certificate` (cove/export.py `certificate`): the base database's content hash, the
sha256 of `meta.constraints` in canonical JSON (domains/state.py `content_hash`: keys sorted, no spaces, UTF-8),
its dialogue's content-chain head (store/chain.py `content_head`) and the verifier's version. For each row:

- the certificate must agree with the row: its constraints hash with `meta.constraints`, its base hash and
  verifier version with `meta.base_db_hash` and `meta.verdict`;
- the base it names is found: a `--db` file with that content hash, else the store's, else the embedded
  default sandbox of the row's domain (what `cove run` plays on without `--db`);
- the row's tool calls are re-executed on it in order, each result must be the row's, each call answered;
- the verdict is computed afresh and must equal `meta.verdict` (the `event` of a violation is left out: a row
  numbers its messages, the store its events).

With the store at hand, the certificate's chain head must be its dialogue's, and the row must be what the store
exports; with the run's manifest, the chain head must be the one it lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domains.registry import describe_domain, domain_names, is_registered, loaded_domains
from domains.state import Database, DatabaseError, content_hash
from domains.verification import Verdict, verify_dialogue
from store.eventlog import EventStore
from store.manifest import Manifest
from store.rows import RowError, record_of_row
from store.verdicts import KNOWN_VERSIONS, OLDER_VERSIONS, differences_text, older_verdict_changes, verdict_differences

CERTIFICATE_FIELDS = ("base_db_hash", "constraints_hash", "chain_head", "verifier_version")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class RowResult:
    line: int
    dialogue_id: str | None
    problems: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    recorded_version: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)  # what this verifier changes in an older verifier's verdict

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def name(self) -> str:
        """'line 3 (retail-s1-000004)': how a report names the row."""
        return f"line {self.line}" + (f" ({self.dialogue_id})" if self.dialogue_id else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "dialogue_id": self.dialogue_id,
            "ok": self.ok,
            "problems": self.problems,
            "verdict": self.verdict.to_json() if self.verdict else None,
            "recorded_verifier_version": self.recorded_version,
            "changes": self.changes,
        }


class RowBases:
    """The base databases rows name, by content hash: `--db` files (each read as every domain it is a database of),
    else the store's, else the embedded default sandbox of each domain. A file that is no domain's database is a
    DatabaseError at once."""

    def __init__(self, files: list[Path], store: EventStore | None = None) -> None:
        self.store = store
        self.files: dict[Path, dict[str, Database]] = {}
        for path in files:
            loaded, errors = {}, []
            for plugin in loaded_domains():
                try:
                    loaded[plugin.name] = plugin.load(path)
                except DatabaseError as exc:
                    errors.append(str(exc))
            if not loaded:
                raise DatabaseError(f"{path}: not a database of any domain ({'; '.join(errors)})")
            self.files[path] = loaded
        self._defaults: dict[str, Database] = {}

    def find(self, domain: str, wanted: str) -> tuple[Database | None, str | None]:
        """The base of `domain` with content hash `wanted`, or None and why none is at hand.

        Looked for among the `--db` files, then the store's bases, then the embedded default sandbox: giving
        one --db file never hides the default from rows that were played on it.
        """
        tried = []
        for path, loaded in self.files.items():
            base = loaded.get(domain)
            if base is not None and base.content_hash == wanted:
                return base, None
            tried.append(f"{path}: hash {base.content_hash[:12]}" if base is not None else f"{path}: {describe_domain(next(iter(loaded)))}, not {domain}")
        if self.store is not None and wanted in self.store.base_hashes():
            return self.store.base(wanted), None
        default = self.default(domain)
        if default.content_hash == wanted:
            return default, None
        tried.append(f"the embedded default {domain} sandbox (--db-seed 0, --scale 1): hash {default.content_hash[:12]}")
        return None, f"the row was played on base {wanted[:12]}, and none at hand has that content hash ({'; '.join(tried)}): give that database with --db"

    def default(self, domain: str) -> Database:
        """The database `cove run --domain DOMAIN` plays on without --db (its default --db-seed and --scale)."""
        if domain not in self._defaults:
            from cove.preflight import load_base
            from cove.settings import RunSettings

            self._defaults[domain] = load_base(RunSettings(domain=domain))
        return self._defaults[domain]


def certificate_problems(meta: dict[str, Any]) -> list[str]:
    """The certificate against the row it is in: present and whole, its hashes and version the row's."""
    certificate = meta.get("certificate")
    if certificate is None:
        return ["the row carries no meta.certificate: nothing certifies its base, its constraints or its dialogue"]
    if not isinstance(certificate, dict) or not all(isinstance(certificate.get(key), str) for key in CERTIFICATE_FIELDS):
        return [f"meta.certificate is not an object of the strings {', '.join(CERTIFICATE_FIELDS)}"]
    problems = []
    computed = content_hash(meta.get("constraints"))
    if computed != certificate["constraints_hash"]:
        problems.append(f"meta.constraints hash to {computed[:12]}, the certificate's constraints_hash is {certificate['constraints_hash'][:12]}: the constraints were edited")
    if "base_db_hash" in meta and meta["base_db_hash"] != certificate["base_db_hash"]:
        problems.append(f"meta.base_db_hash {str(meta['base_db_hash'])[:12]} is not the certificate's base_db_hash {certificate['base_db_hash'][:12]}")
    verdict = meta.get("verdict")
    if isinstance(verdict, dict) and verdict.get("verifier_version") != certificate["verifier_version"]:
        problems.append(f"meta.verdict was recorded by verifier {verdict.get('verifier_version')!r}, the certificate names verifier {certificate['verifier_version']!r}")
    if certificate["verifier_version"] not in KNOWN_VERSIONS:
        problems.append(f"the certificate names verifier {certificate['verifier_version']!r}, a version this code does not know (known: {', '.join(KNOWN_VERSIONS)})")
    if not _HEX64.fullmatch(certificate["chain_head"]):
        problems.append("the certificate's chain_head is not 64 hex digits")
    return problems


class RowVerifier:
    """Re-verifies rows one by one against their bases, and, when given, the store and the run's manifest."""

    def __init__(self, bases: RowBases, store: EventStore | None = None, manifest: Manifest | None = None) -> None:
        self.bases, self.store, self.manifest = bases, store, manifest

    def verify(self, line: int, row: dict[str, Any]) -> RowResult:
        """Every check of one row; every disagreement is a problem, never a crash."""
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        dialogue_id = meta.get("dialogue_id") if isinstance(meta.get("dialogue_id"), str) else None
        result = RowResult(line, dialogue_id)
        if not meta:
            result.problems.append("the row has no meta: the task it was played for is unknown")
            return result
        result.problems += certificate_problems(meta)
        certificate = meta.get("certificate") if isinstance(meta.get("certificate"), dict) else {}
        if dialogue_id is not None and isinstance(certificate.get("chain_head"), str):
            result.problems += self._origin_problems(row, dialogue_id, certificate["chain_head"])
        try:
            self._judge(result, row, meta, certificate)
        except RowError as exc:
            result.problems.append(str(exc))
        return result

    def _judge(self, result: RowResult, row: dict[str, Any], meta: dict[str, Any], certificate: dict[str, Any]) -> None:
        """Find the base, replay the row's calls, verify afresh, and hold the recorded verdict against it."""
        domain = row.get("data_source")
        if not is_registered(domain):
            raise RowError(f"data_source {domain!r} is not a domain cove knows ({', '.join(domain_names())})")
        wanted = certificate.get("base_db_hash") or meta.get("base_db_hash")
        if not isinstance(wanted, str) or not wanted:
            raise RowError("the row names no base database (meta.certificate.base_db_hash, meta.base_db_hash)")
        base, why = self.bases.find(domain, wanted)
        if base is None:
            raise RowError(why)
        graded = record_of_row(row, base)
        result.problems += graded.problems
        result.verdict = verify_dialogue(graded.record, base)
        recorded = meta.get("verdict")
        if not isinstance(recorded, dict):
            raise RowError("the row carries no meta.verdict to compare with")
        result.recorded_version = recorded.get("verifier_version")
        fresh = result.verdict.to_json()
        if result.recorded_version in OLDER_VERSIONS:
            result.changes = older_verdict_changes(recorded, fresh)
            return
        differences = verdict_differences(_without_event_numbers(recorded), _without_event_numbers(fresh))
        if differences:
            result.problems.append(f"the recorded verdict differs from a fresh verification: {differences_text(differences)}")

    def _origin_problems(self, row: dict[str, Any], dialogue_id: str, chain_head: str) -> list[str]:
        """The certificate's chain head against the manifest's and the store's, and the row against the store's export."""
        problems = []
        if self.manifest is not None:
            listed = self.manifest.heads.get(dialogue_id)
            if listed is None:
                problems.append(f"dialogue {dialogue_id} is not in the manifest {self.manifest.path}")
            elif listed.chain_head != chain_head:
                problems.append(f"the manifest lists chain head {listed.chain_head[:12]} for {dialogue_id}, the certificate says {chain_head[:12]}")
        if self.store is not None:
            problems += self._store_problems(row, dialogue_id, chain_head)
        return problems

    def _store_problems(self, row: dict[str, Any], dialogue_id: str, chain_head: str) -> list[str]:
        from actors.view import DialogueView
        from cove.export import sft_row

        stored = self.store.content_heads(dialogue_id).get(dialogue_id)
        if stored is None:
            return [f"the store {self.store.path} holds no event of dialogue {dialogue_id}"]
        if stored.chain_head != chain_head:
            return [f"the store's dialogue {dialogue_id} has chain head {stored.chain_head[:12]}, the certificate says {chain_head[:12]}"]
        try:
            exported = sft_row(DialogueView.of(self.store.events(dialogue_id)), self.store, stored.chain_head)
        except Exception as exc:  # a dialogue the store cannot export: `cove verify` on the store says why
            return [f"the store cannot export dialogue {dialogue_id} ({exc or type(exc).__name__}): run cove verify on the store"]
        differences = verdict_differences(row, exported)
        if differences:
            return [f"the row is not what the store exports for {dialogue_id} (recorded: the row's, now: the store's): {differences_text(differences)}"]
        return []


def _without_event_numbers(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict with each violation's `event` left out (a row's message numbers are not the store's event numbers)."""
    violations = verdict.get("violations")
    if not isinstance(violations, list):
        return verdict
    return {**verdict, "violations": [{k: v for k, v in item.items() if k != "event"} if isinstance(item, dict) else item for item in violations]}
