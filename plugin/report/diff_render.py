"""A :class:`~parity.report.run_diff.RunDiff` as Markdown (stdout, a CI step summary) or as
one self-contained HTML page (inline CSS, no script, nothing fetched)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from parity.analysis.gates import signed
from parity.report.reporters.markdown_summary import cell as md_cell
from parity.report.run_diff import RIGHT, ExperimentDiff, MetricChange, RunDiff
from parity.report.stored_runs import StoredRun

HEADER = ["score", "A mean [95% CI]", "B mean [95% CI]", "B − A [95% CI]", "p (test)", "change"]
FLIP_HEADER = ["example", "gold", "A prediction", "B prediction", "A → B"]
CELL_CHARS = 80  # predictions and golds are cut to this many characters in a table


def _interval(stats: object) -> str:
    if not isinstance(stats, dict) or stats.get("mean") is None:
        return "–"
    low, high = stats.get("ci95_low"), stats.get("ci95_high")
    if low is None or high is None:
        return f"{stats['mean']:.4f}"
    return f"{stats['mean']:.4f} [{low:.4f}, {high:.4f}]"


def metric_row(change: MetricChange) -> list[str]:
    """One table row: the score, A's and B's mean with its interval, the paired difference
    with its interval, the paired test's p-value, and what changed."""
    delta = change.paired
    paired = "not paired" if delta is None else (
        f"{signed(delta.difference)} [{signed(delta.ci_low)}, {signed(delta.ci_high)}]"
    )  # fmt: skip
    test = "–" if delta is None else f"{delta.p_value:.3g} ({delta.test})"
    return [change.metric, _interval(change.a), _interval(change.b), paired, test, change.status]


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def flip_rows(experiment: ExperimentDiff) -> list[list[str]]:
    """One row per flipped example: right in A and wrong in B first."""
    rows = []
    for key in [*experiment.right_to_wrong, *experiment.wrong_to_right]:
        flip = experiment.flipped[key]
        gold = " | ".join(flip.gold)
        scores = f"{flip.score_a:.3g} → {flip.score_b:.3g}"
        rows.append([key, _cut(gold), _cut(flip.a), _cut(flip.b), scores])
    return rows


def _run_line(label: str, run: StoredRun) -> str:
    started = run.started.strftime("%Y-%m-%d %H:%M:%S") if run.started else "time unknown"
    gates = "gates passed" if run.summary.get("gates_passed", True) else "gates FAILED"
    return f"{label}: {run.path} ({started}, config {run.summary.get('config', '?')}, {gates})"


def _headline(diff: RunDiff) -> list[str]:
    """The summary lines: what regressed, what improved, what only one run holds."""
    lines = []
    for title, found in (("Regressed", diff.regressions()), ("Improved", diff.improvements())):
        items = [
            f"{experiment_id} {change.metric} {_interval(change.a)} → {_interval(change.b)}"
            for experiment_id, change in found
        ]
        lines.append(f"{title}: {'; '.join(items) if items else 'nothing'}")
    for title, ids in (("Only in A", diff.only_a), ("Only in B", diff.only_b)):
        if ids:
            lines.append(f"{title}: {', '.join(ids)}")
    return lines


def _flip_title(experiment: ExperimentDiff) -> str:
    return (
        f"Flipped on {experiment.primary} (right: score ≥ {RIGHT}): "
        f"{len(experiment.right_to_wrong)} right in A and wrong in B, "
        f"{len(experiment.wrong_to_right)} wrong in A and right in B"
    )


def _pairs_line(experiment: ExperimentDiff) -> str:
    comparison = experiment.comparison
    if comparison is None:
        line = f"Not paired: {experiment.why_not_paired}."
    else:
        line = (
            f"Paired over the {comparison.n_pairs} examples both runs scored ("
            f"{len(comparison.only_baseline)} only in A, {len(comparison.only_candidate)} only in B)."
        )
    if experiment.setup_changes:
        line += f" Setup A → B: {'; '.join(experiment.setup_changes)}."
    return line


# -- Markdown -----------------------------------------------------------------------------------
def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(md_cell(cell) for cell in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def to_markdown(diff: RunDiff) -> str:
    """The comparison as Markdown."""
    lines = ["# Parity: run B against run A", ""]
    lines += [f"- {_run_line('A', diff.a)}", f"- {_run_line('B', diff.b)}", ""]
    lines += [f"- {line}" for line in _headline(diff)]
    for experiment in diff.experiments:
        lines += ["", f"## {experiment.experiment_id}", "", _pairs_line(experiment), ""]
        lines += _md_table(HEADER, [metric_row(change) for change in experiment.changes])
        lines += ["", f"Paired verdict: `{experiment.verdict}`"]
        if experiment.primary is not None:
            lines += ["", _flip_title(experiment)]
            if experiment.flipped:
                lines += ["", *_md_table(FLIP_HEADER, flip_rows(experiment))]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top}th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2em}
.regressed{background:#fde2e1}.improved{background:#e1f5e3}h2{margin-top:1.6em}
"""


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], status_col: int = -1) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = []
    for row in rows:
        css = f' class="{row[status_col].split()[0]}"' if status_col >= 0 else ""
        cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def to_html(diff: RunDiff) -> str:
    """The comparison as one self-contained HTML page."""
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<title>Parity: run B against run A</title>",
        f"<style>{STYLE}</style></head><body><h1>Parity: run B against run A</h1><ul>",
        f"<li>{html.escape(_run_line('A', diff.a))}</li>",
        f"<li>{html.escape(_run_line('B', diff.b))}</li></ul><ul>",
        *(f"<li>{html.escape(line)}</li>" for line in _headline(diff)),
        "</ul>",
    ]
    for experiment in diff.experiments:
        rows = [metric_row(change) for change in experiment.changes]
        parts += [
            f"<h2>{html.escape(experiment.experiment_id)}</h2>",
            f"<p>{html.escape(_pairs_line(experiment))}</p>",
            _html_table(HEADER, rows, status_col=len(HEADER) - 1),
            f"<p>Paired verdict: <code>{html.escape(experiment.verdict)}</code></p>",
        ]
        if experiment.primary is not None:
            parts.append(f"<p>{html.escape(_flip_title(experiment))}</p>")
            if experiment.flipped:
                parts.append(_html_table(FLIP_HEADER, flip_rows(experiment)))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
