"use strict";
// cove report: draws the run, the charts and the dialogue browser from the data embedded in this page.
// Dialogue text is untrusted: it enters the document only as text nodes (el() below), never as markup.
(function () {
  const REPORT = JSON.parse(document.getElementById("report-data").textContent);
  const FILTERS = ["verdict", "types", "n_constraints", "attribution", "violations", "termination", "user_model"];
  const LIST_FACETS = new Set(["types", "violations"]);
  const VERDICTS = ["passed", "failed", "unscored", "unfinished", "unreadable"];
  const PAGE = 200;
  const NONE = "\u0000none";
  let facets = [], details = null, shown = PAGE, selected = null;

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const fmt = {
    int: (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US")),
    pct: (x) => (x === null || x === undefined ? "—" : (100 * x).toFixed(1) + "%"),
    score: (x) => (x === null || x === undefined ? "—" : Number(x).toFixed(x === 1 || x === 0 ? 1 : 3).replace(/0+$/, "").replace(/\.$/, ".0")),
    usd: (x) => (x === null || x === undefined ? "—" : "$" + Number(x).toFixed(x >= 1 ? 2 : 4)),
    secs: (s) => (s === null || s === undefined ? "—" : s >= 120 ? (s / 60).toFixed(1) + " min" : s.toFixed(1) + " s"),
  };

  function prettyJson(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return String(text); }
  }

  // --- the run ---------------------------------------------------------------------------------------

  function card(label, value, sub) {
    return el("div", { class: "card" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  function kvTable(rows) {
    return el("table", { class: "kv" }, el("tbody", null, rows.filter((r) => r[1] !== null && r[1] !== undefined && r[1] !== "").map(([k, v]) => el("tr", null, el("th", null, k), el("td", null, v)))));
  }

  function renderRun() {
    const run = REPORT.run;
    document.getElementById("run-title").textContent = REPORT.title;
    const finished = run.finished ?? run.dialogues;
    const cards = el("div", { class: "cards" },
      card("Finished / requested", `${fmt.int(finished)} / ${fmt.int(run.requested)}`, run.stopped_by ? `stopped by ${run.stopped_by}${run.complete === false ? " (incomplete)" : ""}` : null),
      card("Yield", fmt.pct(run.yield), `${fmt.int(run.passing)} passing of ${fmt.int(run.scored)} scored`),
      card("SFT rows", fmt.int(run.sft_rows), "in sft.jsonl"),
      card("Tokens", fmt.int(run.tokens), "prompt + completion"),
      card("Cost", fmt.usd(run.cost_usd), "as priced by litellm"),
      card("Wall time", fmt.secs(run.wall_seconds), run.dialogues_per_second ? `${run.dialogues_per_second} dialogues/s` : null));
    const models = el("table", { class: "grid" },
      el("thead", null, el("tr", null, el("th", null, "role"), el("th", null, "model"), el("th", null, "parameters"))),
      el("tbody", null, ["agent", "user"].map((role) => {
        const m = run.models[role] || { models: [], parameters: {} };
        const params = Object.entries(m.parameters || {}).map(([k, v]) => `${k} ${v}`).join(", ") || "defaults";
        return el("tr", null, el("td", null, role === "user" ? "user simulator" : "agent"), el("td", { class: "mono" }, m.models.join(", ") || "—"), el("td", null, params));
      })));
    const verdicts = Object.entries(run.verdicts).map(([v, n]) => el("span", { class: "chip" }, `${v} ${fmt.int(n)}`));
    const settings = kvTable([
      ["domain", run.domain], ["seed", run.seed], ["dialogues in the store", verdicts],
      ["constraints per task", run.constraints], ["fuzz", run.fuzz], ["scripted error rate", run.scripted_error_rate],
      ["dead letters", run.dead_letters], ["config hash", run.config_hash ? run.config_hash.slice(0, 16) : null],
      ["base database", run.base_db_hash ? run.base_db_hash.slice(0, 16) : null],
    ]);
    document.getElementById("run").append(el("h2", null, "Run"), cards, el("div", { class: "facts" }, el("div", { class: "box" }, el("h3", { style: "margin-top:0" }, "Models"), models), el("div", { class: "box" }, el("h3", { style: "margin-top:0" }, "Settings"), settings)));
  }

  // --- charts ----------------------------------------------------------------------------------------

  function renderCharts() {
    const grid = document.getElementById("chart-grid");
    for (const chart of REPORT.charts) {
      const plot = el("div", { class: "plot", id: "chart-" + chart.id });
      grid.append(el("div", { class: "chart" + (chart.filter ? " clickable" : ""), "data-chart": chart.id }, el("h3", null, chart.title), el("div", { class: "note" }, chart.note), plot));
      const layout = Object.assign({ template: REPORT.template, autosize: true }, chart.figure.layout);
      Plotly.newPlot(plot, chart.figure.data, layout, { displaylogo: false, responsive: true, displayModeBar: false });
      if (chart.filter) {
        plot.on("plotly_click", (event) => {
          const point = event.points && event.points[0];
          if (point && point.customdata !== undefined) setFilter(chart.filter, String(point.customdata));
        });
      }
    }
  }

  // --- dialogues: loading, filtering, the list ---------------------------------------------------------

  async function inflate(base64) {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return await new Response(stream).text();
  }

  function facetValues(f, name) {
    const value = f[name];
    if (LIST_FACETS.has(name)) return value;
    return [value === null || value === undefined ? NONE : String(value)];
  }

  function label(name, value) {
    if (value === NONE) return name === "attribution" ? "(no verdict)" : "(none)";
    if (name === "violations" && value === "redundant_write") return "redundant write";
    return value;
  }

  function buildFilters() {
    for (const name of FILTERS) {
      const select = document.getElementById("filter-" + name);
      const counts = new Map();
      for (const f of facets) for (const v of facetValues(f, name)) counts.set(v, (counts.get(v) || 0) + 1);
      let values = [...counts.keys()];
      if (name === "verdict") values = VERDICTS.filter((v) => counts.has(v));
      else if (name === "n_constraints") values.sort((a, b) => Number(a) - Number(b));
      else values.sort();
      select.replaceChildren(el("option", { value: "" }, "any"),
        ...values.map((v) => el("option", { value: v }, `${label(name, v)} (${fmt.int(counts.get(v))})`)));
      select.addEventListener("change", () => { shown = PAGE; renderList(); });
      if (name === "user_model" && values.length < 2) select.parentElement.classList.add("hidden");
    }
    document.getElementById("filter-search").addEventListener("input", () => { shown = PAGE; renderList(); });
    document.getElementById("filter-reset").addEventListener("click", () => {
      for (const name of FILTERS) document.getElementById("filter-" + name).value = "";
      document.getElementById("filter-search").value = "";
      shown = PAGE; renderList();
    });
    document.getElementById("show-more").addEventListener("click", () => { shown += PAGE; renderList(); });
  }

  function setFilter(name, value) {
    const select = document.getElementById("filter-" + name);
    if (![...select.options].some((o) => o.value === value)) return;
    select.value = value;
    shown = PAGE;
    renderList();
    document.getElementById("browser").scrollIntoView();
  }

  function matches() {
    const wanted = FILTERS.map((name) => [name, document.getElementById("filter-" + name).value]).filter(([, v]) => v !== "");
    const search = document.getElementById("filter-search").value.trim().toLowerCase();
    const found = [];
    facets.forEach((f, index) => {
      if (search && !f.id.toLowerCase().includes(search)) return;
      if (wanted.every(([name, value]) => facetValues(f, name).includes(value))) found.push(index);
    });
    return found;
  }

  function renderList() {
    const found = matches();
    const body = document.querySelector("#dialogue-list tbody");
    body.replaceChildren(...found.slice(0, shown).map((index) => {
      const f = facets[index];
      const row = el("tr", { "data-id": f.id, class: f.id === selected ? "selected" : null, tabindex: "0", onclick: () => select(index),
        onkeydown: (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(index); } } },
        el("td", { class: "mono" }, f.id),
        el("td", null, el("span", { class: "badge " + f.verdict }, f.verdict)),
        el("td", null, fmt.score(f.score)),
        el("td", { class: "types" }, f.types.join(", ")),
        el("td", null, f.attribution ?? "—"));
      return row;
    }));
    document.getElementById("match-count").textContent = `${fmt.int(found.length)} of ${fmt.int(facets.length)} dialogues` + (found.length > shown ? ` (showing the first ${fmt.int(shown)})` : "");
    document.getElementById("show-more").hidden = found.length <= shown;
  }

  async function select(index) {
    const f = facets[index];
    selected = f.id;
    for (const row of document.querySelectorAll("#dialogue-list tbody tr")) row.classList.toggle("selected", row.dataset.id === f.id);
    history.replaceState(null, "", "#dialogue=" + encodeURIComponent(f.id));
    const lines = await details;
    if (selected === f.id) renderDialogue(f, JSON.parse(lines[index]));
  }

  // --- one dialogue ------------------------------------------------------------------------------------

  function renderWhy(f, d) {
    const v = d.verdict;
    if (d.problems && d.problems.length) return el("div", { class: "why" }, el("strong", null, "Cannot be read"), el("ul", null, d.problems.map((p) => el("li", null, p))));
    if (!v) return el("div", { class: "why" }, el("strong", null, "No verdict yet"), " (the dialogue is unfinished)");
    const items = [];
    for (const violation of v.violations || []) {
      items.push(el("li", { class: "violation" }, el("strong", null, violation.rule), ` (${violation.kind || "policy"} violation)`,
        violation.event !== undefined && violation.event !== null ? [" at ", el("a", { class: "event-link", onclick: () => jumpTo(violation.event) }, `event ${violation.event}`)] : null,
        violation.name ? ` in ${violation.name}` : null, ": ", violation.message));
    }
    for (const write of v.redundant_writes || []) items.push(el("li", null, el("strong", null, "redundant write"), " ", el("code", null, `${write.name}(${JSON.stringify(write.arguments)})`), write.reason ? `: ${write.reason}` : null));
    for (const goal of d.goals) if (goal.satisfied === false) items.push(el("li", null, el("strong", null, `${goal.type} not satisfied`), goal.missing.length ? ": " + goal.missing.join("; ") : null));
    for (const change of v.unexpected_changes || []) items.push(el("li", null, "unexpected change: ", el("code", null, change)));
    const reasons = (v.reasons || []).filter((r) => !/^(conversation |policy )?violation/.test(r) && !/ not satisfied/.test(r));
    for (const reason of reasons) items.push(el("li", null, reason));
    const failed = Object.entries(v.checks || {}).filter(([, o]) => o === "failed").map(([c]) => c);
    const checks = el("div", null, "checks: ", Object.entries(v.checks || {}).sort().map(([c, o]) => el("span", { class: "chip " + (o === "failed" ? "failed" : o === "passed" ? "passed" : ""), title: o }, `${c}: ${o.replace("_", " ")}`)));
    const ok = f.verdict === "passed";
    return el("div", { class: "why" + (ok ? " ok" : "") },
      el("strong", null, ok ? "Passed: every goal met, no violation, a proper stop" : `Score ${fmt.score(v.score)}${v.scored ? "" : " (not scored)"}: why`),
      items.length ? el("ul", { class: "reasons" }, items) : null,
      failed.length ? el("div", { class: "failed-checks" }, "failed checks: ", failed.map((c) => el("span", { class: "chip failed" }, c))) : null,
      checks);
  }

  function renderGoals(d) {
    return d.goals.map((goal) => el("div", { class: "goal " + (goal.satisfied === false ? "no" : goal.satisfied ? "ok" : "") },
      el("span", { class: "mark" }, goal.satisfied === false ? "✗" : goal.satisfied ? "✓" : "·"), el("strong", null, goal.type),
      goal.missing.length ? el("div", { class: "muted" }, "missing: " + goal.missing.join("; ")) : null,
      el("div", { class: "mono" }, "params: " + JSON.stringify(goal.params)),
      goal.expected_info.length ? el("div", { class: "mono" }, "expected info: " + goal.expected_info.join(", ")) : null,
      goal.actions.length ? el("div", { class: "mono" }, "canonical: ", goal.actions.map((a) => `${a.name}(${JSON.stringify(a.arguments)})`).join("; ")) : null));
  }

  function renderDescriptions(d) {
    if (!d.descriptions.length) return el("p", { class: "muted" }, "none");
    return el("table", { class: "grid descriptions" },
      el("thead", null, el("tr", null, el("th", null, "the user says"), el("th", null, "kind"), el("th", null, "resolves to"), el("th", null, "unique within"))),
      el("tbody", null, d.descriptions.map((x) => el("tr", null, el("td", null, x.text), el("td", null, x.kind), el("td", { class: "mono" }, x.ids.join(", ")), el("td", { class: "mono" }, x.scope || "")))));
  }

  function renderTranscript(d, flags) {
    return el("div", { class: "transcript" }, d.transcript.map((entry) => {
      const flagged = flags.get(entry.seq);
      const flag = flagged ? el("span", { class: "flag" }, "⚠ " + flagged.join(", ")) : null;
      const common = { id: "event-" + entry.seq, "data-seq": entry.seq };
      if (entry.role === "user" || entry.role === "agent") {
        const calls = (entry.calls || []).map((c) => el("div", { class: "call" }, `→ ${c.name}`, el("pre", null, prettyJson(c.arguments))));
        return el("div", Object.assign(common, { class: `msg ${entry.role}${flagged ? " flagged" : ""}` }), el("span", { class: "who" }, `${entry.role === "user" ? "user" : "agent"} · event ${entry.seq}`), flag, entry.text || null, calls);
      }
      if (entry.role === "tool") {
        const head = entry.ok ? `← ${entry.name}` : `← ${entry.name} failed (${entry.error_kind})`;
        const preview = entry.text.length > 120 ? entry.text.slice(0, 120) + "…" : entry.text;
        return el("div", Object.assign(common, { class: `msg tool${entry.ok ? "" : " error"}${flagged ? " flagged" : ""}` }), flag,
          el("details", null, el("summary", { class: "mono" }, `${head}: ${preview}`), el("pre", null, prettyJson(entry.text))));
      }
      return el("div", Object.assign(common, { class: "msg event" + (flagged ? " flagged" : "") }), flag, entry.text);
    }));
  }

  function renderDiff(d) {
    if (!d.diff.length) return el("p", { class: "muted" }, "The dialogue changed nothing in the database.");
    const value = (text) => (text === null ? el("span", { class: "absent" }, "absent") : el("pre", null, text));
    return el("table", { class: "grid diff" },
      el("thead", null, el("tr", null, el("th", null, "path"), el("th", null, "before"), el("th", null, "after"))),
      el("tbody", null, d.diff.map((change) => el("tr", null, el("td", { class: "path" }, change.path), el("td", null, value(change.before)), el("td", null, value(change.after))))));
  }

  function renderDialogue(f, d) {
    const flags = new Map();
    for (const violation of (d.verdict && d.verdict.violations) || []) {
      if (violation.event === undefined || violation.event === null) continue;
      flags.set(violation.event, (flags.get(violation.event) || []).concat(violation.rule));
    }
    const models = Object.entries(d.models || {}).map(([role, m]) => `${role}: ${m.model} (${fmt.int(m.calls)} calls, ${fmt.int(m.prompt_tokens + m.completion_tokens)} tokens, ${fmt.usd(m.cost_usd)})`);
    const task = d.task || {};
    const pane = document.getElementById("dialogue");
    pane.replaceChildren(
      el("h2", null, d.id, " ", el("span", { class: "badge " + f.verdict }, f.verdict)),
      kvTable([["score", fmt.score(f.score)], ["attribution", f.attribution], ["termination", f.termination], ["task", task.task_id], ["user", task.user_id], ["fuzz", task.fuzz],
        ["turns / tool calls", `${f.turns} / ${f.tool_calls}`], ["models", models.length ? models.map((m) => el("div", null, m)) : null],
        ["scripted mistakes", d.mistakes && d.mistakes.length ? d.mistakes.join(", ") + " (ground truth the verifier never reads)" : null]]),
      el("h3", null, "Verdict"), renderWhy(f, d),
      el("h3", null, "Goals"), el("div", { class: "goals" }, d.goals.length ? renderGoals(d) : el("p", { class: "muted" }, "no task")),
      el("h3", null, "Descriptions and what they resolve to"), renderDescriptions(d),
      el("details", null, el("summary", null, el("strong", null, "Scenario given to the user simulator")), el("pre", null, task.instruction || "")),
      el("h3", null, "Transcript"), renderTranscript(d, flags),
      el("h3", null, `State diff (${d.diff.length} path${d.diff.length === 1 ? "" : "s"})`), renderDiff(d));
    pane.scrollIntoView({ block: "nearest" });
  }

  function jumpTo(seq) {
    const node = document.getElementById("event-" + seq);
    if (!node) return;
    const details = node.querySelector("details");
    if (details) details.open = true;
    node.scrollIntoView({ block: "center" });
  }

  function openFromHash() {
    const match = /^#dialogue=(.+)$/.exec(location.hash);
    if (!match) return;
    const id = decodeURIComponent(match[1]);
    const index = facets.findIndex((f) => f.id === id);
    if (index >= 0) select(index);
  }

  // The details' script element comes after this script: the parser reads it while the page draws.
  const parsed = document.readyState === "loading" ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve)) : Promise.resolve();

  async function main() {
    performance.mark("cove:start");  // the bench reads these marks
    renderRun();
    const loading = inflate(document.getElementById("facet-data").textContent.trim());
    try {
      renderCharts();
    } catch (error) {
      document.getElementById("chart-grid").append(el("p", { class: "why" }, "The charts could not be drawn: " + error));
    }
    performance.mark("cove:charts");
    try {
      facets = JSON.parse(await loading);
    } catch (error) {
      document.getElementById("match-count").textContent = "The dialogues could not be read in this browser: " + error;
      return;
    }
    performance.mark("cove:dialogues");
    buildFilters();
    renderList();
    performance.mark("cove:ready");
    window.coveReadyAt = performance.now();
    document.body.dataset.ready = "true";
    details = parsed.then(() => inflate(document.getElementById("detail-data").textContent.trim())).then((text) => text.split("\n"));
    details.then(() => { performance.mark("cove:details"); document.body.dataset.details = "true"; },
      (error) => { document.getElementById("dialogue").replaceChildren(el("p", { class: "why" }, "The dialogues' details could not be read in this browser: " + error)); });
    openFromHash();
    window.addEventListener("hashchange", openFromHash);  // a link or an edited address opens another dialogue
  }

  main();
})();
