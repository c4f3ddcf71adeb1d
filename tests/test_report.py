"""`cove report RUN_DIR`: the gathered data of a real run, the HTML file, bad input, and the page in a real headless browser."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cove.cli import app
from cove.report import gather_report
from domains.registry import get_domain
from domains.verification import changed_paths, path_text
from events import ModelCall, UserSpoke
from store.eventlog import EventStore

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
INJECTED = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
EVIL_MODEL = 'evil/<img src=x onerror="window.__pwned = 3">'


def cove(*args) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _without_plotly(html: str) -> str:
    """The page less plotly.js's own code (which holds words like 'onerror' and links to its docs)."""
    start = html.index("<script>") + len("<script>")
    end = html.index("</script>", start)
    assert "plotly.js v" in html[start:end]
    return html[:start] + html[end:]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A real offline run of 12 retail dialogues where most draw a process or outcome mistake (violations, redundant writes, failures)."""
    from cove.run import run_dialogues
    from cove.settings import RunSettings

    out = tmp_path_factory.mktemp("report") / "run"
    settings = RunSettings(domain="retail", scale=0.2, db_seed=1, count=12, seed=5, concurrency=4, out=out, progress=False,
                           scripted_error_rate=0.8, scripted_mistakes="process,outcome")
    asyncio.run(run_dialogues(settings))
    return out


@pytest.fixture(scope="module")
def report(run_dir):
    return gather_report(run_dir)


@pytest.fixture(scope="module")
def report_file(run_dir) -> Path:
    result = cove("report", run_dir)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(run_dir / "report.html")
    return run_dir / "report.html"


@pytest.fixture(scope="module")
def injected_run(run_dir, tmp_path_factory) -> Path:
    """A copy of the run with one more dialogue whose user writes HTML and script, spoken by a model whose name is markup."""
    from domains.constraints import Task
    from tests.dialogues import dialogue_events

    out = tmp_path_factory.mktemp("injected") / "run"
    shutil.copytree(run_dir, out, ignore=shutil.ignore_patterns("nats", "report.html"))
    with EventStore(out / "events.db") as store:
        task_event = next(store.events_of_types("task_sampled"))
        base = store.base(task_event.base_db_hash)
        task = Task.model_validate(task_event.task)
        events = dialogue_events("zz-injected", task, base, [("user", f"Hi {INJECTED}"), ("agent", f"You said {INJECTED}"), ("user", "bye ###STOP###")])
        call = ModelCall(model=EVIL_MODEL)
        store.append([event.model_copy(update={"call": call}) if isinstance(event, UserSpoke) else event for event in events])
    return out


# --- the gathered data ----------------------------------------------------------------------------


def test_facets_agree_with_the_exported_rewards_and_summary(run_dir, report):
    """Each dialogue's verdict, score, constraint types, violations and attribution are what rewards.jsonl says; the run's yield is summary.json's."""
    rewards = {row["dialogue_id"]: row for row in _lines(run_dir / "rewards.jsonl")}
    summary = json.loads((run_dir / "summary.json").read_text())
    facets = {d.facets["id"]: d.facets for d in report.dialogues}
    assert set(facets) == set(rewards)
    for dialogue_id, row in rewards.items():
        f = facets[dialogue_id]
        assert f["score"] == row["score"] and f["attribution"] == row["attribution"] and f["termination"] == row["termination"]
        assert f["verdict"] == ("passed" if row["score"] == 1.0 else "failed")
        assert f["types"] == sorted(set(row["constraint_types"])) and f["n_constraints"] == len(row["constraint_types"])
        expected = {v["rule"] for v in row["violations"]} | ({"redundant_write"} if row["redundant_writes"] else set())
        assert set(f["violations"]) == expected
        assert f["failed_checks"] == sorted(check for check, outcome in row["checks"].items() if outcome == "failed")
    assert report.run["yield"] == summary["yield"] and report.run["passing"] == summary["passing"]
    assert report.run["requested"] == 12 and report.run["wall_seconds"] == summary["timings"]["seconds"]
    assert report.run["tokens"] == summary["tokens"]["total"]
    assert any(f["verdict"] == "failed" and f["violations"] for f in facets.values()), "the fixture should hold a failing dialogue with a violation"


def test_state_diff_holds_each_goal_path_of_a_passing_dialogue_with_its_base_value_before(run_dir, report):
    """For a passing dialogue, every path its goals' canonical actions change is in the diff with the goal's value after and the base's value before."""
    checked = 0
    with EventStore(run_dir / "events.db", readonly=True) as store:
        base = store.base(next(iter(store.base_hashes())))
        toolkit = get_domain("retail").toolkit
        for dialogue in report.dialogues:
            if dialogue.facets["verdict"] != "passed":
                continue
            diff = {change["path"]: change for change in dialogue.detail["diff"]}
            for goal in dialogue.detail["goals"]:
                state = base.new_state()
                for action in goal["actions"]:
                    assert toolkit.execute(state, action["name"], action["arguments"]).ok
                for path, value in changed_paths(base.new_state(), state).items():
                    change = diff[path_text(path)]
                    assert json.loads(change["after"]) == value
                    record = base.tables[path[0]].get(path[1])
                    before = record
                    for key in path[2:]:
                        before = before.get(key) if isinstance(before, dict) else None
                    assert change["before"] is None if record is None or before is None else json.loads(change["before"]) == before
                    checked += 1
    assert checked > 0


def test_dialogue_detail_has_transcript_goals_descriptions_and_reasons(report):
    """A failing dialogue's detail holds its messages, tool calls with arguments and results, goals, descriptions with their ids, and its violations."""
    failing = next(d for d in report.dialogues if d.facets["verdict"] == "failed" and d.facets["violations"])
    detail = failing.detail
    roles = {entry["role"] for entry in detail["transcript"]}
    assert {"user", "agent", "tool", "event"} <= roles
    calls = [call for entry in detail["transcript"] if entry["role"] == "agent" for call in entry["calls"]]
    assert calls and all(isinstance(json.loads(call["arguments"]), dict) for call in calls)
    assert len(detail["goals"]) == failing.facets["n_constraints"] and all(d["ids"] for d in detail["descriptions"])
    assert detail["verdict"]["violations"] and detail["verdict"]["score"] == failing.facets["score"]


# --- the file and the command ----------------------------------------------------------------------


def test_report_is_self_contained_and_deterministic(run_dir, report_file, tmp_path):
    """The page loads nothing from the network, and the same run folder gives byte-identical HTML (in another process, with another hash seed, with --out)."""
    text = report_file.read_text()
    ours = _without_plotly(text)
    assert "Plotly.newPlot" in ours and "https://" not in ours and "http://" not in ours
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    again = tmp_path / "again.html"
    result = subprocess.run([sys.executable, "-m", "cove.cli", "report", str(run_dir), "--out", str(again)], env={**os.environ, "PYTHONHASHSEED": "123"},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and result.stdout.strip() == str(again), result.stderr
    assert again.read_bytes() == report_file.read_bytes()


def test_markup_in_data_stays_data(injected_run):
    """Markup in messages and model names never reaches the HTML as markup: the page's embedded JSON escapes '<', and messages travel compressed."""
    assert cove("report", injected_run).exit_code == 0
    text = _without_plotly((injected_run / "report.html").read_text())
    assert "<img" not in text and "<script>window" not in text
    data = text.split('<script id="report-data" type="application/json">')[1].split("</script>")[0]
    assert "<" not in data and "evil/\\u003cimg" in data


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda run: shutil.rmtree(run), "no such run folder"),
        (lambda run: (run / "events.db").unlink(), "no events.db"),
        (lambda run: (run / "events.db").write_bytes(b"this is not a database" * 100), "not a cove event store"),
        (lambda run: (run / "summary.json").write_text("{not json"), "summary.json: cannot read it"),
    ],
    ids=["missing-folder", "no-events-db", "corrupt-events-db", "malformed-summary"],
)
def test_bad_input_is_one_line_and_exit_2(run_dir, tmp_path, damage, expected):
    """A missing folder, a missing or corrupt events.db, or a malformed summary.json: one line naming it, exit 2, no file written."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("nats", "report.html"))
    damage(copy)
    result = cove("report", copy)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cove: error:") and expected in lines[0], result.output
    assert not (copy / "report.html").exists()


def test_a_corrupt_page_in_events_db_is_one_line_and_exit_2(run_dir, tmp_path):
    """An events.db whose event pages are overwritten with garbage is reported in one line, exit 2."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("nats", "report.html"))
    path = copy / "events.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size:root * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))
    result = cove("report", copy)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "events.db" in result.output


# --- in a real browser ------------------------------------------------------------------------------


def _chromium() -> str:
    """The path of a Chromium to drive, or a skip (a failure when COVE_REQUIRE_BROWSER=1, as CI sets) saying why there is none."""
    found = os.environ.get("COVE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    problem = None
    if importlib.util.find_spec("playwright") is None:
        problem = "playwright is not installed (pip install -e '.[test]')"
    if problem is None and not found:
        problem = "no chromium browser found (Debian: apt-get install chromium; or set COVE_CHROMIUM)"
    if problem is None:
        return found
    if os.environ.get("COVE_REQUIRE_BROWSER") == "1":
        pytest.fail(problem + "; COVE_REQUIRE_BROWSER=1 makes its absence an error")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright (its sync API holds an event loop: request this fixture after any run fixture)."""
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


def _open(browser, path: Path, fragment: str = ""):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri() + fragment)
    page.wait_for_selector("body[data-ready]", timeout=60_000)
    return page, errors


def test_page_draws_every_chart_and_shows_a_failing_dialogues_reasons(run_dir, report_file, browser):
    """In Chromium every chart has drawn bars, and filtering to a failing dialogue by verdict and violation shows its violations and failed checks; a screenshot is written."""
    page, errors = _open(browser, report_file)
    charts = page.locator(".chart")
    assert charts.count() >= 8
    for index in range(charts.count()):
        chart = charts.nth(index)
        name = chart.get_attribute("data-chart")
        assert chart.locator("svg.main-svg").count() > 0, name
        assert chart.locator(".point path").count() > 0, f"chart {name} drew no bar"
    row = next(r for r in _lines(run_dir / "rewards.jsonl") if r["score"] is not None and r["score"] < 1 and r["violations"])
    violation = row["violations"][0]
    page.select_option("#filter-verdict", "failed")
    page.select_option("#filter-violations", violation["rule"])
    ids = page.locator("#dialogue-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert row["dialogue_id"] in ids and len(ids) < 12
    page.locator(f'#dialogue-list tbody tr[data-id="{row["dialogue_id"]}"]').click()
    why = page.locator("#dialogue .why")
    assert violation["rule"] in why.inner_text() and violation["message"] in why.inner_text()
    for check in (c for c, outcome in row["checks"].items() if outcome == "failed"):
        assert check in page.locator("#dialogue .failed-checks").inner_text()
    assert page.locator("#dialogue .diff, #dialogue .transcript").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000 and errors == []
    page.close()


def test_clicking_a_bar_filters_the_dialogues(run_dir, report_file, browser):
    """A click on the attribution chart's bar for the agent leaves only dialogues blamed on the agent in the list."""
    page, errors = _open(browser, report_file)
    blamed = sorted(r["dialogue_id"] for r in _lines(run_dir / "rewards.jsonl") if r["attribution"] == "agent")
    assert blamed
    page.locator("#chart-attribution").scroll_into_view_if_needed()
    bars = page.locator("#chart-attribution .point path")
    index = page.evaluate("() => document.getElementById('chart-attribution').data[0].customdata.indexOf('agent')")
    box = bars.nth(index).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 3
    page.mouse.move(x, y)
    page.wait_for_selector("#chart-attribution .hoverlayer .hovertext")  # plotly clicks the point it hovers
    page.mouse.click(x, y)
    assert page.locator("#filter-attribution").input_value() == "agent"
    ids = page.locator("#dialogue-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert ids == blamed and errors == []
    page.close()


def test_markup_in_a_message_is_shown_as_text_and_never_runs(injected_run, browser):
    """A user message holding <script> and an onerror image, and a model named with markup, show as text; no script of theirs runs."""
    page, errors = _open(browser, injected_run / "report.html", "#dialogue=zz-injected")
    transcript = page.locator("#dialogue .transcript").inner_text()
    assert INJECTED in transcript
    assert EVIL_MODEL in page.locator("#dialogue").inner_text()
    assert page.locator("#dialogue script, #dialogue img, #chart-grid img").count() == 0
    assert page.locator("#chart-yield-user-model .point path").count() == 2  # two user models: the chart appears
    assert page.evaluate("window.__pwned") is None and errors == []
    page.close()


def test_an_unreadable_event_makes_its_dialogue_unreadable_not_the_report(run_dir, tmp_path):
    """A stored event that is not a valid event is shown as its dialogue's problem; the other dialogues are reported as before."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("nats", "report.html"))
    with sqlite3.connect(copy / "events.db") as conn:
        dialogue_id = conn.execute("SELECT dialogue_id FROM dialogues ORDER BY dialogue_id LIMIT 1").fetchone()[0]
        conn.execute("UPDATE events SET payload = ? WHERE dialogue_id = ? AND seq = 3", ('{"type": "no_such_event"}', dialogue_id))
    report = gather_report(copy)
    broken = next(d for d in report.dialogues if d.facets["id"] == dialogue_id)
    assert broken.facets["verdict"] == "unreadable" and f"{dialogue_id}:0003" in broken.detail["problems"][0]
    assert sum(d.facets["verdict"] == "unreadable" for d in report.dialogues) == 1 and len(report.dialogues) == 12


def test_a_changed_address_opens_another_dialogue(run_dir, report_file, browser):
    """With the page open, setting `#dialogue=ID` in the address opens that dialogue, as a link from elsewhere would."""
    ids = sorted(r["dialogue_id"] for r in _lines(run_dir / "rewards.jsonl"))
    page, errors = _open(browser, report_file, f"#dialogue={ids[0]}")
    page.wait_for_function("id => document.querySelector('#dialogue h2')?.textContent.startsWith(id)", arg=ids[0])
    page.evaluate("id => { location.hash = 'dialogue=' + encodeURIComponent(id); }", ids[-1])
    page.wait_for_function("id => document.querySelector('#dialogue h2')?.textContent.startsWith(id)", arg=ids[-1])
    assert errors == []
    page.close()
