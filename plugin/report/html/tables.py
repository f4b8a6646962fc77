"""The page's tables as escaped HTML: the run's overview, each experiment's metrics with
their intervals, paired verdicts with resource deltas, error classes, gates and TCO."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any


def num(value: Any, digits: int = 3) -> str:
    """A number for a cell ("n/a" for a missing or non-finite one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def money(value: Any) -> str:
    """Dollars, with more digits for a small amount (a cost per query)."""
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.2e}"


def percent(value: Any) -> str:
    """A relative change, e.g. ``-67%``."""
    return "n/a" if not isinstance(value, (int, float)) else f"{value * 100:+.0f}%"


def resource(name: str, value: Any) -> str:
    """A paired resource figure in its unit: dollars, whole milliseconds or tokens."""
    if "cost" in name:
        return money(value)
    return num(value, 0 if name.endswith("_ms") else 1)


def volume(tco: Mapping[str, Any]) -> str:
    """The volume a TCO is computed for, e.g. ``12 months at 10,000 queries/day``."""
    per_day = tco.get("queries_per_day")
    per_day = f"{per_day:,}" if isinstance(per_day, (int, float)) else "n/a"
    return f"{tco.get('months', 'n/a')} months at {per_day} queries/day"


def interval(low: Any, high: Any, signed: bool = False) -> str:
    """``[low, high]`` (signed for a difference)."""
    if not isinstance(low, (int, float)) or not isinstance(high, (int, float)):
        return ""
    return f"[{low:+.3f}, {high:+.3f}]" if signed else f"[{low:.3f}, {high:.3f}]"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    """An HTML table; every cell's text is escaped."""
    klass = f' class="{escape(cls)}"' if cls else ""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def overview(summaries: Sequence[Mapping[str, Any]]) -> str:
    """One row per experiment: setup, counts, first metric with its interval, latency, cost."""
    rows = []
    for s in summaries:
        first: tuple[str, Mapping[str, Any]] = next(iter(s.get("metrics", {}).items()), ("", {}))
        name, stats = first
        latency = s.get("latency_ms") or {}
        tco = s.get("tco") or {}
        rows.append([
            s["experiment_id"], s.get("model", ""), s.get("mode", ""), s.get("condition", ""),
            f"{s.get('dataset', '')} / {s.get('task', '')}", s.get("n_examples", 0),
            f"{s.get('n_failed', 0)} / {s.get('n_skipped', 0)} / {s.get('n_invalid_predictions', 0)}",
            f"{name} {num(stats.get('mean'))} {interval(stats.get('ci95_low'), stats.get('ci95_high'))}",
            f"{num(latency.get('p50'), 0)} / {num(latency.get('p95'), 0)}",
            money(tco.get("cost_per_query_usd")), money(tco.get("total_usd")),
        ])  # fmt: skip
    headers = ["experiment", "model", "mode", "condition", "dataset / task", "n",
               "failed / skipped / invalid", "first metric [95% CI]", "latency p50 / p95 ms",
               "cost / query", "TCO"]  # fmt: skip
    return table(headers, rows)


def metrics(summary: Mapping[str, Any]) -> str:
    """Every metric's mean with its 95% interval and spread; per task below when any."""
    rows = [
        [name, num(stats.get("mean")), interval(stats.get("ci95_low"), stats.get("ci95_high")),
         num(stats.get("std")), num(stats.get("p50")), num(stats.get("p95"))]
        for name, stats in summary.get("metrics", {}).items()
        if isinstance(stats, Mapping)
    ]  # fmt: skip
    for subset, part in (summary.get("per_task") or {}).items():
        for name, stats in part.get("metrics", {}).items():
            rows.append([f"{name} [{subset}] n={part.get('n_examples')}", num(stats.get("mean")),
                         interval(stats.get("ci95_low"), stats.get("ci95_high")),
                         num(stats.get("std")), num(stats.get("p50")), num(stats.get("p95"))])  # fmt: skip
    return table(["metric", "mean", "95% CI", "std", "p50", "p95"], rows)


def resources(summary: Mapping[str, Any]) -> str:
    """Latency, tokens, cost and TCO of one experiment."""
    latency = summary.get("latency_ms") or {}
    tokens = summary.get("tokens") or {}
    cost = summary.get("cost") or {}
    tco = summary.get("tco") or {}
    rows = [
        ["latency ms (mean / p50 / p95)", f"{num(latency.get('mean'), 0)} / {num(latency.get('p50'), 0)} / {num(latency.get('p95'), 0)}"],
        ["tokens per example (in / out)", f"{num(tokens.get('avg_input_tokens'), 1)} / {num(tokens.get('avg_output_tokens'), 1)}"],
        ["cost total / per query", f"{money(cost.get('total_usd'))} / {money(cost.get('mean_usd'))}"],
    ]  # fmt: skip
    for name, stats in (summary.get("measurements") or {}).items():
        rows.append([f"{name} (mean / p50 / p95)",
                     f"{num(stats.get('mean'))} / {num(stats.get('p50'))} / {num(stats.get('p95'))}"])  # fmt: skip
    for stage, block in (summary.get("stages") or {}).items():
        rows.append([f"stage {stage}: latency p50 ms / cost",
                     f"{num(block['latency_ms'].get('p50'), 1)} / {money(block['cost_usd'].get('total'))}"])  # fmt: skip
    if tco:
        rows.append([f"TCO ({volume(tco)})",
                     f"{money(tco.get('total_usd'))} (serving {money(tco.get('serving_usd'))}, "
                     f"training {money(tco.get('training_usd'))})"])  # fmt: skip
    if cost.get("note"):
        rows.append(["note", cost["note"]])
    return table(["", ""], rows, "kv")


def comparison(block: Mapping[str, Any]) -> str:
    """A paired verdict: each metric's difference with its interval and test, its gate
    verdicts, the resource deltas and why pairs are missing."""
    if block.get("unavailable"):
        return f"<p>vs {escape(str(block.get('baseline')))}: no verdict: {escape(str(block['unavailable']))}</p>"
    verdicts = block.get("verdicts") or {}
    rows = [
        [name, num(d.get("baseline")), num(d.get("candidate")), f"{d.get('difference', 0):+.3f}",
         interval(d.get("ci_low"), d.get("ci_high"), signed=True), d.get("test", ""),
         num(d.get("p_value")), verdicts.get(f"max_drop.{name}") or verdicts.get(f"min_gain.{name}") or "no gate"]
        for name, d in (block.get("metrics") or {}).items()
    ]  # fmt: skip
    head = (f"<p>vs <b>{escape(str(block.get('baseline')))}</b>: {num(block.get('n_pairs'), 0)} pairs"
            f" of {num(block.get('n_examples'), 0)}</p>")  # fmt: skip
    html = head + table(
        ["metric", "baseline", "candidate", "difference", "95% CI", "test", "p", "verdict"], rows
    )
    deltas = [[name, resource(name, r.get("baseline")), resource(name, r.get("candidate")), percent(r.get("change"))]
              for name, r in (block.get("resources") or {}).items()]  # fmt: skip
    if deltas:
        html += table(["resource", "baseline", "candidate", "change"], deltas)
    unpaired = block.get("unpaired") or {}
    if unpaired:
        html += table(["example without a pair", "why"], sorted(unpaired.items()))
    for warning in block.get("warnings") or []:
        html += f'<p class="warn">{escape(str(warning))}</p>'
    return html + error_flips(block.get("error_flips"))


def error_classes(counts: Mapping[str, Any] | None) -> str:
    """Error classes and their counts ("" when the summary has none)."""
    if not counts:
        return ""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1] if isinstance(kv[1], int) else 0, kv[0]))
    return table(["error class", "examples"], rows)


def error_flips(flips: Mapping[str, Any] | None) -> str:
    """What the candidate gets wrong that the baseline gets right, and back, by class."""
    if not flips:
        return ""
    rows = []
    for direction, by_class in flips.items():
        for name, entry in (by_class or {}).items():
            count = entry.get("count", "") if isinstance(entry, Mapping) else entry
            examples = entry.get("examples", []) if isinstance(entry, Mapping) else []
            rows.append(
                [direction.replace("_", " "), name, count, ", ".join(map(str, examples[:10]))]
            )
    if not rows:
        return "<p>no example flipped between right and wrong.</p>"
    return table(["flip between right and wrong", "error class", "examples", "ids"], rows)


def gates(
    items: Sequence[Mapping[str, Any]], empty: str = "no gate is configured for this run."
) -> str:
    """Each gate with its status, verdict, observed value and interval (``empty`` when none)."""
    if not items:
        return f"<p>{escape(empty)}</p>"
    rows = [
        [g.get("name", ""), g.get("status", ""), g.get("verdict", ""), num(g.get("observed")),
         num(g.get("limit")), interval(g.get("ci_low"), g.get("ci_high")), g.get("message", "")]
        for g in items
    ]  # fmt: skip
    return table(
        ["gate", "status", "verdict", "observed", "limit", "95% CI", "message"], rows, "gates"
    )


def tco(summaries: Sequence[Mapping[str, Any]]) -> str:
    """Cost per query and total cost of ownership side by side."""
    rows = [
        [s["experiment_id"], money(t.get("cost_per_query_usd")), money(t.get("serving_usd")),
         money(t.get("training_usd")), money(t.get("total_usd")), volume(t)]
        for s in summaries
        if (t := s.get("tco"))
    ]  # fmt: skip
    if not rows:
        return "<p>no experiment has a TCO in this run.</p>"
    return table(["experiment", "cost / query", "serving", "training", "TCO", "volume"], rows)
