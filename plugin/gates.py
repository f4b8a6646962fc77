"""Regression gates: absolute floors on an experiment's mean, and drops against a baseline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from parity.aggregation import ExperimentOutcome


@dataclass(frozen=True)
class GateResult:
    """One evaluated gate: ``status`` is passed, failed or skipped."""

    experiment_id: str
    kind: str
    metric: str
    status: str
    message: str
    observed: float | None = None
    limit: float | None = None

    @property
    def name(self) -> str:
        """A stable test-case name, e.g. ``hotpotqa_local::threshold::f1``."""
        return f"{self.experiment_id}::{self.kind}::{self.metric}"

    @property
    def test_name(self) -> str:
        """The gate's pytest/JUnit test name, e.g. ``threshold[hotpotqa_local-f1]``."""
        return f"{self.kind}[{self.experiment_id}-{self.metric}]"


def evaluate_gates(outcomes: Mapping[str, ExperimentOutcome]) -> list[GateResult]:
    """Evaluate every threshold and baseline comparison of every experiment."""
    results: list[GateResult] = []
    for outcome in outcomes.values():
        experiment = outcome.experiment
        for metric, floor in experiment.thresholds.items():
            results.append(_threshold(outcome, metric, floor))
        if experiment.baseline:
            baseline = outcomes[experiment.baseline]
            for metric, max_drop in experiment.max_drop.items():
                results.append(_baseline(outcome, baseline, metric, max_drop))
    return results


def _threshold(outcome: ExperimentOutcome, metric: str, floor: float) -> GateResult:
    experiment_id = outcome.experiment.id
    observed = outcome.metric_value(metric)
    if observed is None:
        return GateResult(
            experiment_id,
            "threshold",
            metric,
            "skipped",
            f"no scored items for {experiment_id}",
            limit=floor,
        )
    passed = observed >= floor
    relation = ">=" if passed else "<"
    return GateResult(
        experiment_id,
        "threshold",
        metric,
        "passed" if passed else "failed",
        f"{metric} = {observed:.4f} {relation} threshold {floor} over {len(outcome.records)} examples",
        observed,
        floor,
    )


def _baseline(
    candidate: ExperimentOutcome, baseline: ExperimentOutcome, metric: str, max_drop: float
) -> GateResult:
    experiment_id = candidate.experiment.id
    common = {r.example_id for r in candidate.records} & {r.example_id for r in baseline.records}
    cand = candidate.metric_value(metric, common) if common else None
    base = baseline.metric_value(metric, common) if common else None
    if cand is None or base is None:
        return GateResult(
            experiment_id,
            "baseline",
            metric,
            "skipped",
            f"no examples scored by both {experiment_id} and baseline {baseline.experiment.id}",
            limit=max_drop,
        )
    drop = base - cand
    passed = drop <= max_drop
    relation = "<=" if passed else ">"
    return GateResult(
        experiment_id,
        "baseline",
        metric,
        "passed" if passed else "failed",
        f"{metric} drop vs {baseline.experiment.id} = {drop:+.4f} {relation} max_drop {max_drop} "
        f"on {len(common)} shared examples",
        drop,
        max_drop,
    )
