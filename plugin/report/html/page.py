"""The whole page: header, tables, plots and the example browser in one self-contained
HTML document (its CSS, JavaScript, SVG and data inline; no URL is ever fetched)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from importlib.resources import files
from typing import Any

from parity.report.html import plots, tables
from parity.report.html.browser_data import browser_data
from parity.report.html.run_data import RunData
from parity.report.strict_json import strict

BROWSER = """
<div class="controls">
  <label>experiment<select id="f-exp"></select></label>
  <label>metric<select id="f-metric"></select></label>
  <label>score from<input id="f-min" type="number" step="0.05" min="0" max="1"></label>
  <label>score to<input id="f-max" type="number" step="0.05" min="0" max="1"></label>
  <label>order<select id="f-sort"><option value="index">example order</option>
    <option value="asc">lowest score first</option><option value="desc">highest score first</option></select></label>
  <label>vs baseline<select id="f-flip"><option value="">any</option>
    <option value="worse">candidate worse</option><option value="better">candidate better</option>
    <option value="equal">equal</option></select></label>
  <label>error class<select id="f-class"></select></label>
  <label>search id, question, prediction<input id="f-text" type="search"></label>
  <label class="check"><input id="f-invalid" type="checkbox"> invalid only</label>
  <label class="check"><input id="f-error" type="checkbox"> errors only</label>
  <label id="cand-pick" hidden>candidate<select id="f-cand"></select></label>
</div>
<div class="pager"><button id="prev">previous</button><span id="page"></span>
  <button id="next">next</button><span id="count"></span></div>
<table id="rows"><thead><tr><th>experiment</th><th>example</th><th>score</th><th>prediction</th>
  <th>gold</th><th>latency ms</th><th>input tokens</th><th>flags</th></tr></thead><tbody></tbody></table>
<div id="detail" class="detail"></div>
"""


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``
    and ``&`` escaped (no ``</script>`` or ``<!--`` can end the element), and U+2028/U+2029
    escaped (older JavaScript parsers end a line there); a NaN or infinity is null."""
    try:  # rows read from JSON rarely hold a NaN: walk the data only when one is there
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = json.dumps(strict(data), ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, escaped)
    return text


def figure(item: plots.Figure) -> str:
    """A plot in a ``<figure>`` (with its note, how to read it, when it has one), or its title
    and the note that says why it is left out."""
    caption = f"<figcaption>{escape(item.title)}</figcaption>"
    if item.svg is None:
        return f'<figure class="omitted">{caption}<p class="note">{escape(item.note or "")}</p></figure>'
    note = f'<p class="note">{escape(item.note)}</p>' if item.note else ""
    return f'<figure class="plot">{caption}{item.svg}{note}</figure>'


def _figures(items: Sequence[plots.Figure | None]) -> str:
    return '<div class="figures">' + "".join(figure(i) for i in items if i is not None) + "</div>"


def experiment_section(
    index: int, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
    gates: Sequence[Mapping[str, Any]],
) -> str:  # fmt: skip
    """One experiment: metrics with intervals, resources and TCO, its paired verdict, its
    gates, error classes, and its distributions, per-task bars and confusion matrix."""
    title = f"{summary['experiment_id']}  [{summary.get('model', '')} | {summary.get('mode', '')} | " \
            f"{summary.get('dataset', '')} | {summary.get('task', '')}]"  # fmt: skip
    parts = [f'<details class="experiment" id="exp-{index}" open><summary>{escape(title)}</summary>',
             "<h3>Metrics (95% intervals)</h3>", tables.metrics(summary),
             "<h3>Latency, tokens, cost and TCO</h3>", tables.resources(summary)]  # fmt: skip
    if summary.get("comparison"):
        parts += ["<h3>Paired verdict</h3>", tables.comparison(summary["comparison"])]
    parts += ["<h3>Gates</h3>", tables.gates(gates, "no gate is configured for this experiment.")]
    if summary.get("error_classes"):
        parts += ["<h3>Error classes</h3>", tables.error_classes(summary["error_classes"])]
    extra = [plots.task_bars(summary), plots.confusion(summary, rows)]
    parts += ["<h3>Distributions</h3>", _figures([*plots.distributions(summary, rows), *extra])]
    return "".join(parts) + "</details>"


def render(run: RunData) -> str:
    """The report page of ``run``."""
    document = strict(run.document)
    summaries = list(document.get("experiments", []))
    gate_counts = document.get("gate_counts") or {}
    passed = document.get("gates_passed", True)
    status = "passed" if passed else "failed"
    counts = ", ".join(f"{n} {k}" for k, n in gate_counts.items() if n)
    header = (
        f"<header><h1>Parity report: {escape(run.name)}</h1><p>config {escape(str(document.get('config', '')))} · "
        f'gates <span class="badge {status}">{status}</span> {escape(counts)}</p></header>'
    )
    nav = ['<a href="#overview">overview</a>', '<a href="#plots">plots</a>']
    nav += [
        f'<a href="#exp-{i}">{escape(str(s["experiment_id"]))}</a>' for i, s in enumerate(summaries)
    ]
    nav.append('<a href="#browser">examples</a>')
    verdicts = "\n".join(document.get("verdicts") or [])
    notes = "".join(f"<li>{escape(str(n))}</li>" for n in document.get("notes") or [])
    plot_items = [
        *plots.cost_accuracy(summaries),
        plots.compression_delta(summaries),
        *plots.experiment_bars(summaries),
    ]
    body = [
        '<section id="overview"><h2>Overview</h2>', tables.overview(summaries),
        f'<h3>Verdicts</h3><pre class="lines">{escape(verdicts or "no experiment is paired with a baseline")}</pre>',
        "<h3>Gates</h3>", tables.gates(document.get("gates") or []), "<h3>Cost and TCO</h3>", tables.tco(summaries),
        f"<h3>Notes</h3><ul>{notes}</ul>" if notes else "", "</section>",
        '<section id="plots"><h2>Plots</h2>', _figures(plot_items), "</section>",
        '<section id="experiments"><h2>Experiments</h2>',
        *(experiment_section(i, s, run.rows.get(str(s["experiment_id"]), []),
                             [g for g in document.get("gates") or [] if g.get("experiment_id") == s["experiment_id"]])
          for i, s in enumerate(summaries)),
        "</section>", f'<section id="browser"><h2>Examples</h2>{BROWSER}</section>',
    ]  # fmt: skip
    assets = files("parity.report.html")
    style = assets.joinpath("report.css").read_text(encoding="utf-8")
    script = assets.joinpath("browser.js").read_text(encoding="utf-8")
    data = script_json(browser_data(run, summaries))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Parity report: {escape(run.name)}</title><style>{style}</style></head><body>"
        f"{header}<nav>{''.join(nav)}</nav><main>{''.join(body)}</main>"
        f'<script type="application/json" id="parity-data">{data}</script>'
        f"<script>{script}</script></body></html>\n"
    )
