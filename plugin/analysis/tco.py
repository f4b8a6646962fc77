"""Cost per query and total cost of ownership, side by side for every experiment.

As the Baseweight benchmark reports them: the measured cost per query (API tokens at list
price; local models' compute time, not their wall time, at a compute-hour price), the
serving cost of a configured volume over a number of months, plus what training the model
cost (LoRA conditions).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DAYS_PER_MONTH = 365 / 12


@dataclass(frozen=True)
class TcoSettings:
    """The volume TCO is computed for (``tco:`` in the config)."""

    queries_per_day: int = 10_000
    months: int = 12

    @property
    def queries(self) -> float:
        """Queries over the whole period."""
        return self.queries_per_day * DAYS_PER_MONTH * self.months


def training_block(adapter: str | None, price_per_hour: float | None) -> dict[str, Any] | None:
    """What training an experiment's adapter took, from the ``training.json`` beside it."""
    if not adapter:
        return None
    path = Path(adapter) / "training.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text(encoding="utf-8"))
    hours = float(record.get("gpu_hours") or 0.0) + float(record.get("cpu_hours") or 0.0)
    return {
        "wall_s": record.get("wall_s"),
        "gpu_hours": record.get("gpu_hours"),
        "cpu_hours": record.get("cpu_hours"),
        "rows": record.get("rows"),
        "cost_usd": None if price_per_hour is None else hours * price_per_hour,
    }


def tco_block(summary: Mapping[str, Any], settings: TcoSettings) -> dict[str, Any]:
    """An experiment's cost per query and TCO (None where no price is known)."""
    per_query = summary["cost"].get("mean_usd")
    training = (summary.get("training") or {}).get("cost_usd") or 0.0
    serving = None if per_query is None else per_query * settings.queries
    return {
        "queries_per_day": settings.queries_per_day,
        "months": settings.months,
        "cost_per_query_usd": per_query,
        "serving_usd": serving,
        "training_usd": training,
        "total_usd": None if serving is None else serving + training,
    }


def _money(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def render_tco(summaries: Sequence[Mapping[str, Any]], settings: TcoSettings) -> list[str]:
    """The side-by-side table: score, cost per query, p50/p95 latency and TCO."""
    rows = [s for s in summaries if s.get("n_examples") and "tco" in s]
    if not rows:
        return []
    header = (
        f"cost and TCO ({settings.months} months at {settings.queries_per_day:,} queries/day, "
        "training included):"
    )
    width = max(len(s["experiment_id"]) for s in rows)
    lines = [header]
    for summary in rows:
        name, stats = next(iter(summary["metrics"].items()))
        score = "n/a" if stats["mean"] is None else f"{stats['mean']:.3f}"
        tco = summary["tco"]
        per_query = tco["cost_per_query_usd"]
        latency = summary["latency_ms"]
        lines.append(
            f"  {summary['experiment_id']:<{width}}  {name} {score}  "
            f"{'n/a' if per_query is None else f'${per_query:.1e}'}/query  "
            f"p50 {latency['p50']:.0f} ms  p95 {latency['p95']:.0f} ms  "
            f"TCO {_money(tco['total_usd'])}"
        )
    return lines
