"""Collect item properties (from this process or xdist workers) and summarize each experiment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parity.config import Experiment
from parity.results import RESERVED_PROPERTIES
from parity.stats import ci95, describe, mean, std


@dataclass(frozen=True)
class ItemRecord:
    """What one finished item reported through ``user_properties``."""

    example_id: str
    index: int
    scores: Mapping[str, float]
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float | None

    @classmethod
    def from_properties(cls, properties: Iterable[tuple[str, Any]]) -> ItemRecord:
        """Rebuild a record from ``record_property`` pairs."""
        values = dict(properties)
        scores = {
            k: float(v)
            for k, v in values.items()
            if k not in RESERVED_PROPERTIES
            and isinstance(v, (int, float))
            and not isinstance(v, bool)
        }
        return cls(
            example_id=str(values["example_id"]),
            index=int(values["example_index"]),
            scores=scores,
            latency_ms=float(values["latency_ms"]),
            input_tokens=int(values["input_tokens"]),
            output_tokens=int(values["output_tokens"]),
            cost_usd=None if values["cost_usd"] is None else float(values["cost_usd"]),
        )


@dataclass
class ExperimentOutcome:
    """Everything the reports need about one experiment."""

    experiment: Experiment
    records: list[ItemRecord] = field(default_factory=list)
    failed: int = 0
    skipped: int = 0
    skip_reasons: set[str] = field(default_factory=set)

    def sorted_records(self) -> list[ItemRecord]:
        """Records in sample order, so serial and xdist runs sum in the same order."""
        return sorted(self.records, key=lambda r: r.index)

    def summary(self) -> dict[str, Any]:
        """The ScaleBench summary JSON for this experiment, plus intervals and counts."""
        records = self.sorted_records()
        metrics = {}
        for name in self.experiment.score_names():
            values = [r.scores[name] for r in records if name in r.scores]
            block = describe(values)
            low, high = ci95(values)
            # Every registered score is a proportion in [0, 1]; the interval is clipped to it.
            metrics[name] = {**block, "ci95_low": max(0.0, low), "ci95_high": min(1.0, high)}
        costs = [r.cost_usd for r in records if r.cost_usd is not None]
        cost_known = len(costs) == len(records)
        cost = {
            "total_usd": sum(costs) if cost_known else None,
            "mean_usd": mean(costs) if cost_known and costs else None,
            "std_usd": std(costs) if cost_known and costs else None,
            "p50_usd": describe(costs)["p50"] if cost_known and costs else None,
            "p95_usd": describe(costs)["p95"] if cost_known and costs else None,
        }
        if not cost_known:
            cost["note"] = f"no price is known for {self.experiment.model.name}; set model.pricing"
        return {
            "experiment_id": self.experiment.id,
            "model": self.experiment.model.name,
            "mode": self.experiment.model.mode,
            "dataset": self.experiment.dataset.name,
            "task": self.experiment.task,
            "n_examples": len(records),
            "n_failed": self.failed,
            "n_skipped": self.skipped,
            "metrics": metrics,
            "latency_ms": describe([r.latency_ms for r in records]),
            "tokens": {
                "avg_input_tokens": mean([r.input_tokens for r in records]),
                "avg_output_tokens": mean([r.output_tokens for r in records]),
            },
            "cost": cost,
        }


class Aggregator:
    """Receives item reports in any order and groups them by experiment."""

    def __init__(self, experiments: Iterable[Experiment]) -> None:
        self.outcomes = {e.id: ExperimentOutcome(e) for e in experiments}

    def add_report(
        self,
        experiment_id: str,
        outcome: str,
        properties: list[tuple[str, Any]],
        skip_reason: str = "",
    ) -> None:
        """Add one item's call-phase (or skipped setup-phase) report."""
        target = self.outcomes.get(experiment_id)
        if target is None:
            return
        if outcome == "skipped":
            target.skipped += 1
            if skip_reason:
                target.skip_reasons.add(skip_reason)
        elif outcome == "failed" and not any(k == "latency_ms" for k, _ in properties):
            target.failed += 1
        else:
            target.records.append(ItemRecord.from_properties(properties))
            if outcome == "failed":
                target.failed += 1

    def has_data(self) -> bool:
        """True once any item of any experiment has reported."""
        return any(o.records or o.failed or o.skipped for o in self.outcomes.values())
