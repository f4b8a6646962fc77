"""Gates: absolute floors on an experiment's score, and paired gates against a baseline.

- ``thresholds`` with ``threshold_mode: mean`` (default): the mean must reach the floor;
  ``lower_bound``: the lower end of the summary's 95% interval of the mean must (Wilson's
  for 0/1 scores, the Hall-widened t otherwise: ``stats.mean_interval``; inconclusive when
  it straddles the floor, and held to the sample rules below as a paired gate is, counting
  examples for pairs).
- ``judge_calibration.min_kappa``: each calibrated judge's Cohen's kappa against its gold
  labels must reach the floor (``min_kappa[experiment-judge_correctness]``); an undefined
  kappa (every label alike) cannot be evaluated.
- ``max_drop`` (non-inferiority): the lower end of the 95% interval of (candidate −
  baseline) must be above −margin. ``min_gain`` (superiority): above +gain.

A paired gate whose interval straddles its bound fails as *inconclusive*, with the minimum
detectable difference at this n and about how many pairs would decide it. So does one that
has fewer than ``min_pairs`` pairs (default 6; a corpus metric also fewer than its interval's
``interval_min_pairs``, 10), an interval of zero width, or more examples
without a pair (failed, skipped, lost a repeat, missing on either side) than
``max_missing_share`` of them (default 0: a gate decides on the whole sample or not at all).
A gate that cannot be evaluated (no scored items, no baseline scores, no shared examples)
fails the run with its reason, unless ``--parity-allow-skipped-gates`` lets it be skipped. In
a run that evaluated nothing (every item skipped) every gate is unevaluable for that reason:
``--parity-allow-skipped``, which accepts such a run, skips them too, and is the option named.
A gate of a narrowed experiment (``-k``/``-m``/node ids selected part of it, or deselected
its baseline: :mod:`parity.analysis.narrowing`) is not evaluated (skipped, with why) unless
``--parity-gate-narrowed`` asks for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from parity.analysis.aggregation import ExperimentOutcome, count_text
from parity.analysis.narrowing import OPTION as NARROWED_OPTION
from parity.analysis.paired import MetricDelta, PairedComparison, examples_needed
from parity.config.config import Experiment

ALLOW_OPTION = "--parity-allow-skipped-gates"
ALLOW_EMPTY_OPTION = "--parity-allow-skipped"  # accepts a run that evaluated nothing
UNPAIRED_KINDS = ("threshold", "min_kappa")  # gates on the experiment alone, no baseline


@dataclass(frozen=True)
class GateResult:
    """One evaluated gate: ``status`` is passed, failed or skipped; ``verdict`` says why
    (met, not met, non-inferior, inferior, superior, not superior, inconclusive, unevaluable,
    not evaluated: a narrowed run's)."""

    experiment_id: str
    kind: str
    metric: str
    status: str
    message: str
    observed: float | None = None
    limit: float | None = None
    verdict: str = ""
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def name(self) -> str:
        """A stable name, e.g. ``hotpotqa_local::max_drop::f1``."""
        return f"{self.experiment_id}::{self.kind}::{self.metric}"

    @property
    def test_name(self) -> str:
        """The gate's pytest/JUnit test name, e.g. ``max_drop[hotpotqa_local-f1]``."""
        return f"{self.kind}[{self.experiment_id}-{self.metric}]"


def signed(value: float) -> str:
    """A difference with its sign, e.g. ``+0.015`` or ``-0.041``."""
    return f"{value:+.3f}"


def evaluate_gates(
    outcomes: Mapping[str, ExperimentOutcome],
    summaries: Mapping[str, Mapping[str, Any]],
    comparisons: Mapping[str, PairedComparison | str],
    allow_unevaluated: bool = False,
    narrowed: Mapping[str, str] | None = None,
    paired_narrowed: Mapping[str, str] | None = None,
    evaluate_narrowed: bool = False,
    empty_run: bool = False,
    allow_empty: bool = False,
) -> list[GateResult]:
    """Evaluate every threshold and paired gate of every experiment in the run. ``narrowed``
    and ``paired_narrowed`` say, by experiment, why its threshold and its paired gates are
    narrowed: then they are not evaluated, unless ``evaluate_narrowed``. ``empty_run``: the
    run evaluated nothing, which ``allow_empty`` (``--parity-allow-skipped``) accepts."""
    results: list[GateResult] = []
    for experiment_id, outcome in outcomes.items():
        if not outcome.selected:  # not part of this run: its gates are not either
            continue
        experiment = outcome.experiment
        summary = summaries.get(experiment_id)
        for metric, floor in experiment.thresholds.items():
            results.append(_threshold(outcome, summary, metric, floor))
        results += _kappa_gates(outcome, summary)
        for kind, limits in experiment.paired_gates.items():
            comparison = comparisons.get(experiment_id)
            if comparison is None:
                comparison = (
                    "it has no baseline: add 'baseline: <experiment id>' (or "
                    "'baseline: {run: DIR, experiment: ID}'), or pass --parity-baseline-run DIR"
                )
            for metric, limit in limits.items():
                results.append(_paired(experiment, kind, metric, limit, comparison))
    reasons = (narrowed or {}, paired_narrowed or {})
    unevaluable = Unevaluable(allow_unevaluated, empty_run, allow_empty)
    return [
        _settled(g, reasons[g.kind not in UNPAIRED_KINDS].get(g.experiment_id), evaluate_narrowed,
                 unevaluable)
        for g in results
    ]  # fmt: skip


@dataclass(frozen=True)
class Unevaluable:
    """What becomes of a gate that cannot be evaluated: ``allowed`` by
    ``--parity-allow-skipped-gates``; ``empty_run``: the run evaluated nothing, which
    ``allow_empty`` (``--parity-allow-skipped``) accepts."""

    allowed: bool = False
    empty_run: bool = False
    allow_empty: bool = False

    def settle(self, gate: GateResult) -> GateResult:
        """``gate`` skipped or failed, its message naming the one option that applies."""
        problem = f"could not be evaluated: {gate.message}"
        if self.empty_run and self.allow_empty:
            status = "skipped"
            message = (
                f"{problem} (skipped: {ALLOW_EMPTY_OPTION} accepts a run that evaluates nothing)"
            )
        elif self.allowed:
            status, message = "skipped", f"{problem} (skipped: {ALLOW_OPTION} was given)"
        elif self.empty_run:
            status = "failed"
            message = (
                f"{problem}. The run evaluated nothing: pass {ALLOW_EMPTY_OPTION} to accept "
                f"such a run, its gates skipped with it ({ALLOW_OPTION} is for a gate that "
                "cannot be evaluated in a run that evaluated something)"
            )
        else:
            status = "failed"
            message = (
                f"{problem}. A gate that cannot be evaluated fails the run; pass {ALLOW_OPTION} "
                "to let it be skipped"
            )
        return GateResult(
            gate.experiment_id, gate.kind, gate.metric, status, message, limit=gate.limit,
            verdict=gate.verdict,
        )  # fmt: skip


def _settled(
    gate: GateResult, narrowed: str | None, evaluate_narrowed: bool, unevaluable: Unevaluable
) -> GateResult:
    """``gate`` as reported: not evaluated when ``narrowed`` says why its run was narrowed
    (skipped: neither passed nor failed), unless ``evaluate_narrowed`` (then evaluated on the
    selection, saying so); one that cannot be evaluated fails or is skipped."""
    if narrowed is not None and not evaluate_narrowed:
        return GateResult(
            gate.experiment_id, gate.kind, gate.metric, "skipped",
            f"not evaluated: {narrowed} (pass {NARROWED_OPTION} to gate on what was selected)",
            limit=gate.limit, verdict="not evaluated",
        )  # fmt: skip
    if gate.verdict == "unevaluable":
        return unevaluable.settle(gate)
    if narrowed is not None and narrowed not in gate.message:
        return replace(gate, message=f"{gate.message} ({narrowed})")
    return gate


def _threshold(
    outcome: ExperimentOutcome, summary: Mapping[str, Any] | None, metric: str, floor: float
) -> GateResult:
    experiment = outcome.experiment
    stats = (summary or {}).get("metrics", {}).get(metric) or {}
    observed = stats.get("mean")
    if observed is None:
        return GateResult(
            experiment.id, "threshold", metric, "failed", outcome.no_scores_reason(),
            limit=floor, verdict="unevaluable",
        )  # fmt: skip
    sample = _examples(outcome)
    n = sample.n
    if experiment.threshold_mode == "mean":
        passed = observed >= floor
        relation = ">=" if passed else "<"
        return GateResult(
            experiment.id, "threshold", metric, "passed" if passed else "failed",
            f"{metric} = {observed:.4f} {relation} threshold {floor} over {n} examples",
            observed, floor, "met" if passed else "not met",
        )  # fmt: skip
    low, high = stats["ci95_low"], stats["ci95_high"]
    interval = f"{metric} = {observed:.4f} [{low:.4f}, {high:.4f}] over {n} examples"
    unsound = _unsound(experiment, sample, stats.get("interval_min_pairs") or 0)
    if unsound is not None:
        status, verdict, why = "failed", "inconclusive", f"inconclusive: {unsound}"
    elif low == high:
        status, verdict = "failed", "inconclusive"
        why = "inconclusive: the interval has zero width (every example scored alike)"
    elif low >= floor:
        status, verdict, why = "passed", "met", f"lower bound {low:.4f} >= threshold {floor}"
    elif high < floor:
        status, verdict, why = "failed", "not met", f"upper bound {high:.4f} < threshold {floor}"
    else:
        status, verdict = "failed", "inconclusive"
        why = f"the interval straddles threshold {floor}: inconclusive"
        needed = examples_needed(observed, stats.get("std") or 0.0, floor)
        if needed is not None:
            why += f"; about {needed} examples would decide it if the mean stays at {observed:.4f}"
    return GateResult(
        experiment.id, "threshold", metric, status, f"{interval}: {why} (threshold_mode: lower_bound)",
        low, floor, verdict, low, high,
    )  # fmt: skip


def _kappa_gates(outcome: ExperimentOutcome, summary: Mapping[str, Any] | None) -> list[GateResult]:
    """``judge_calibration.min_kappa``: one gate per calibrated judge."""
    calibration = outcome.experiment.judge_calibration
    if calibration is None or calibration.min_kappa is None:
        return []
    floor, gates = calibration.min_kappa, []
    for judge in calibration.judges:
        found = ((summary or {}).get("judge_calibration") or {}).get(judge) or {}
        kappa = found.get("kappa")
        against = f"{judge} vs {calibration.against}"
        if kappa is None:
            why = (
                f"{against}: kappa is undefined (every label alike over {found['n']} items)"
                if found.get("n")
                else outcome.no_scores_reason()
            )
            gates.append(GateResult(outcome.experiment.id, "min_kappa", judge, "failed", why,
                                    limit=floor, verdict="unevaluable"))  # fmt: skip
            continue
        met = kappa >= floor
        gates.append(GateResult(
            outcome.experiment.id, "min_kappa", judge, "passed" if met else "failed",
            f"{against}: Cohen's kappa = {kappa:.4f} {'>=' if met else '<'} min_kappa {floor} "
            f"(agreement {found['agreement']:.4f} over {found['n']} items)",
            kappa, floor, "met" if met else "not met",
        ))  # fmt: skip
    return gates


_OUTCOMES = {
    # kind: (bound's sign, verdict when cleared, verdict when clearly missed, what the limit is)
    "max_drop": (-1.0, "non-inferior", "inferior", "margin"),
    "min_gain": (1.0, "superior", "not superior", "gain"),
}


def _paired(
    experiment: Experiment, kind: str, metric: str, limit: float, comparison: PairedComparison | str
) -> GateResult:
    experiment_id = experiment.id
    if isinstance(comparison, str):
        return GateResult(
            experiment_id, kind, metric, "failed", comparison, limit=limit, verdict="unevaluable"
        )
    delta = comparison.metrics.get(metric)
    if delta is None and (metric in comparison.not_compared or comparison.n_pairs == 0):
        # a metric bug or no pair left: the gate cannot pass, and cannot be skipped either
        why = comparison.not_compared.get(metric) or (
            f"n=0 < min_pairs {experiment.min_pairs}, {comparison.missing_text()}"
        )
        return GateResult(
            experiment_id, kind, metric, "failed", f"{metric} vs {comparison.baseline}: "
            f"inconclusive: {why} ({_OUTCOMES[kind][3]} {limit})", limit=limit,
            verdict="inconclusive",
        )  # fmt: skip
    if delta is None:
        return GateResult(
            experiment_id, kind, metric, "failed",
            f"{metric} was not scored on both sides of the pairs with {comparison.baseline}",
            limit=limit, verdict="unevaluable",
        )  # fmt: skip
    sign, cleared, missed, what = _OUTCOMES[kind]
    bound = sign * limit
    head = (
        f"{metric} {signed(delta.difference)} [{signed(delta.ci_low)}, {signed(delta.ci_high)}] "
        f"vs {comparison.baseline} on {delta.n_pairs} pairs"
    )
    sample = _Sample(delta.n_pairs, comparison.n_examples, len(comparison.unpaired),
                     comparison.missing_share, comparison.missing_text())  # fmt: skip
    unsound = _unsound(experiment, sample, delta.interval_min_pairs)
    if unsound is None and delta.ci_low == delta.ci_high:
        unsound = "the interval has zero width"
    if unsound is not None:
        status, verdict, why = "failed", "inconclusive", f"inconclusive: {unsound} ({what} {limit})"
    elif delta.ci_low > bound:
        status, verdict = "passed", cleared
        why = f"lower bound {signed(delta.ci_low)} > {signed(bound)} -> {cleared} ({what} {limit})"
    elif delta.ci_high <= bound:
        status, verdict = "failed", missed
        why = f"upper bound {signed(delta.ci_high)} <= {signed(bound)} -> {missed} ({what} {limit})"
    else:
        status, verdict = "failed", "inconclusive"
        why = f"the interval straddles {signed(bound)} -> inconclusive ({what} {limit}); " + (
            _undecided(delta, bound)
        )
    return GateResult(
        experiment_id, kind, metric, status, f"{head}: {why}", delta.difference, limit, verdict,
        delta.ci_low, delta.ci_high,
    )  # fmt: skip


@dataclass(frozen=True)
class _Sample:
    """What a gate decides on: ``n`` pairs (a threshold's: scored examples) of the ``total``
    examples set out, ``missing`` (a ``share`` of them) of which have none, for the reasons
    ``why`` counts."""

    n: int
    total: int
    missing: int
    share: float
    why: str
    unit: str = "pair"


def _examples(outcome: ExperimentOutcome) -> _Sample:
    """A threshold's sample: the examples scored, those lost (failed, skipped, lost a
    repeat), the items skipped before they made a record and those never reported (a lost
    worker, an interrupted run)."""
    scored = {r.example_key for r in outcome.records}
    lost = outcome.lost_examples()
    reasons = Counter(lost.values()) + Counter(outcome.unnamed)
    if outcome.missing:
        reasons["never reported"] += outcome.missing
    unknown = sum(outcome.unnamed.values()) + outcome.missing  # lost, examples not known
    missing = len(lost) + unknown
    total = len(scored | set(lost)) + unknown
    return _Sample(len(scored), total, missing, missing / total, count_text(reasons), "score")


def _unsound(experiment: Experiment, sample: _Sample, interval_min_pairs: int) -> str | None:
    """Why a sample cannot decide a gate whatever its interval says, if it cannot: fewer
    than ``min_pairs`` of it (or than its interval is trusted from: a corpus metric's
    ``interval_min_pairs``), or more than ``max_missing_share`` of its examples lost."""
    if sample.n < experiment.min_pairs:
        return f"n={sample.n} < min_pairs {experiment.min_pairs}"
    if sample.n < interval_min_pairs:
        return (
            f"n={sample.n} < {interval_min_pairs}, the fewest {sample.unit}s a corpus metric's "
            "interval is trusted from"
        )
    if sample.share > experiment.max_missing_share:
        return (
            f"{sample.missing} of {sample.total} examples have no {sample.unit} ({sample.why}), "
            f"over max_missing_share {experiment.max_missing_share}: the {sample.unit}s left "
            "may be the easy ones"
        )
    return None


def _undecided(delta: MetricDelta, bound: float) -> str:
    """What an inconclusive paired gate would need: the minimum detectable difference at
    this n (or, when every pair differs alike, that the interval is that of agreeing pairs),
    and how many pairs would decide it."""
    if delta.sd_difference == 0 and not delta.corpus_level:
        text = (
            f"every pair differs by {signed(delta.difference)}, so the interval is that of "
            f"{delta.n_pairs} agreeing pairs"
        )
    else:
        text = (
            f"at n={delta.n_pairs} the minimum detectable difference is "
            f"{delta.minimum_detectable:.3f} (80% power, 95% two-sided)"
        )
    needed = delta.examples_needed(bound)
    if needed is not None:
        return text + (
            f"; about {needed} pairs would decide it if the difference stays at "
            f"{signed(delta.difference)}"
        )
    return text + (
        f"; the observed difference {signed(delta.difference)} is itself past the bound, so "
        "more pairs would not pass it"
    )
