"""Run index reporter: ``reports/index.html``, every run folder of the reports root with its
time, config, gates and headline metrics, links to its files, and one small trend plot per
experiment across the runs (inline SVG: the page fetches nothing).

Rewritten after each run (once the other reporters have written the run's files),
and by ``python -m parity index``. Only each run's ``summary.json`` is read.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from parity.record.run_dirs import RUN_NAME, is_parity_run, parity_runs
from parity.report.reporters.json_summary import RUN_SUMMARY

INDEX = "index.html"
LINKED = ("report.html", "summary.md", RUN_SUMMARY)  # linked from a run's row when present
TREND_WIDTH, TREND_HEIGHT, PAD = 240, 64, 6
AXIS_LEFT, AXIS_BOTTOM = 30, 12  # room for the y range's labels and the first/last run's
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:80em;color:#222;padding:0 1em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}.failed{color:#b00020;font-weight:600}
.passed{color:#1b7f2a}.trend{display:inline-block;margin:0 1.2em 1em 0}.trend svg{display:block}
small{color:#666}
"""


@dataclass(frozen=True)
class Headline:
    """An experiment's headline score in one run: its first metric with a mean."""

    metric: str
    mean: float
    low: float | None
    high: float | None

    def text(self) -> str:
        """``f1 0.412 [0.301, 0.520]``."""
        interval = (
            f" [{self.low:.3f}, {self.high:.3f}]" if None not in (self.low, self.high) else ""
        )
        return f"{self.metric} {self.mean:.3f}{interval}"


@dataclass(frozen=True)
class RunEntry:
    """One run folder as the index shows it."""

    name: str
    started: str
    config: str = ""
    gates: str = ""  # "passed", "failed" or "" (no summary)
    headlines: dict[str, list[Headline]] = field(default_factory=dict)  # by experiment
    links: tuple[str, ...] = ()
    problem: str | None = None  # why the run has no summary to show


def _finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None (NaN, null, text)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def headlines(experiment: Mapping[str, Any]) -> list[Headline]:
    """Every metric of ``experiment``'s summary that has a finite mean, in its order."""
    found = []
    for metric, stats in (experiment.get("metrics") or {}).items():
        if isinstance(stats, Mapping) and (mean := _finite(stats.get("mean"))) is not None:
            low, high = _finite(stats.get("ci95_low")), _finite(stats.get("ci95_high"))
            found.append(Headline(metric, mean, low, high))
    return found


def _started(name: str) -> str:
    match = RUN_NAME.fullmatch(name)
    if match is None:
        return ""
    return _dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").strftime("%Y-%m-%d %H:%M:%S")


def run_entry(run_dir: Path, summary: Mapping[str, Any] | None = None) -> RunEntry:
    """The index's entry for ``run_dir``, from ``summary`` or else its ``summary.json``."""
    started = _started(run_dir.name)
    if summary is None:
        try:
            summary = json.loads((run_dir / RUN_SUMMARY).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return RunEntry(run_dir.name, started, problem="no summary.json (running or stopped)")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return RunEntry(run_dir.name, started, problem=f"summary.json unreadable ({exc})")
    if not isinstance(summary, Mapping):
        return RunEntry(run_dir.name, started, problem="summary.json holds no run summary")
    scores = {
        str(experiment.get("experiment_id")): found
        for experiment in summary.get("experiments") or []
        if isinstance(experiment, Mapping) and (found := headlines(experiment))
    }
    counts = summary.get("gate_counts") or {}
    gates = "passed" if summary.get("gates_passed", True) else "failed"
    if any(counts.get(state) for state in ("passed", "failed")):
        gates += f" ({counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed)"
    links = tuple(name for name in LINKED if (run_dir / name).is_file() or name == RUN_SUMMARY)
    return RunEntry(run_dir.name, started, str(summary.get("config", "")), gates, scores, links)


def trend_svg(points: Sequence[tuple[str, Headline | None]]) -> str:
    """A small SVG line of one experiment's headline mean over the runs (oldest first), its
    95% interval as a band; a run without the experiment leaves a gap in the x axis. The y
    range's ends are written at the left, the first and last run's names below."""
    values = [h for _, h in points if h is not None]
    ends = [v for h in values for v in (h.mean, h.low, h.high) if v is not None]
    low, high = (0.0, 1.0) if all(0 <= v <= 1 for v in ends) else (min(ends), max(ends))
    span = (high - low) or 1.0
    plot_bottom = TREND_HEIGHT - AXIS_BOTTOM
    step = (TREND_WIDTH - AXIS_LEFT - 2 * PAD) / max(1, len(points) - 1)

    def y(value: float) -> float:
        return round(plot_bottom - PAD - (value - low) / span * (plot_bottom - 2 * PAD), 1)

    marks, line, upper, lower = [], [], [], []
    for index, (name, found) in enumerate(points):
        if found is None:
            continue
        x = round(AXIS_LEFT + PAD + index * step, 1)
        line.append(f"{x},{y(found.mean)}")
        upper.append(f"{x},{y(found.high if found.high is not None else found.mean)}")
        lower.append(f"{x},{y(found.low if found.low is not None else found.mean)}")
        tip = html.escape(f"{name}: {found.text()}")
        marks.append(f'<circle cx="{x}" cy="{y(found.mean)}" r="2.5"><title>{tip}</title></circle>')
    band = " ".join(upper + lower[::-1])
    return (
        f'<svg width="{TREND_WIDTH}" height="{TREND_HEIGHT}" '
        f'viewBox="0 0 {TREND_WIDTH} {TREND_HEIGHT}" role="img">'
        f'<rect x="{AXIS_LEFT}" width="{TREND_WIDTH - AXIS_LEFT}" height="{plot_bottom}" '
        'fill="#fafafa" stroke="#ddd"/>'
        f"{_axis_labels(points, low, high, y(low), y(high))}"
        f'<polygon points="{band}" fill="#4c78a8" fill-opacity="0.18"/>'
        f'<polyline points="{" ".join(line)}" fill="none" stroke="#4c78a8" stroke-width="1.5"/>'
        f'<g fill="#4c78a8">{"".join(marks)}</g></svg>'
    )


def _axis_labels(
    points: Sequence[tuple[str, Headline | None]],
    low: float,
    high: float,
    y_low: float,
    y_high: float,
) -> str:
    """The y range's ends at the left (``low`` at ``y_low``, ``high`` at ``y_high``) and the
    first and last run's names under the plot."""
    right = AXIS_LEFT - 3
    texts = [
        f'<text x="{right}" y="{y_high + 3}" text-anchor="end">{_tick(high)}</text>',
        f'<text x="{right}" y="{y_low + 3}" text-anchor="end">{_tick(low)}</text>',
        f'<text x="{AXIS_LEFT}" y="{TREND_HEIGHT - 2}">{html.escape(points[0][0])}</text>',
    ]
    if len(points) > 1:
        texts.append(
            f'<text x="{TREND_WIDTH}" y="{TREND_HEIGHT - 2}" text-anchor="end">'
            f"{html.escape(points[-1][0])}</text>"
        )
    return f'<g font-size="9" fill="#666">{"".join(texts)}</g>'


def _tick(value: float) -> str:
    """A y range end, short: ``0``, ``1``, ``0.45``, ``1.2e+03``."""
    return f"{value:.3g}"


def _score(entry: RunEntry, experiment: str, metric: str) -> Headline | None:
    """The experiment's ``metric`` in ``entry`` (None: the run does not hold it)."""
    return next((h for h in entry.headlines.get(experiment, []) if h.metric == metric), None)


def _trends(entries: Sequence[RunEntry]) -> list[str]:
    """One captioned trend plot per experiment any run holds (runs oldest first), of the
    first metric of the newest run that holds the experiment."""
    experiments: dict[str, Headline] = {}  # experiment -> its metric, newest run's first
    for entry in entries:
        for experiment, found in entry.headlines.items():
            experiments.setdefault(experiment, found[0])
    oldest_first = list(reversed(entries))
    parts = []
    for experiment, last in experiments.items():
        points = [(entry.name, _score(entry, experiment, last.metric)) for entry in oldest_first]
        caption = html.escape(f"{experiment}: {last.metric}, latest {last.mean:.3f}")
        parts.append(f'<div class="trend">{trend_svg(points)}<small>{caption}</small></div>')
    return parts


def _row(entry: RunEntry) -> str:
    links = " · ".join(
        f'<a href="{quote(entry.name)}/{quote(name)}">{html.escape(name)}</a>'
        for name in entry.links
    )
    if entry.problem is not None:
        cells = [
            html.escape(entry.name),
            entry.started,
            "",
            f"<small>{html.escape(entry.problem)}</small>",
            "",
        ]
    else:
        metrics = "<br>".join(
            f"{html.escape(experiment)}: {html.escape(', '.join(h.text() for h in found))}"
            for experiment, found in entry.headlines.items()
        )
        state = entry.gates.split()[0] if entry.gates else ""
        cells = [
            f"{html.escape(entry.name)}<br><small>{links}</small>", entry.started,
            html.escape(entry.config), f'<span class="{state}">{html.escape(entry.gates)}</span>',
            metrics,
        ]  # fmt: skip
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def render_index(entries: Sequence[RunEntry]) -> str:
    """The index page of ``entries`` (newest first)."""
    header = "".join(
        f"<th>{h}</th>" for h in ("run", "started", "config", "gates", "headline metrics")
    )
    return "\n".join([
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Parity runs</title>",
        f"<style>{STYLE}</style></head><body><h1>Parity runs</h1>",
        f"<p>{len(entries)} runs, newest first. Trends: each experiment's first metric, "
        "mean and 95% interval, oldest run on the left.</p>",
        *_trends(entries),
        f"<table><tr>{header}</tr>",
        *(_row(entry) for entry in entries),
        "</table></body></html>",
    ]) + "\n"  # fmt: skip


def write_index(
    base: Path, keep: int = 0, current: tuple[Path, Mapping[str, Any]] | None = None
) -> Path:
    """Write ``base/index.html`` over the run folders in ``base`` (the newest ``keep`` when
    ``keep`` > 0: those pruning leaves); ``current`` is a run and the summary it just made.
    Replaced atomically, so a reader never sees half a page."""
    runs = parity_runs(base)
    if keep > 0:
        runs = runs[-keep:]
    entries = [
        run_entry(path, current[1] if current and path == current[0] else None)
        for path in reversed(runs)
    ]
    path = base / INDEX
    temp = base / f".{INDEX}-{os.getpid()}"
    temp.write_text(render_index(entries), encoding="utf-8")
    os.replace(temp, path)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_parity_run_finished(
    config: pytest.Config, summary: Mapping[str, Any], run_dir: Path
) -> Generator[None, Any, Any]:
    """A wrapper: once every reporter has written into the run folder (so its report.html
    and summary.md are linked), rewrite the index of the reports folder it is in (a run
    written to ``--parity-report-dir`` is in none)."""
    result = yield
    if is_parity_run(run_dir):
        write_index(run_dir.parent, config.getoption("eval_keep_reports"), (run_dir, summary))
    return result
