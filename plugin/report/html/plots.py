"""The page's plots from a run's summaries and rows, as :class:`Figure`: an inline SVG, or
the short note that says why a plot has no data in this run (never an empty chart)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from parity.report.html import svg

INVALID = "<invalid>"
CLASSIFICATION_TASKS = ("classification", "multiple_choice")
MAX_LABELS = 15  # a confusion matrix's labels beyond these are counted as OTHER
OTHER = "(other)"


@dataclass(frozen=True)
class Figure:
    """A titled plot: ``svg`` when it has data, else ``note`` says why it is left out (with
    ``svg``, ``note`` says how to read it)."""

    title: str
    svg: str | None = None
    note: str | None = None


def primary_metric(summary: Mapping[str, Any]) -> str | None:
    """The experiment's first metric with a mean (the one its plots show)."""
    for name, stats in summary.get("metrics", {}).items():
        if isinstance(stats, Mapping) and _number(stats.get("mean")):
            return str(name)
    return None


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _label(summary: Mapping[str, Any]) -> str:
    condition = summary.get("condition")
    return (
        f"{summary['experiment_id']} ({condition})" if condition else str(summary["experiment_id"])
    )


def pareto(points: Sequence[svg.Point]) -> list[svg.Point]:
    """``points`` with the Pareto frontier marked: no other point is at least as cheap and
    at least as accurate, and strictly better in one of the two."""

    def dominated(p: svg.Point) -> bool:
        return any(q.x <= p.x and q.y >= p.y and (q.x < p.x or q.y > p.y) for q in points)

    return [svg.Point(p.label, p.x, p.y, p.low, p.high, not dominated(p)) for p in points]


def _groups(
    summaries: Sequence[Mapping[str, Any]],
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Experiments by (dataset, primary metric): only those are on one scale."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for summary in summaries:
        metric = primary_metric(summary)
        if metric is not None:
            groups.setdefault((str(summary.get("dataset")), metric), []).append(summary)
    return groups


def cost_accuracy(summaries: Sequence[Mapping[str, Any]]) -> list[Figure]:
    """Score against cost per query per dataset and metric, the Pareto frontier marked."""
    figures = []
    for (dataset, metric), group in _groups(summaries).items():
        points = []
        for s in group:
            cost = (s.get("tco") or {}).get(
                "cost_per_query_usd", (s.get("cost") or {}).get("mean_usd")
            )
            stats = s["metrics"][metric]
            if _number(cost) and cost > 0:
                points.append(
                    svg.Point(
                        _label(s),
                        cost,
                        stats["mean"],
                        stats.get("ci95_low"),
                        stats.get("ci95_high"),
                    )
                )
        if len(points) >= 2:
            xs = [p.x for p in points]
            chart = svg.scatter(pareto(points), "cost per query (USD)", metric,
                                log_x=max(xs) / min(xs) > 20, frontier=True)  # fmt: skip
            figures.append(Figure(f"{metric} vs cost per query: {dataset}", chart))
    if not figures:
        note = (
            "needs two experiments on one dataset with a known cost per query (set model.pricing)"
        )
        return [Figure("Accuracy vs cost per query", note=note)]
    return figures


def compression_delta(summaries: Sequence[Mapping[str, Any]]) -> Figure:
    """The paired score difference against the compression ratio, per compressed pair."""
    points = []
    metrics = set()
    for s in summaries:
        ratio = ((s.get("measurements") or {}).get("compression_ratio") or {}).get("mean")
        comparison = s.get("comparison") or {}
        deltas = comparison.get("metrics") or {}
        metric = primary_metric(s)
        delta = deltas.get(metric) if metric else None
        if _number(ratio) and delta and _number(delta.get("difference")):
            metrics.add(metric)
            label = f"{s['experiment_id']} vs {comparison.get('baseline')}"
            points.append(
                svg.Point(
                    label, ratio, delta["difference"], delta.get("ci_low"), delta.get("ci_high")
                )
            )
    title = "Score difference vs compression ratio"
    if not points:
        return Figure(title, note="no compressed experiment is paired with a baseline in this run")
    y_label = f"{next(iter(metrics))} difference" if len(metrics) == 1 else "score difference"
    return Figure(
        title,
        svg.scatter(
            points, "compression ratio (compressed / original tokens)", y_label, zero_line=True
        ),
    )


def experiment_bars(summaries: Sequence[Mapping[str, Any]]) -> list[Figure]:
    """Per dataset and metric with several experiments (conditions, models): a bar each,
    with its 95% interval."""
    figures = []
    for (dataset, metric), group in _groups(summaries).items():
        if len(group) < 2:
            continue
        items = [_bar(_label(s), s["metrics"][metric]) for s in group]
        figures.append(
            Figure(
                f"{metric} per experiment and condition: {dataset}",
                svg.bars(items, metric, unit_range=True),
            )
        )
    if not figures:
        return [
            Figure(
                "Per experiment and condition", note="no dataset has two experiments in this run"
            )
        ]
    return figures


def task_bars(summary: Mapping[str, Any]) -> Figure | None:
    """The experiment's primary metric per sub-task, with intervals (None: no sub-tasks)."""
    per_task = summary.get("per_task") or {}
    metric = primary_metric(summary)
    items = [
        _bar(subset, part["metrics"][metric])
        for subset, part in per_task.items()
        if metric and _number((part.get("metrics", {}).get(metric) or {}).get("mean"))
    ]
    if not items:
        return None
    return Figure(f"{metric} per task", svg.bars(items, str(metric), unit_range=True))


def _bar(label: str, stats: Mapping[str, Any]) -> svg.Bar:
    low, high = stats.get("ci95_low"), stats.get("ci95_high")
    return svg.Bar(
        label, stats["mean"], low if _number(low) else None, high if _number(high) else None
    )


def confusion(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Gold label by predicted label (a classification task's rows; None otherwise): the
    :data:`MAX_LABELS` labels most often given or predicted, the rest as ``(other)``."""
    if summary.get("task") not in CLASSIFICATION_TASKS or not rows:
        return None
    pairs = [(str((row.get("gold") or [""])[0]), str(row.get("pred", ""))) for row in rows]
    labels = Counter(label for pair in pairs for label in pair if label != INVALID)
    frequent = [label for label, _ in labels.most_common(MAX_LABELS)]

    def bucket(label: str) -> str:
        return label if label in frequent or label == INVALID else OTHER

    counted = Counter((bucket(g), bucket(p)) for g, p in pairs)
    special = (OTHER, INVALID)
    gold = sorted({g for g, _ in counted}, key=lambda x: (x == OTHER, x))
    # the gold labels in the rows' order first (right answers on the diagonal), then labels
    # only predicted, then (other) and <invalid>
    only_predicted = sorted({p for _, p in counted} - set(gold) - set(special))
    pred = [g for g in gold if g not in special] + only_predicted
    pred += [x for x in special if x in gold or any(p == x for _, p in counted)]
    counts = [[counted.get((g, p), 0) for p in pred] for g in gold]
    aside = [OTHER] if OTHER in gold or OTHER in pred else []
    chart = svg.heatmap(gold, pred, counts, "gold label", "predicted label", aside)
    if not aside:
        return Figure("Confusion matrix", chart)
    pooled = len(labels) - len(frequent)
    note = (
        f"{OTHER} pools the {pooled} labels beyond the {MAX_LABELS} most frequent; its row and "
        f"column are grey, outside the colour scale and the diagonal: {OTHER} → {OTHER} "
        "mixes right and wrong predictions."
    )
    return Figure("Confusion matrix", chart, note)


def distribution(
    values: Sequence[float | None], x_label: str, unit: bool = False, bins: int = 10
) -> str | None:
    """A histogram of ``values`` (``unit``: bins over [0, 1]); None when there are none."""
    finite = [float(v) for v in values if _number(v)]
    if not finite:
        return None
    low, high = (
        (0.0, 1.0) if unit and min(finite) >= 0 and max(finite) <= 1 else (min(finite), max(finite))
    )
    if high <= low:
        low, high = low - 0.5, high + 0.5
    width = (high - low) / bins
    counts = [0] * bins
    for value in finite:
        counts[min(int((value - low) / width), bins - 1)] += 1
    edges = [low + width * i for i in range(bins + 1)]
    return svg.histogram(counts, edges, x_label)


def distributions(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[Figure]:
    """The experiment's score, latency and token histograms from its rows (a plain score
    caption and a note when no metric has a mean: every item failed or was skipped)."""
    metric = primary_metric(summary)
    missing = "no row of this experiment carries it"
    score = (
        (f"{metric} score histogram", f"{metric} per example",
         [(r.get("metrics") or {}).get(metric) for r in rows], True, missing)
        if metric is not None
        else ("Score histogram", "score", [], True,
              "no example was scored (every item failed or was skipped)")
    )  # fmt: skip
    wanted = [
        score,
        ("Latency histogram", "latency (ms)", [r.get("latency_ms") for r in rows], False, missing),
        ("Input token histogram", "input tokens",
         [r.get("input_tokens") for r in rows], False, missing),
        ("Output token histogram", "output tokens",
         [r.get("output_tokens") for r in rows], False, missing),
    ]  # fmt: skip
    figures = []
    for title, x_label, values, unit, note in wanted:
        chart = distribution(values, x_label, unit)
        figures.append(Figure(title, chart, None if chart is not None else note))
    return figures
