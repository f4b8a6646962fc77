"""Markdown reporter: ``summary.md``, the terminal's parity summary as Markdown tables (a CI
step summary), appended to the file ``$GITHUB_STEP_SUMMARY`` names when it is set.

The page holds the experiments (counts, latency, tokens, cost), their metrics with 95%
intervals, the paired comparisons with their verdicts and resource changes, the gates,
Holm-adjusted p-values, the error classes and error flips, the lowest-scoring examples and
the notes. It is built from ``summary.json`` alone, so :func:`rebuild` redoes it for a
stored run. A cell's ``|`` is escaped, a newline becomes ``<br>``, ``<``, ``>`` and ``&``
become entities (GitHub would drop ``<invalid>`` as an HTML tag), and an example's
prediction, gold and raw text are cut at :data:`CELL_CHARS` characters (the raw rows hold
them whole).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from parity.analysis.error_classes import ERROR, ERROR_CLASSES, TIMEOUT
from parity.report.reporters.json_summary import strict

PAGE = "summary.md"
SUMMARY_JSON = "summary.json"
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
CELL_CHARS = 120
UNSCORED = (TIMEOUT, ERROR)  # the classes of failed items, outside the scored ones
_STATUS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
_FLIPS = {
    "candidate_wrong_baseline_right": "candidate wrong, baseline right",
    "baseline_wrong_candidate_right": "baseline wrong, candidate right",
}


def cell(value: Any) -> str:
    """``value`` as one Markdown table cell: None as ``n/a``, a float to 4 decimals, text
    with ``&<>`` as entities, ``|`` escaped and newlines as ``<br>``."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "<br>")


def clip(text: str) -> str:
    """``text`` cut at :data:`CELL_CHARS` characters (an example's prediction or gold)."""
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 3] + "..."


def _number(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A Markdown table (every cell through :func:`cell`); empty when there is no row."""
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    if not body:
        return []
    head = "| " + " | ".join(cell(h) for h in headers) + " |"
    return [head, "|" + "---|" * len(headers), *body, ""]


def _interval(low: float | None, high: float | None, sign: str = "") -> str:
    if low is None or high is None:
        return "n/a"
    return f"[{low:{sign}.4f}, {high:{sign}.4f}]"


def _change(block: Mapping[str, Any] | None) -> str:
    change = (block or {}).get("change")
    return "n/a" if change is None else f"{change:+.0%}"


EXPERIMENT_HEADERS = ("Experiment", "Model", "Dataset", "Task", "n", "Failed", "Skipped",
                      "Invalid", "Latency p50 ms", "Latency p95 ms", "Tokens in", "Tokens out",
                      "Cost USD")  # fmt: skip
DELTA_HEADERS = ("Candidate", "Baseline", "Pairs", "Metric", "Baseline", "Candidate",
                 "Difference", "95% CI", "Test", "p", "Verdict")  # fmt: skip
RESOURCES = ("input_tokens", "cost_usd", "latency_p50_ms", "latency_p95_ms")
RESOURCE_HEADERS = ("Candidate", "Baseline", "Input tokens", "Cost", "Latency p50", "Latency p95")


def _experiments(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = []
    for s in summaries:
        latency, tokens = s["latency_ms"], s["tokens"]
        rows.append([
            s["experiment_id"], s["model"], s["dataset"], s["task"], s["n_examples"],
            s["n_failed"], s["n_skipped"], s.get("n_invalid_predictions", 0),
            _number(latency["p50"], ".0f"), _number(latency["p95"], ".0f"),
            _number(tokens["avg_input_tokens"], ".1f"), _number(tokens["avg_output_tokens"], ".1f"),
            _number(s["cost"]["total_usd"], ".6f"),
        ])  # fmt: skip
    return ["## Experiments", "", *table(EXPERIMENT_HEADERS, rows)]


def _metrics(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = []
    for s in summaries:
        for name, stats in s["metrics"].items():
            spread = "corpus" if stats.get("corpus_level") else stats["std"]
            interval = _interval(stats["ci95_low"], stats["ci95_high"])
            rows.append([s["experiment_id"], name, stats["mean"], spread, interval])
    lines = table(["Experiment", "Metric", "Mean", "Std", "95% CI"], rows)
    return ["## Metrics", "", *lines] if lines else []


def _comparisons(summaries: Sequence[Mapping[str, Any]], verdicts: Sequence[str]) -> list[str]:
    deltas, resources = [], []
    for s in summaries:
        block = s.get("comparison")
        if not block:
            continue
        pair = [s["experiment_id"], block["baseline"]]
        if "unavailable" in block:
            deltas.append([*pair, *["n/a"] * 8, f"no verdict: {block['unavailable']}"])
            continue
        gated = block.get("verdicts", {})
        for name, d in block["metrics"].items():
            verdict = ", ".join(v for k, v in gated.items() if k.split(".", 1)[1] == name)
            deltas.append([
                *pair, d["n_pairs"], name, d["baseline"], d["candidate"],
                _number(d["difference"], "+.4f"), _interval(d["ci_low"], d["ci_high"], "+"),
                d["test"], _number(d["p_value"], ".3g"), verdict or "not gated",
            ])  # fmt: skip
        changes = block.get("resources", {})
        resources.append([*pair, *(_change(changes.get(k)) for k in RESOURCES)])
    lines = table(DELTA_HEADERS, deltas) + table(RESOURCE_HEADERS, resources)
    lines += [f"- {cell(line)}" for line in verdicts]
    if not lines:
        return []
    return ["## Paired comparisons (candidate - baseline)", "", *lines, ""]


def _gates(document: Mapping[str, Any]) -> list[str]:
    gates = [
        [_STATUS.get(g["status"], g["status"]), g["name"], g["message"]]
        for g in document.get("gates", [])
    ]
    holm = []
    for r in document.get("holm_adjusted", []):
        holm.append([r["candidate"], r["baseline"], r["metric"], _number(r["p_value"], ".3g"),
                     _number(r["p_holm"], ".3g"), r["test"]])  # fmt: skip
    lines = table(["Status", "Gate", "Message"], gates)
    lines += table(["Candidate", "Baseline", "Metric", "p", "p (Holm)", "Test"], holm)
    return ["## Gates", "", *lines] if lines else []


def _error_classes(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    counted = [s for s in summaries if "error_classes" in s]
    if not counted:
        return []
    found = {name for s in counted for name in s["error_classes"]}
    names = [n for n in ERROR_CLASSES if n in found] + sorted(found - set(ERROR_CLASSES))
    rows, flips = [], []
    for s in counted:
        counts = s["error_classes"]
        rows.append(
            [s["experiment_id"], s["n_examples"], _right(s), *(counts.get(n, 0) for n in names)]
        )
        block = s.get("comparison", {})
        for direction, by_class in block.get("error_flips", {}).items():
            for name, entry in by_class.items():
                flips.append([s["experiment_id"], block["baseline"], _FLIPS.get(direction, direction),
                              name, entry["count"], ", ".join(entry["examples"])])  # fmt: skip
    lines = ["## Error classes", "", *table(["Experiment", "Scored", "Right", *names], rows)]
    lines += table(["Candidate", "Baseline", "Flip", "Class", "Count", "Examples"], flips)
    return lines


def _right(summary: Mapping[str, Any]) -> int:
    """Scored items in no error class (a failed item's ``timeout`` or ``error`` is unscored)."""
    wrong = sum(n for name, n in summary["error_classes"].items() if name not in UNSCORED)
    return summary["n_examples"] - wrong


def _lowest(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = []
    for s in summaries:
        for row in s.get("lowest_scoring", []):
            if row["score"] < 1.0:
                gold = json.dumps(row["gold"], ensure_ascii=False)
                rows.append([s["experiment_id"], row["id"], row["metric"], row["score"],
                             clip(row["prediction"]), clip(gold),
                             clip(row.get("raw_output", ""))])  # fmt: skip
    headers = ["Experiment", "Example", "Metric", "Score", "Prediction", "Gold", "Raw output"]
    lines = table(headers, rows)
    return ["## Lowest-scoring examples", "", *lines] if lines else []


def render(document: Mapping[str, Any]) -> str:
    """``summary.md`` for a run's summary document (what ``summary.json`` holds)."""
    summaries = document.get("experiments", [])
    counts = document.get("gate_counts", {})
    outcome = "passed" if document.get("gates_passed", True) else "FAILED"
    gates = "no gates"
    if document.get("gates"):
        gates = (
            f"gates {outcome} ({counts.get('passed', 0)} passed, {counts.get('failed', 0)} "
            f"failed, {counts.get('skipped', 0)} skipped)"
        )
    lines = [
        "# Parity summary",
        "",
        f"Config `{document.get('config', '')}`: {gates}",
        "",
        *_experiments(summaries),
        *_metrics(summaries),
        *_comparisons(summaries, document.get("verdicts", [])),
        *_gates(document),
        *_error_classes(summaries),
        *_lowest(summaries),
    ]
    notes = [f"- {cell(note)}" for note in document.get("notes", [])]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip("\n") + "\n"


def write_markdown(run_dir: Path, document: Mapping[str, Any]) -> Path:
    """Write ``run_dir/summary.md`` for ``document``."""
    path = Path(run_dir) / PAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(document), encoding="utf-8")
    return path


def rebuild(run_dir: Path) -> list[Path]:
    """Rewrite ``summary.md`` of a stored run from its ``summary.json`` alone."""
    text = (Path(run_dir) / SUMMARY_JSON).read_text(encoding="utf-8")
    return [write_markdown(Path(run_dir), json.loads(text))]


def append_step_summary(config: pytest.Config | None, page: Path) -> None:
    """Append ``page`` to the file ``$GITHUB_STEP_SUMMARY`` names, if it is set; a failure
    to write there is one warning line, never an error of the run."""
    target = os.environ.get(STEP_SUMMARY_ENV)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(page.read_text(encoding="utf-8"))
    except OSError as exc:
        _warn(config, f"parity: warning: {PAGE} not appended to ${STEP_SUMMARY_ENV} ({exc})")


def _warn(config: pytest.Config | None, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter") if config else None
    if reporter is None:
        print(text, file=sys.stderr)
    else:
        reporter.write_line(text, yellow=True)


@pytest.hookimpl(trylast=True)
def pytest_parity_run_finished(
    config: pytest.Config, summary: Mapping[str, Any], run_dir: Path
) -> None:
    """Write ``summary.md`` with :func:`rebuild` (after the JSON reporter wrote
    ``summary.json``; from ``summary`` itself when that reporter is turned off) and append it
    to ``$GITHUB_STEP_SUMMARY``."""
    if (Path(run_dir) / SUMMARY_JSON).is_file():
        (page,) = rebuild(run_dir)
    else:
        page = write_markdown(run_dir, strict(summary))
    append_step_summary(config, page)
