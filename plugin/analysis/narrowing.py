"""Narrowed runs: ``-k``, ``-m``, ``--deselect``, ``--lf`` or node ids that select only part
of an experiment (or none of a baseline), and what its gates say about it.

A gate of a narrowed experiment would decide on the examples the user happened to select
(``-k q03`` gates on one example), so by default it is reported as not evaluated, with why;
:data:`OPTION` asks for it to be evaluated on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from parity.analysis.aggregation import ExperimentOutcome
from parity.analysis.baselines import BaselineSource

OPTION = "--parity-gate-narrowed"


@dataclass(frozen=True)
class Narrowing:
    """How the run was narrowed (``by``: ``-k``, ``-m and --deselect``...) and how many items
    each experiment of the config has before selection (``totals``)."""

    by: str
    totals: Mapping[str, int]

    def of(self, outcome: ExperimentOutcome) -> str | None:
        """Why ``outcome``'s gates are narrowed, e.g. ``evaluated on 1 of 32 examples: the run
        was narrowed by -k``; None when the run selected all of it (or none)."""
        total = self.totals.get(outcome.experiment.id)
        selected = outcome.expected
        if total is None or selected is None or not 0 < selected < total:
            return None
        repeats = outcome.experiment.repeats
        unit = "examples" if repeats == 1 else f"items (examples x {repeats} repeats)"
        return f"evaluated on {selected} of {total} {unit}: the run was narrowed by {self.by}"

    def deselected(
        self, outcomes: Mapping[str, ExperimentOutcome], source: BaselineSource
    ) -> str | None:
        """``baseline 'X' was deselected by -k`` when ``source`` is an experiment of this run
        (a config's, or a marked test) of which the run selected no item; else None."""
        if source.run_dir is not None:
            return None
        baseline = outcomes.get(source.experiment_id)
        if baseline is not None and baseline.selected:
            return None
        return f"baseline '{source.experiment_id}' was deselected by {self.by}"

    def paired(
        self,
        outcomes: Mapping[str, ExperimentOutcome],
        candidate: ExperimentOutcome,
        source: BaselineSource,
    ) -> str | None:
        """Why a paired gate is narrowed: its candidate is, or its in-run baseline was
        deselected or narrowed; None when neither."""
        reason = self.of(candidate) or self.deselected(outcomes, source)
        if reason is not None or source.run_dir is not None:
            return reason
        baseline = self.of(outcomes[source.experiment_id])
        return f"baseline '{source.experiment_id}' {baseline}" if baseline else None
