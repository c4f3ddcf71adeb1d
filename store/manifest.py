"""A run's manifest: every dialogue of its store with its event count and content-chain head, and one root hash.

    {"format": "cove-manifest/1",
     "dialogues": [{"dialogue_id": "retail-s1-000000", "events": 20, "chain_head": "9ec5..."}, ...],
     "root": "..."}

`root` is the sha256 (hex) of the UTF-8 text made of one line per dialogue, in dialogue-id order:
`<dialogue_id> TAB <events> TAB <chain_head> LF`. `chain_head` is store/chain.py `content_head`: the head of the
dialogue's hash chain with its wall-clock values left out, so one seed gives one manifest. Held against the
store, a manifest shows a dialogue deleted whole, truncated, extended, replaced or added since it was written.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.eventlog import ContentHead

MANIFEST_FORMAT = "cove-manifest/1"
MANIFEST_NAME = "manifest.json"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ManifestError(ValueError):
    """A manifest file that cannot be read as one (the message says what is wrong)."""


def manifest_root(heads: dict[str, ContentHead]) -> str:
    """sha256 over '<dialogue_id>\\t<events>\\t<chain_head>\\n' lines in dialogue-id order."""
    text = "".join(f"{dialogue_id}\t{head.events}\t{head.chain_head}\n" for dialogue_id, head in sorted(heads.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_json(heads: dict[str, ContentHead]) -> dict[str, Any]:
    """The manifest of these dialogues (a store's `content_heads()`)."""
    return {
        "format": MANIFEST_FORMAT,
        "dialogues": [{"dialogue_id": dialogue_id, "events": head.events, "chain_head": head.chain_head} for dialogue_id, head in sorted(heads.items())],
        "root": manifest_root(heads),
    }


def manifest_text(heads: dict[str, ContentHead]) -> str:
    """manifest.json's text: one line per dialogue, a final newline."""
    manifest = manifest_json(heads)
    entries = ",\n".join(f"    {json.dumps(entry, ensure_ascii=False)}" for entry in manifest["dialogues"])
    listed = f"[\n{entries}\n  ]" if entries else "[]"
    return f'{{\n  "format": {json.dumps(MANIFEST_FORMAT)},\n  "dialogues": {listed},\n  "root": "{manifest["root"]}"\n}}\n'


@dataclass(frozen=True)
class Manifest:
    path: Path
    heads: dict[str, ContentHead]
    root: str

    def self_problems(self) -> list[str]:
        """The manifest against itself: its root must be the hash of its entries."""
        computed = manifest_root(self.heads)
        if computed == self.root:
            return []
        return [f"{self.path}: the root hash {self.root[:12]} is not the hash of its {len(self.heads)} entries ({computed[:12]}): an entry was edited, added or removed after it was written"]

    def problems(self, dialogue_id: str, stored: ContentHead | None) -> list[str]:
        """What the store holds of one dialogue against what the manifest lists (`stored`: None when no event of it is stored)."""
        listed = self.heads.get(dialogue_id)
        if listed is None:
            return [] if stored is None else [f"not in the manifest {self.path.name}: a dialogue added to the store after the export"]
        if stored is None:
            return [f"listed in the manifest ({listed.events} events, chain head {listed.chain_head[:12]}) but the store holds no event of it: deleted whole"]
        if stored == listed:
            return []
        said = f"the manifest lists {listed.events} events with chain head {listed.chain_head[:12]}; the store holds {stored.events} with chain head {stored.chain_head[:12]}"
        if stored.events < listed.events:
            return [f"{said}: truncated, or replaced"]
        if stored.events > listed.events:
            return [f"{said}: extended after the export, or replaced"]
        return [f"{said}: its events were replaced or edited"]


def read_manifest(path: Path) -> Manifest:
    """A manifest file, checked for shape (not yet against itself: `self_problems`); ManifestError if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(f"{path}: the manifest is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{path}: not a cove manifest (no \"format\": \"{MANIFEST_FORMAT}\")")
    entries, root = data.get("dialogues"), data.get("root")
    if not isinstance(entries, list) or not isinstance(root, str) or not _HEX64.fullmatch(root):
        raise ManifestError(f"{path}: a manifest needs a \"dialogues\" list and a 64-digit hex \"root\"")
    heads: dict[str, ContentHead] = {}
    for index, entry in enumerate(entries):
        if not _entry_ok(entry):
            raise ManifestError(f"{path}: dialogues[{index}] is not {{\"dialogue_id\", \"events\" (a count), \"chain_head\" (64 hex digits)}}")
        if entry["dialogue_id"] in heads:
            raise ManifestError(f"{path}: dialogue {entry['dialogue_id']} is listed twice")
        heads[entry["dialogue_id"]] = ContentHead(entry["events"], entry["chain_head"])
    return Manifest(path, heads, root)


def _entry_ok(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    dialogue_id, events, head = entry.get("dialogue_id"), entry.get("events"), entry.get("chain_head")
    return (
        isinstance(dialogue_id, str) and bool(dialogue_id) and not any(c in dialogue_id for c in "\t\n")
        and isinstance(events, int) and not isinstance(events, bool) and events >= 0
        and isinstance(head, str) and _HEX64.fullmatch(head) is not None
    )  # fmt: skip
