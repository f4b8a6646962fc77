"""Two stored runs compared (``python -m parity compare RUN_A RUN_B``): per experiment both
ran, each metric's mean and 95% interval in A and in B, the paired comparison of B's
examples with A's (Parity's own paired statistics over the examples both runs share: B is
the candidate, A the baseline), and the examples that flipped on the primary score.

The primary score is the experiment's first item-level score that every row of both runs
has (``exact_match`` for ``[exact_match, f1]``); an example is right when it scores at least
``RIGHT`` there (a 0/1 score: 1), averaged over repeats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from parity.analysis.baselines import CONTENT_KEY, MAY_DIFFER, MUST_MATCH
from parity.analysis.paired import MetricDelta, PairedComparison, compare
from parity.analysis.verdicts import verdict_line
from parity.config.config import DatasetConfig, Experiment
from parity.config.model_config import ModelConfig
from parity.evals.metrics import METRICS
from parity.record.record import EvalRecord
from parity.report.stored_runs import StoredRun, load_records

RIGHT = 0.5  # a primary score at least this counts as right
REGRESSED, IMPROVED, UNCLEAR = "regressed", "improved", "no clear change"


@dataclass(frozen=True)
class MetricChange:
    """One score of one experiment in both runs: each run's summary statistics (``mean``,
    ``ci95_low``, ``ci95_high``) and the paired difference B − A (None: not paired)."""

    metric: str
    a: Mapping[str, Any]
    b: Mapping[str, Any]
    paired: MetricDelta | None

    @property
    def status(self) -> str:
        """``regressed`` or ``improved`` when the paired interval excludes 0, else
        ``no clear change`` (also when the score could not be paired)."""
        if self.paired is None:
            return UNCLEAR
        if self.paired.ci_high < 0:
            return REGRESSED
        if self.paired.ci_low > 0:
            return IMPROVED
        return UNCLEAR


@dataclass(frozen=True)
class Flip:
    """A flipped example: its gold answers and each run's prediction and primary score."""

    gold: list[str]
    a: str
    b: str
    score_a: float
    score_b: float


@dataclass(frozen=True)
class ExperimentDiff:
    """One experiment both runs evaluated, compared."""

    experiment_id: str
    changes: list[MetricChange]
    comparison: PairedComparison | None
    primary: str | None
    right_to_wrong: list[str]  # right in A, wrong in B
    wrong_to_right: list[str]  # wrong in A, right in B
    flipped: Mapping[str, Flip]  # each flipped example's answers
    why_not_paired: str | None = None
    setup_changes: list[str] = field(default_factory=list)  # what differs in the setups

    @property
    def verdict(self) -> str:
        """The paired verdict line of B against A (as the terminal prints a pair's)."""
        return verdict_line(
            self.comparison or self.why_not_paired or "not compared",
            f"{self.experiment_id} (B)", f"{self.experiment_id} (A)", [],
        )  # fmt: skip


@dataclass(frozen=True)
class RunDiff:
    """Run B against run A: the experiments both hold, and those only one holds."""

    a: StoredRun
    b: StoredRun
    experiments: list[ExperimentDiff]
    only_a: list[str]
    only_b: list[str]

    def regressions(self) -> list[tuple[str, MetricChange]]:
        """Every (experiment, score) whose paired interval lies below 0."""
        return [(e.experiment_id, c) for e in self.experiments for c in e.changes
                if c.status == REGRESSED]  # fmt: skip

    def improvements(self) -> list[tuple[str, MetricChange]]:
        """Every (experiment, score) whose paired interval lies above 0."""
        return [(e.experiment_id, c) for e in self.experiments for c in e.changes
                if c.status == IMPROVED]  # fmt: skip


def diff_runs(a: StoredRun, b: StoredRun, flip_score: str | None = None) -> RunDiff:
    """Compare run ``b`` with run ``a`` (reads both runs' raw rows of shared experiments);
    examples flip on ``flip_score`` where every row of an experiment has it, else on the
    primary score."""
    a_ids, b_ids = a.experiments, b.experiments
    shared = [experiment_id for experiment_id in b_ids if experiment_id in a_ids]
    return RunDiff(
        a=a,
        b=b,
        experiments=[_diff_experiment(a, b, e, flip_score) for e in shared],
        only_a=[experiment_id for experiment_id in a_ids if experiment_id not in b_ids],
        only_b=[experiment_id for experiment_id in b_ids if experiment_id not in a_ids],
    )


def _diff_experiment(
    a: StoredRun, b: StoredRun, experiment_id: str, flip_score: str | None
) -> ExperimentDiff:
    summary_a, summary_b = a.experiments[experiment_id], b.experiments[experiment_id]
    records_a, records_b = load_records(a, experiment_id), load_records(b, experiment_id)
    metrics = _shared_metrics(summary_a, summary_b)
    comparison: PairedComparison | None = None
    why = None
    if not metrics:
        why = "the runs share no metric Parity knows"
    elif not records_a or not records_b:
        why = f"run {'A' if not records_a else 'B'} holds no scored rows of it"
    else:
        experiment = _experiment(experiment_id, summary_b, metrics)
        comparison = compare(experiment, f"{experiment_id} @ A", records_b, records_a)
        if comparison.n_pairs == 0:
            why, comparison = "no example was scored in both runs", None
    metrics_a, metrics_b = summary_a.get("metrics", {}), summary_b.get("metrics", {})
    changes = [
        MetricChange(name, metrics_a[name], stats,
                     comparison.metrics.get(name) if comparison else None)
        for name, stats in metrics_b.items()
        if name in metrics_a
    ]  # fmt: skip
    primary = _primary(metrics, records_a, records_b, flip_score)
    worse, better = _flips(primary, records_a, records_b) if primary else ([], [])
    flipped = _flip_rows(primary, [*worse, *better], records_a, records_b) if primary else {}
    return ExperimentDiff(
        experiment_id, changes, comparison, primary, worse, better, flipped, why,
        setup_changes(summary_a, summary_b),
    )  # fmt: skip


def setup_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """What differs between the two runs' setups of an experiment: what a stored baseline
    may differ in (prompt template, model, options), then what makes scores incomparable
    (dataset, sample, rows' content, task, metric settings)."""
    setup_a, setup_b = a.get("setup") or {}, b.get("setup") or {}
    labels = {"prompt": "prompt", **MAY_DIFFER, **{key: key.replace("_", " ") for key in MUST_MATCH},
              CONTENT_KEY: "dataset content"}  # fmt: skip
    changes = []
    for key, label in labels.items():
        before, after = setup_a.get(key), setup_b.get(key)
        if key not in setup_a or key not in setup_b or before == after:
            continue
        if isinstance(before, Mapping) and isinstance(after, Mapping):  # only the keys that differ
            changes += [
                f"{label} {name}: {_short(before.get(name))} → {_short(after.get(name))}"
                for name in dict.fromkeys([*before, *after])
                if before.get(name) != after.get(name)
            ]
        else:
            changes.append(f"{label}: {_short(before)} → {_short(after)}")
    return changes


def _short(value: Any) -> str:
    """A setup value for one line: a hash cut to 12 characters."""
    text = str(value)
    return f"{text[:12]}…" if len(text) == 64 and text.isalnum() else text


def _metric_names(summary: Mapping[str, Any]) -> list[str]:
    """The experiment's metrics: its ``setup``'s, else the scores its summary names."""
    setup = summary.get("setup") or {}
    return list(setup.get("metrics") or summary.get("metrics") or [])


def _shared_metrics(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[str, ...]:
    """The metrics both runs computed for the experiment and this Parity knows, in B's order."""
    in_a = set(_metric_names(a))
    return tuple(name for name in _metric_names(b) if name in in_a and name in METRICS)


def _experiment(
    experiment_id: str, summary: Mapping[str, Any], metrics: Sequence[str]
) -> Experiment:
    """The experiment as far as the paired comparison reads it (its id and metrics)."""
    model = str(summary.get("model", ""))
    provider, _, name = model.partition(":")
    return Experiment(
        id=experiment_id,
        model=ModelConfig(name=model, provider=provider, model=name),
        dataset=DatasetConfig(name=str(summary.get("dataset", ""))),
        task=str(summary.get("task", "")),
        prompt=str((summary.get("setup") or {}).get("prompt", "")),
        metrics=tuple(metrics),
    )


def _primary(
    metrics: Sequence[str],
    a: Sequence[EvalRecord],
    b: Sequence[EvalRecord],
    chosen: str | None = None,
) -> str | None:
    """``chosen`` when every row of both runs has it, else the first item-level score every
    row of both runs has."""
    if chosen is not None and all(chosen in record.scores for record in (*a, *b)):
        return chosen
    for name in metrics:
        metric = METRICS.get(name)
        if metric.is_corpus_level:
            continue
        for output in metric.outputs:
            if all(output in record.scores for record in (*a, *b)):
                return output
    return None


def _example_scores(output: str, records: Sequence[EvalRecord]) -> dict[str, float]:
    """Each example's ``output`` score, averaged over its repeats."""
    scores: dict[str, list[float]] = {}
    for record in records:
        scores.setdefault(record.example_key, []).append(record.scores[output])
    return {key: sum(values) / len(values) for key, values in scores.items()}


def _flips(
    output: str, a: Sequence[EvalRecord], b: Sequence[EvalRecord]
) -> tuple[list[str], list[str]]:
    """The examples right in A and wrong in B, and those wrong in A and right in B."""
    scores_a, scores_b = _example_scores(output, a), _example_scores(output, b)
    shared = [key for key in scores_a if key in scores_b]
    worse = [k for k in shared if scores_a[k] >= RIGHT > scores_b[k]]
    better = [k for k in shared if scores_b[k] >= RIGHT > scores_a[k]]
    return sorted(worse), sorted(better)


def _flip_rows(
    output: str, keys: Sequence[str], a: Sequence[EvalRecord], b: Sequence[EvalRecord]
) -> dict[str, Flip]:
    """Each flipped example's gold answers and both runs' first prediction."""
    first_a = {r.example_key: r for r in reversed(a)}
    first_b = {r.example_key: r for r in reversed(b)}
    scores_a, scores_b = _example_scores(output, a), _example_scores(output, b)
    return {
        key: Flip(
            list(first_b[key].references),
            first_a[key].prediction,
            first_b[key].prediction,
            scores_a[key],
            scores_b[key],
        )
        for key in keys
    }
