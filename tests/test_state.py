"""The copy-on-write State over an immutable Database: reads, edits, change sets, forks, rollback, export."""

from __future__ import annotations

import copy
import json

import pytest

from domains.state import Database, DatabaseError, JsonLayout, State, content_hash

TABLES = ("things", "others")


def toy_data() -> dict:
    """Two tables keyed by id, plus an extra top-level key that is not a table."""
    return {
        "things": {
            "b": {"id": "b", "tags": ["x", "y"], "size": {"w": 1, "h": 2}},
            "a": {"id": "a", "tags": [], "size": {"w": 3, "h": 4}},
        },
        "others": {"o1": {"id": "o1", "value": 1.5}},
        "meta": {"now": "2024-05-15T15:00:00"},
    }


def toy_state() -> State:
    return Database.from_json("toy", toy_data(), TABLES).new_state()


def test_get_reads_the_base_and_edit_never_mutates_it():
    """Mutating an edited record, nested lists and dicts included, leaves the base and its records untouched."""
    state = toy_state()
    original = copy.deepcopy(state.base.tables)
    seen_before = state.get("things", "b")
    record = state.edit("things", "b")
    record["tags"].append("z")
    record["size"]["w"] = 99
    record["new"] = True
    assert state.base.tables == original and seen_before == toy_data()["things"]["b"]
    assert state.get("things", "b") is record
    assert state.edit("things", "b") is record


def test_get_of_a_missing_record_is_none_and_edit_of_it_raises():
    """Reading an unknown id gives None; editing it raises KeyError and leaves no change."""
    state = toy_state()
    assert state.get("things", "zz") is None and ("things", "zz") not in state and ("things", "a") in state
    with pytest.raises(KeyError):
        state.edit("things", "zz")
    assert state.changes() == {}


def test_changes_lists_changed_records_by_table():
    """The change set holds exactly the records that now differ from the base, grouped by table."""
    state = toy_state()
    state.edit("things", "a")["tags"].append("q")
    state.edit("others", "o1")  # edited but not changed
    assert state.changes() == {"things": {"a": {"id": "a", "tags": ["q"], "size": {"w": 3, "h": 4}}}}


def test_changes_drops_records_edited_back_to_equal():
    """A record changed and then changed back no longer appears in the change set."""
    state = toy_state()
    record = state.edit("things", "b")
    record["size"]["w"] = 7
    assert "things" in state.changes()
    record["size"]["w"] = 1
    assert state.changes() == {}


def test_insert_adds_a_record_listed_after_the_base_ones():
    """Inserted records are in the change set and come after base records, in creation order."""
    state = toy_state()
    state.insert("things", "c", {"id": "c"})
    state.insert("things", "0", {"id": "0"})
    assert list(state.keys("things")) == ["b", "a", "c", "0"]
    assert [record["id"] for record in state.values("things")] == ["b", "a", "c", "0"]
    assert state.count("things") == 4 and state.count("others") == 1
    assert state.changes() == {"things": {"c": {"id": "c"}, "0": {"id": "0"}}}
    assert "c" not in state.base.tables["things"]


@pytest.mark.parametrize("key", ["a", "c"])
def test_insert_of_an_existing_id_is_refused(key):
    """Inserting an id that exists, in the base or created earlier, raises KeyError."""
    state = toy_state()
    state.insert("things", "c", {"id": "c"})
    with pytest.raises(KeyError):
        state.insert("things", key, {"id": "dup"})
    assert state.get("things", key)["id"] == key


def test_editing_keeps_the_base_key_order():
    """An edited base record keeps its place in keys(); only new records go last."""
    state = toy_state()
    state.edit("things", "b")["size"]["h"] = 0
    state.insert("things", "c", {"id": "c"})
    state.edit("things", "a")["tags"] = ["t"]
    assert list(state.keys("things")) == ["b", "a", "c"]


def test_fork_is_independent_in_both_directions():
    """A fork starts with the parent's changes; later edits on either side do not show on the other."""
    parent = toy_state()
    parent.edit("things", "a")["tags"].append("p")
    child = parent.fork()
    assert child.changes() == parent.changes() and child.base is parent.base
    child.edit("things", "a")["tags"].append("c")
    child.insert("others", "o2", {"id": "o2"})
    parent.edit("things", "b")["tags"].clear()
    assert parent.get("things", "a")["tags"] == ["p"] and parent.get("others", "o2") is None
    assert child.get("things", "a")["tags"] == ["p", "c"] and child.get("things", "b")["tags"] == ["x", "y"]


def test_new_states_over_one_base_do_not_share_changes():
    """Two states made from one Database are separate worlds."""
    database = Database.from_json("toy", toy_data(), TABLES)
    first, second = database.new_state(), database.new_state()
    first.edit("others", "o1")["value"] = 2.0
    assert second.changes() == {} and second.get("others", "o1")["value"] == 1.5


def test_rollback_undoes_everything_since_begin():
    """Edits and inserts after begin() vanish on rollback; changes committed before it are restored intact."""
    state = toy_state()
    state.begin()
    state.edit("things", "a")["tags"].append("kept")
    state.commit()
    committed = copy.deepcopy(state.changes())
    state.begin()
    state.edit("things", "a")["tags"].append("undone")
    state.edit("things", "b")["size"]["w"] = 5
    state.insert("others", "o2", {"id": "o2"})
    state.rollback()
    assert state.changes() == committed
    assert list(state.keys("others")) == ["o1"]


def test_rollback_after_commit_keeps_the_changes():
    """Committed changes survive a later rollback with no open transaction."""
    state = toy_state()
    state.begin()
    state.insert("others", "o2", {"id": "o2"})
    state.commit()
    state.rollback()
    assert state.changes() == {"others": {"o2": {"id": "o2"}}}


def test_to_json_is_the_whole_world_in_base_order_with_extra_keys():
    """to_json gives every table in base order, new records last, plus the non-table keys, without touching the base."""
    state = toy_state()
    state.edit("things", "a")["tags"] = ["t"]
    state.insert("things", "c", {"id": "c"})
    exported = state.to_json()
    assert list(exported) == ["things", "others", "meta"]
    assert list(exported["things"]) == ["b", "a", "c"]
    assert exported["things"]["a"]["tags"] == ["t"] and exported["meta"] == toy_data()["meta"]
    assert state.base.to_json() == toy_data()


@pytest.mark.parametrize(
    "dump",
    [
        lambda data: json.dumps(data, indent=4),
        lambda data: json.dumps(data, indent=4) + "\n",
        lambda data: json.dumps(data, indent=2) + "\n",
        lambda data: json.dumps(data, separators=(",", ":")),
        lambda data: json.dumps(data, separators=(",", ":")) + "\n",
        lambda data: json.dumps({**data, "meta": {"city": "Zürich"}}, indent=4, ensure_ascii=False) + "\n",
        lambda data: json.dumps({**data, "meta": {"city": "Zürich"}}, indent=4),
    ],
    ids=["indent4", "indent4-newline", "indent2-newline", "compact", "compact-newline", "utf8", "ascii-escaped"],
)
def test_dumps_reproduces_the_file_layout(tmp_path, dump):
    """A loaded file is written back byte for byte (indent, compactness, escaping, final newline), and edits keep the layout."""
    text = dump(toy_data())
    path = tmp_path / "db.json"
    path.write_text(text, encoding="utf-8")
    state = Database.load("toy", path, TABLES).new_state()
    assert state.dumps() == text
    state.edit("others", "o1")["value"] = 2.5
    edited = toy_data()
    edited["others"]["o1"]["value"] = 2.5
    assert state.dumps() == dump(edited)


@pytest.mark.parametrize(
    "text, layout",
    [
        ('{\n    "a": 1\n}', JsonLayout(indent=4, ensure_ascii=True, trailing_newline=False)),
        ('{\n  "a": "é"\n}\n', JsonLayout(indent=2, ensure_ascii=False, trailing_newline=True)),
        ('{"a":1}', JsonLayout(indent=None, ensure_ascii=True, trailing_newline=False)),
        ('{"a":1}\n', JsonLayout(indent=None, ensure_ascii=True, trailing_newline=True)),
    ],
)
def test_layout_sniffing(text, layout):
    """Indentation, escaping and the final newline are read from the text."""
    assert JsonLayout.sniff(text) == layout


@pytest.mark.parametrize(
    "content, problem",
    [
        (None, "cannot read"),
        ("{not json", "invalid JSON at line 1"),
        ("[1, 2]", "top level must be a JSON object"),
        ('{"things": {}}', "missing top-level key(s) ['others']"),
        ('{"things": [], "others": {}}', "'things' must be an object keyed by id"),
    ],
)
def test_load_names_the_file_and_the_problem(tmp_path, content, problem):
    """An unusable file raises DatabaseError naming the path and what is wrong."""
    path = tmp_path / "db.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DatabaseError) as raised:
        Database.load("toy", path, TABLES)
    assert str(path) in str(raised.value) and problem in str(raised.value)


def test_content_hash_ignores_key_order_but_not_values():
    """Two databases with the same content in another key order hash the same; a changed value does not."""
    data = toy_data()
    reordered = {key: data[key] for key in reversed(list(data))}
    changed = toy_data()
    changed["others"]["o1"]["value"] = 1.6
    assert content_hash(data) == content_hash(reordered) != content_hash(changed)
    assert Database.from_json("toy", data, TABLES).content_hash == content_hash(data)
