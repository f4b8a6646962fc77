"""Group the selected cases of each experiment into batches ("chunks").

A chunk is computed together, on first use, by whichever process runs its first item. The
same function runs in the xdist controller (to schedule whole chunks onto one worker) and in
every worker (to know what to compute), so each example is computed exactly once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from parity.cases import EvalCase
from parity.config import Experiment
from parity.fixtures.providers import PROVIDERS

MIN_AUTO_CHUNK = 8


def concurrency_of(experiment: Experiment) -> int:
    """Requests in flight for this experiment: ``max_concurrency`` or the provider default."""
    options = experiment.model.options
    return int(
        options.get("max_concurrency", PROVIDERS.get(experiment.model.provider).default_concurrency)
    )


def chunk_size(experiment: Experiment, selected: int, workers: int, requested: int) -> int:
    """Cases per chunk: ``requested`` if set, else 4x the concurrency (at least 8), split
    evenly across ``workers`` so that every xdist worker gets a share of each experiment."""
    if requested > 0:
        return requested
    size = max(MIN_AUTO_CHUNK, 4 * concurrency_of(experiment))
    if workers > 1:
        size = min(size, math.ceil(selected / workers))
    return max(1, size)


def assign_chunks(cases: Sequence[EvalCase], workers: int, requested: int = 0) -> dict[str, str]:
    """Map each case id to its chunk key ``{experiment_id}#{n}``, in the given order."""
    by_experiment: dict[str, list[EvalCase]] = {}
    for case in cases:
        by_experiment.setdefault(case.experiment.id, []).append(case)
    chunks: dict[str, str] = {}
    for experiment_id, members in by_experiment.items():
        size = chunk_size(members[0].experiment, len(members), workers, requested)
        for position, case in enumerate(members):
            chunks[case.id] = f"{experiment_id}#{position // size}"
    return chunks
