"""Collect item properties (from this process or xdist workers) and summarize each experiment."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.analysis.calibration import calibration_block
from parity.analysis.error_classes import error_counts
from parity.analysis.failures import failure_entries
from parity.analysis.stats import (
    CORPUS_MIN_PAIRS,
    describe,
    jackknife_interval,
    mean,
    mean_interval,
    percentile,
    std,
)
from parity.config.config import Experiment, decoding
from parity.evals.metrics import METRICS
from parity.evals.tasks.base import INVALID_PREDICTION
from parity.record.record import EvalRecord

EMPTY_STATS = ("mean", "std", "p50", "p95", "ci95_low", "ci95_high")
LOWEST_SHOWN = 5
LOWEST_TEXT_CHARS = 300  # of a prediction or raw output in the lowest-scoring examples
LOST_REPEAT = "lost a repeat"  # why an example that kept only some repeats has no pair


def shown_text(text: str) -> str:
    """``text`` for the lowest-scoring examples: past :data:`LOWEST_TEXT_CHARS` characters
    cut, saying how long it was (the raw row keeps it whole)."""
    if len(text) <= LOWEST_TEXT_CHARS:
        return text
    return f"{text[:LOWEST_TEXT_CHARS]}... [cut: {len(text)} characters; the raw row holds all]"


def count_text(reasons: Mapping[str, int]) -> str:
    """Counted reasons, in order of the reason: ``1 failed, 2 skipped``."""
    return ", ".join(f"{count} {why}" for why, count in sorted(reasons.items()))


def corpus_value(name: str, output: str, records: Sequence[EvalRecord]) -> float:
    """A corpus-level metric's value over ``records``."""
    metric = METRICS.get(name)
    scores = metric.score_corpus(
        [r.prediction for r in records],
        [list(r.references) for r in records],
        [r.confidence for r in records],
    )
    return scores[output]


def _corpus_interval(name: str, output: str, records: Sequence[EvalRecord]) -> tuple[float, float]:
    """The jackknife t interval of a corpus metric over items (``stats.jackknife_interval``),
    the interval its paired difference gets too."""
    low, high, _ = jackknife_interval(
        len(records), lambda idx: corpus_value(name, output, [records[i] for i in idx])
    )
    return low, high


def score_block(experiment: Experiment, records: Sequence[EvalRecord]) -> dict[str, dict[str, Any]]:
    """Per score name: mean/std/p50/p95 and a 95% interval of the mean chosen by the data
    (``stats.mean_interval``: Wilson's for 0/1 scores, the skewness-widened t otherwise);
    corpus metrics: value + jackknife interval, trusted from ``interval_min_pairs`` items."""
    metrics: dict[str, dict[str, Any]] = {}
    for name in experiment.metrics:
        metric = METRICS.get(name)
        for output in metric.outputs:
            if not records:  # nothing was scored: no value, rather than a misleading 0.0
                metrics[output] = dict.fromkeys(EMPTY_STATS)
                continue
            if metric.is_corpus_level:
                value = corpus_value(name, output, records)
                low, high = _corpus_interval(name, output, records)
                metrics[output] = {"mean": value, "std": None, "p50": None, "p95": None,
                                   "ci95_low": low, "ci95_high": high, "corpus_level": True,
                                   "interval_min_pairs": CORPUS_MIN_PAIRS}  # fmt: skip
                continue
            values = [r.scores[output] for r in records if output in r.scores]
            within: float | None = None
            if experiment.repeats > 1:  # the interval is between examples: one mean each
                values, within = _example_means(output, records)
            low, high, _ = mean_interval(values)  # the interval a lower_bound gate decides on
            # Scores that all lie in [0, 1] are proportions: their interval is clipped to it,
            # and ci_clipped says when that moved an end. Other scores (an extension metric's
            # negative or 0-100 values) keep their interval as computed.
            bounded = all(0.0 <= v <= 1.0 for v in values)
            metrics[output] = {
                **describe(values),
                "ci95_low": max(0.0, low) if bounded else low,
                "ci95_high": min(1.0, high) if bounded else high,
                "ci_clipped": bounded and (low < 0.0 or high > 1.0),
            }
            if within is not None:
                metrics[output]["within_example_std"] = within
    return metrics


def measurement_block(records: Sequence[EvalRecord]) -> dict[str, dict[str, Any]]:
    """Per measurement (``compression_ratio``, ``original_tokens``, ...): mean, std, p50 and
    p95 over the records that carry it, and how many do; ``tokens_unit`` when those records
    counted tokens in one (``smollm2 tokens``, ``o200k_base``, ``scaledown api``, ``words``;
    several units, should counts differ, are listed with ", "). Reported, never gated or
    averaged into a score."""
    names = dict.fromkeys(name for r in records for name in r.measurements)
    block: dict[str, dict[str, Any]] = {}
    for name in names:
        carrying = [r for r in records if name in r.measurements]
        block[name] = {**describe([r.measurements[name] for r in carrying]), "n": len(carrying)}
        units = sorted({r.metadata["tokens_unit"] for r in carrying if "tokens_unit" in r.metadata})
        if units:
            block[name]["tokens_unit"] = ", ".join(units)
    return block


def stage_block(records: Sequence[EvalRecord]) -> dict[str, dict[str, Any]]:
    """Per usage stage, when there is more than the model call (a compressor, a marked test's
    own code): its latency (mean, p50, p95) and cost (total, mean per example; None when a
    price is unknown), so the overhead of a stage reads apart from the model's."""
    stages = dict.fromkeys(stage for r in records for stage in r.usage)
    if len(stages) < 2:
        return {}
    block: dict[str, dict[str, Any]] = {}
    for stage in stages:
        used = [r.usage[stage] for r in records if stage in r.usage]
        latency = [u.latency_ms for u in used]
        costs = [u.cost_usd for u in used]
        known = [c for c in costs if c is not None]
        priced = len(known) == len(costs)
        block[stage] = {
            "n": len(used),
            "latency_ms": {
                "mean": mean(latency),
                "p50": percentile(latency, 50),
                "p95": percentile(latency, 95),
            },
            "cost_usd": {
                "total": math.fsum(known) if priced else None,
                "mean": mean(known) if priced else None,
            },
        }
    return block


def _example_means(output: str, records: Sequence[EvalRecord]) -> tuple[list[float], float]:
    """Each example's mean score over its repeats, and the mean within-example std (the
    spread of repeated answers, reported apart from the between-example interval)."""
    groups: dict[str, list[float]] = {}
    for record in records:
        if output in record.scores:
            groups.setdefault(record.example_key, []).append(record.scores[output])
    return [mean(g) for g in groups.values()], mean([std(g) for g in groups.values()])


def resampling_spread(
    experiment: Experiment, records: Sequence[EvalRecord]
) -> dict[str, dict[str, float]]:
    """The Baseweight benchmark's ``n_eval_seeds``: each score over that many seeded
    resamples (with replacement) of the evaluated examples, as mean and std across seeds.
    A resampling spread, not a confidence interval."""
    seeds = experiment.n_eval_seeds
    spread: dict[str, dict[str, float]] = {}
    if not seeds or not records:
        return spread
    import numpy as np

    draws = [
        np.random.default_rng(seed).integers(0, len(records), len(records)) for seed in range(seeds)
    ]
    for name in experiment.metrics:
        metric = METRICS.get(name)
        for output in metric.outputs:
            values = []
            for draw in draws:
                sample = [records[int(i)] for i in draw]
                if metric.is_corpus_level:
                    values.append(corpus_value(name, output, sample))
                else:
                    values.append(mean([r.scores[output] for r in sample if output in r.scores]))
            spread[output] = {"mean": mean(values), "std": std(values), "n_seeds": seeds}
    return spread


def lowest_scoring(experiment: Experiment, records: Sequence[EvalRecord]) -> list[dict[str, Any]]:
    """The examples with the lowest first per-example score: id, score, prediction, gold, and
    the model's raw text when the prediction was invalid (why, without opening the cache)."""
    output = next(
        (o for o in experiment.score_names() if any(o in r.scores for r in records[:1])), None
    )
    if output is None:
        return []
    ranked = heapq.nsmallest(  # the few lowest, without sorting every record
        LOWEST_SHOWN,
        (r for r in records if output in r.scores),
        key=lambda r: (r.scores[output], r.example_index, r.repeat),
    )
    rows = []
    for record in ranked[:LOWEST_SHOWN]:
        row: dict[str, Any] = {
            "id": record.example_key,
            "metric": output,
            "score": record.scores[output],
            "prediction": shown_text(record.prediction),
            "gold": list(record.references),
        }
        if record.repeat:
            row["repeat"] = record.repeat
        if record.prediction == INVALID_PREDICTION:
            row["raw_output"] = shown_text("\n---\n".join(record.raw_output))
        rows.append(row)
    return rows


@dataclass
class ExperimentOutcome:
    """Everything the reports need about one experiment."""

    experiment: Experiment
    records: list[EvalRecord] = field(default_factory=list)
    failed: int = 0
    skipped: int = 0
    skip_reasons: set[str] = field(default_factory=set)
    reported: int = 0  # items that reported at all
    expected: int | None = None  # items selected for the run (None: not known)
    lost: dict[str, str] = field(default_factory=dict)  # example -> failed / skipped, unscored
    unnamed: dict[str, int] = field(default_factory=dict)  # outcome -> items with no record
    errors: list[EvalRecord] = field(default_factory=list)  # failed with an error, unscored

    def lost_examples(self) -> dict[str, str]:
        """The examples not scored whole, by what happened to them: failed or skipped (no
        scored record), or :data:`LOST_REPEAT` (with ``repeats``, some scored and some not):
        the pairs a comparison with this experiment is missing."""
        scored = {r.example_key for r in self.records}
        return {key: LOST_REPEAT if key in scored else why for key, why in self.lost.items()}

    def paired_records(self) -> list[EvalRecord]:
        """The records a comparison pairs: those of examples that kept every repeat (one that
        lost a repeat is a missing pair, not a pair of fewer repeats)."""
        return [r for r in self.records if r.example_key not in self.lost]

    @property
    def missing(self) -> int:
        """Selected items that never reported (a lost xdist worker, an interrupted run)."""
        return max(0, (self.expected or 0) - self.reported)

    @property
    def every_item_named(self) -> bool:
        """Whether every selected item reported with its example (the selection is known,
        none never reported, none skipped before it made a record): then an example this
        experiment has no trace of was not selected for it (``-k``), rather than lost."""
        return self.expected is not None and not self.missing and not self.unnamed

    @property
    def selected(self) -> bool:
        """Whether the run selected any item of this experiment (``-k``/``-m`` may not)."""
        return bool(self.expected) if self.expected is not None else self.reported > 0

    def no_scores_reason(self) -> str:
        """Why the experiment has no scored item (deselected, skipped, failed)."""
        experiment_id = self.experiment.id
        if not self.reported and not self.missing:
            return f"no item of {experiment_id} was selected in this run (-k/-m deselected it)"
        if self.skip_reasons:
            reasons = "; ".join(sorted(self.skip_reasons))
            return f"no item of {experiment_id} was scored ({self.skipped} skipped: {reasons})"
        return (
            f"no item of {experiment_id} was scored ({self.failed} failed, {self.missing} missing)"
        )

    def sorted_records(self) -> list[EvalRecord]:
        """Records in sample order, so serial and xdist runs sum in the same order."""
        return sorted(self.records, key=lambda r: (r.example_index, r.subset or "", r.repeat))

    def metric_value(self, output: str, example_ids: set[str] | None = None) -> float | None:
        """The experiment's value of one score (mean, or corpus value), optionally on a subset."""
        records = [
            r for r in self.sorted_records() if example_ids is None or r.example_id in example_ids
        ]
        for name in self.experiment.metrics:
            metric = METRICS.get(name)
            if output in metric.outputs:
                if not records:
                    return None
                if metric.is_corpus_level:
                    return corpus_value(name, output, records)
                values = [r.scores[output] for r in records if output in r.scores]
                return mean(values) if values else None
        return None

    def summary(self, setup: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ScaleBench summary JSON for this experiment, plus intervals, counts, the
        lowest-scoring examples and (given) the ``setup`` a stored-run baseline is checked by."""
        records = self.sorted_records()
        costs = [r.cost_usd for r in records if r.cost_usd is not None]
        cost_known = len(costs) == len(records) and bool(costs)
        cost: dict[str, Any] = {
            "total_usd": sum(costs) if cost_known else None,
            "mean_usd": mean(costs) if cost_known else None,
            "std_usd": std(costs) if cost_known else None,
            "p50_usd": percentile(costs, 50) if cost_known else None,
            "p95_usd": percentile(costs, 95) if cost_known else None,
        }
        if records and not cost_known:
            cost["note"] = f"no price is known for {self.experiment.model.name}; set model.pricing"
        summary: dict[str, Any] = {
            "experiment_id": self.experiment.id,
            "model": self.experiment.model.name,
            "mode": self.experiment.model.mode,
            "dataset": self.experiment.dataset.name,
            "task": self.experiment.task,
            "n_examples": len(records),
            "n_failed": self.failed,
            "n_skipped": self.skipped,
            "n_invalid_predictions": sum(r.prediction == INVALID_PREDICTION for r in records),
            "n_truncated_inputs": sum(r.truncated for r in records),
            "metrics": score_block(self.experiment, records),
            "latency_ms": describe([r.latency_ms for r in records])
            if records
            else dict.fromkeys(("mean", "std", "p50", "p95")),
            "tokens": {
                "avg_input_tokens": mean([r.input_tokens for r in records]) if records else None,
                "avg_output_tokens": mean([r.output_tokens for r in records]) if records else None,
            },
            "cost": cost,
            "skip_reasons": sorted(self.skip_reasons),
        }
        measurements = measurement_block(records)
        if measurements:
            summary["measurements"] = measurements
        stages = stage_block(records)
        if stages:
            summary["stages"] = stages
        if self.experiment.judge_calibration is not None:
            summary["judge_calibration"] = calibration_block(
                self.experiment.judge_calibration, records
            )
        if self.experiment.condition:
            summary["condition"] = self.experiment.condition
        held = decoding(self.experiment)
        if held:
            summary["decoding"] = held
        if self.experiment.repeats > 1:
            summary["repeats"] = self.experiment.repeats
        spread = resampling_spread(self.experiment, records)
        if spread:
            summary["resampling_spread"] = spread
        summary["lowest_scoring"] = lowest_scoring(self.experiment, records)
        summary["error_classes"] = error_counts(
            [*records, *self.errors], self.experiment.task, self.experiment.score_names()
        )
        summary["failures"], unlisted = failure_entries(self.errors)
        if unlisted:
            summary["n_failures_not_listed"] = unlisted
        if setup is not None:
            summary["setup"] = setup
        if self.missing:
            summary["n_missing"] = self.missing
        settings = {
            name: recorder()
            for name in self.experiment.metrics
            if (recorder := METRICS.get(name).settings) is not None
        }
        if settings:
            summary["metric_settings"] = settings
        subsets = sorted({r.subset for r in records if r.subset})
        if subsets:
            summary["per_task"] = {
                subset: {
                    "n_examples": len(part),
                    "metrics": score_block(self.experiment, part),
                }
                for subset in subsets
                if (part := [r for r in records if r.subset == subset])
            }
        return summary


class Aggregator:
    """Receives item reports in any order and groups them by experiment."""

    def __init__(self, experiments: Iterable[Experiment]) -> None:
        self.outcomes: dict[str, ExperimentOutcome] = {}
        self.add(experiments)

    def add(self, experiments: Iterable[Experiment]) -> None:
        """Group reports of ``experiments`` too (a config's, or marked tests' as found)."""
        for experiment in experiments:
            self.outcomes.setdefault(experiment.id, ExperimentOutcome(experiment))

    def add_report(
        self,
        experiment_id: str,
        outcome: str,
        record: EvalRecord | None,
        skip_reason: str = "",
    ) -> None:
        """Add one item's call-phase (or skipped setup-phase) report and its record."""
        target = self.outcomes.get(experiment_id)
        if target is None:
            return
        target.reported += 1
        if record is None:  # skipped at setup (collection): the example is not known here
            target.unnamed[outcome] = target.unnamed.get(outcome, 0) + 1
        elif outcome == "skipped" or not record.finished:
            target.lost[record.example_key] = "skipped" if outcome == "skipped" else "failed"
        if outcome == "skipped":
            target.skipped += 1
            if skip_reason:
                target.skip_reasons.add(skip_reason)
        elif record is None or not record.finished:
            target.failed += 1
            if record is not None and record.error:
                target.errors.append(record.compact())
        else:
            target.records.append(record.compact())
            if outcome == "failed":  # scored, but below an item-level floor
                target.failed += 1

    def expect(self, experiment_ids: Iterable[str]) -> None:
        """Record which items the run selected (one id per item), to count the missing."""
        counts: dict[str, int] = {}
        for experiment_id in experiment_ids:
            counts[experiment_id] = counts.get(experiment_id, 0) + 1
        for experiment_id, outcome in self.outcomes.items():
            outcome.expected = counts.get(experiment_id, 0)

    def has_data(self) -> bool:
        """True once any item of any experiment has reported."""
        return any(o.reported or o.missing for o in self.outcomes.values())
