"""The report as one self-contained HTML file: plotly.js, styles, script and data inlined, no network.

    html = render_report(gather_report(Path("runs/demo")))

Charts are plotly figures built here and drawn by the page. The dialogues travel as two zlib streams in
base64, which the page inflates with the browser's DecompressionStream: the facets the list and its
filters need (small, read first), and one JSON line per dialogue's details (inflated in the background
once the list is up; only the selected dialogue's line is parsed and rendered), so a report of
thousands of dialogues stays small and opens fast. Dialogue text reaches the page only as
data and is put into the document as text, never as markup. The same report gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib
from collections import Counter, defaultdict
from importlib import resources
from typing import Any

from cove.report import RunReport

ASSETS = ("report.html", "report.css", "report.js")
PASS_COLOR, FAIL_COLOR, NEUTRAL_COLOR, ACCENT_COLOR = "#2e9d5b", "#d1495b", "#8a94a6", "#3b6fd1"
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def render_report(report: RunReport) -> str:
    """The whole HTML page for a gathered report."""
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs()
    if "</script" in plotly_js.lower():  # cannot happen with plotly's own bundle; never inline a broken page
        raise ValueError("plotly.js holds '</script' and cannot be inlined")
    page = {
        "title": report.title,
        "run": report.run,
        "charts": chart_specs(report),
        "template": _template(),
    }
    parts = {
        "TITLE": html.escape(f"cove report: {report.title}"),
        "STYLE": _asset("report.css"),
        "PLOTLY": plotly_js,
        "REPORT_JSON": script_json(page),
        "FACETS": compressed_lines([_compact([d.facets for d in report.dialogues])]),
        "DETAILS": compressed_lines([_compact(d.detail) for d in report.dialogues]),
        "SCRIPT": _asset("report.js"),
    }
    return _PLACEHOLDER.sub(lambda match: parts[match.group(1)], _asset("report.html"))


def _asset(name: str) -> str:
    return resources.files("cove").joinpath(name).read_text(encoding="utf-8")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' that could close it or open a comment."""
    return _compact(value).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def compressed_lines(lines: list[str]) -> str:
    """JSON lines (JSON text holds no raw newline), zlib-compressed, in base64: what the page inflates."""
    return base64.b64encode(zlib.compress("\n".join(lines).encode("utf-8"), 6)).decode("ascii")


# --- charts ------------------------------------------------------------------------------------------


def _template() -> dict[str, Any]:
    import plotly.io as pio

    template = pio.templates["plotly_white"].to_plotly_json()
    template["layout"].update(font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12, "color": "#2b3242"})
    return template


def _label(value: Any) -> str:
    """A category as plotly shows it: plotly reads a few HTML tags in labels, so text is escaped."""
    return html.escape(str(value), quote=False)


def _figure(data: list, **layout: Any) -> dict[str, Any]:
    """A validated plotly figure as plain JSON, without its template (the page adds one for all)."""
    import plotly.graph_objects as go

    base = {"margin": {"l": 50, "r": 20, "t": 10, "b": 40}, "height": 280, "showlegend": False, "bargap": 0.15}
    figure = go.Figure(data=data, layout=base | layout).to_plotly_json()
    figure["layout"].pop("template", None)
    return figure


def _yield_bars(groups: dict[str, list[bool]], horizontal: bool) -> list:
    """Bars of the yield per group (passing / scored), with the counts as text; the raw group in customdata."""
    import plotly.graph_objects as go

    names = sorted(groups, key=lambda name: (int(name) if name.isdigit() else 0, name))
    if horizontal:
        names.reverse()  # plotly draws the first bar at the bottom: the first name goes on top
    yields = [round(sum(groups[name]) / len(groups[name]), 4) for name in names]
    text = [f"{sum(groups[name])}/{len(groups[name])}" for name in names]
    labels = [_label(name) for name in names]
    axes = {"x": yields, "y": labels, "orientation": "h"} if horizontal else {"x": labels, "y": yields}
    return [go.Bar(**axes, text=text, textposition="outside", cliponaxis=False, customdata=names, marker_color=PASS_COLOR,
                   hovertemplate="%{" + ("y" if horizontal else "x") + "}: yield %{" + ("x" if horizontal else "y") + ":.0%} (%{text})<extra></extra>")]


def _count_bars(counts: Counter, horizontal: bool, color: str = ACCENT_COLOR) -> list:
    import plotly.graph_objects as go

    names = sorted(counts, key=lambda name: (-counts[name], name))
    if horizontal:
        names.reverse()  # the largest on top
    values = [counts[name] for name in names]
    labels = [_label(name) for name in names]
    axes = {"x": values, "y": labels, "orientation": "h"} if horizontal else {"x": labels, "y": values}
    return [go.Bar(**axes, customdata=names, marker_color=color, text=values, textposition="auto",
                   hovertemplate="%{" + ("y" if horizontal else "x") + "}: %{text} dialogue(s)<extra></extra>")]


def _histogram(values: list[float], color: str, bin_size: float | None = None, start: float | None = None, end: float | None = None, counts: bool = False) -> list:
    """A histogram; `counts` writes each bar's count above it (for few bars of very different heights)."""
    import plotly.graph_objects as go

    bins = {"size": bin_size, "start": start, "end": end} if bin_size else None
    text = {"texttemplate": "%{y}", "textposition": "outside", "cliponaxis": False} if counts else {}
    return [go.Histogram(x=values, xbins=bins, marker_color=color, hovertemplate="%{x}: %{y} dialogue(s)<extra></extra>", **text)]


def _bar_height(n: int) -> int:
    return max(220, 60 + 24 * n)


YIELD_AXIS = {"range": [0, 1.18], "tickvals": [0, 0.25, 0.5, 0.75, 1], "tickformat": ".0%"}  # room for the counts beside a full bar


def _count_axis(counts: Counter) -> dict[str, Any]:
    """A count axis: whole numbers only (plotly would tick 0.5 steps for small counts)."""
    return {"dtick": 1} if max(counts.values(), default=0) <= 6 else {"tickformat": ",d"}


def chart_specs(report: RunReport) -> list[dict[str, Any]]:
    """Each chart: id, title, a note, the plotly figure and the dialogue filter a click on a bar sets."""
    facets = [d.facets for d in report.dialogues]
    scored = [f for f in facets if f["verdict"] in ("passed", "failed")]
    by_type: dict[str, list[bool]] = defaultdict(list)
    by_count: dict[str, list[bool]] = defaultdict(list)
    by_user_model: dict[str, list[bool]] = defaultdict(list)
    for f in scored:
        passed = f["verdict"] == "passed"
        for kind in f["types"]:
            by_type[kind].append(passed)
        by_count[str(f["n_constraints"])].append(passed)
        by_user_model[str(f["user_model"])].append(passed)
    violations = Counter(rule for f in facets for rule in f["violations"])
    attributions = Counter(str(f["attribution"]) for f in facets if f["attribution"] is not None)
    terminations = Counter(f["termination"] for f in facets if f["termination"] is not None)
    unscored = len(facets) - len(scored)
    charts = [
        {"id": "scores", "title": "Score", "note": f"{len(scored)} scored" + (f", {unscored} not scored" if unscored else ""), "filter": None,
         "figure": _figure(_histogram([f["score"] for f in scored], ACCENT_COLOR, 0.1, -0.05, 1.05, counts=True), xaxis={"title": {"text": "score"}, "range": [-0.05, 1.05], "dtick": 0.1}, yaxis={"title": {"text": "dialogues"}}, margin={"l": 50, "r": 20, "t": 20, "b": 40})},
        {"id": "yield-type", "title": "Yield by constraint type", "note": "passing / scored dialogues with a goal of that type", "filter": "types",
         "figure": _figure(_yield_bars(by_type, horizontal=True), height=_bar_height(len(by_type)), margin={"l": 170, "r": 70, "t": 10, "b": 40}, xaxis=YIELD_AXIS)},
        {"id": "yield-count", "title": "Yield by number of constraints", "note": "passing / scored", "filter": "n_constraints",
         "figure": _figure(_yield_bars(by_count, horizontal=False), xaxis={"title": {"text": "constraints"}, "type": "category"}, yaxis=YIELD_AXIS)},
        {"id": "attribution", "title": "Attribution", "note": "who is to blame for a score below 1 (none: nobody)", "filter": "attribution",
         "figure": _figure(_count_bars(attributions, horizontal=False), xaxis={"type": "category"}, yaxis=_count_axis(attributions))},
        {"id": "termination", "title": "Termination", "note": "how each dialogue ended", "filter": "termination",
         "figure": _figure(_count_bars(terminations, horizontal=False, color=NEUTRAL_COLOR), xaxis={"type": "category"}, yaxis=_count_axis(terminations))},
        {"id": "violations", "title": "Violations", "note": "dialogues with each violation or a redundant write" if violations else "no violation and no redundant write in this run", "filter": "violations",
         "figure": _figure(_count_bars(violations, horizontal=True, color=FAIL_COLOR), height=_bar_height(len(violations)), margin={"l": 190, "r": 20, "t": 10, "b": 40}, xaxis=_count_axis(violations))},
        {"id": "turns", "title": "Turns per dialogue", "note": "user and agent messages", "filter": None,
         "figure": _figure(_histogram([f["turns"] for f in facets], ACCENT_COLOR), xaxis={"title": {"text": "turns"}}, yaxis={"title": {"text": "dialogues"}})},
        {"id": "tool-calls", "title": "Tool calls per dialogue", "note": "calls the agent made", "filter": None,
         "figure": _figure(_histogram([f["tool_calls"] for f in facets], NEUTRAL_COLOR), xaxis={"title": {"text": "tool calls"}}, yaxis={"title": {"text": "dialogues"}})},
    ]
    if len(by_user_model) > 1:
        charts.append({"id": "yield-user-model", "title": "Yield by user simulator", "note": "passing / scored", "filter": "user_model",
                       "figure": _figure(_yield_bars(by_user_model, horizontal=True), height=_bar_height(len(by_user_model)), margin={"l": 220, "r": 70, "t": 10, "b": 40}, xaxis=YIELD_AXIS)})
    return charts
