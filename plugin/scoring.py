"""The library API: score predictions with the same metric registry the plugin uses."""

from __future__ import annotations

from collections.abc import Sequence

from parity.evals.metrics import METRICS


def score(metric: str, prediction: str, references: Sequence[str] | str) -> dict[str, float]:
    """Score one prediction against its references with a registered metric.

    >>> score("exact_match", "The Eiffel Tower", ["eiffel tower"])
    {'exact_match': 1.0}
    """
    refs = [references] if isinstance(references, str) else list(references)
    return METRICS.get(metric).score_example(prediction, refs)


def score_corpus(
    metric: str,
    predictions: Sequence[str],
    references_per_example: Sequence[Sequence[str] | str],
    confidences: Sequence[float | None] | None = None,
) -> dict[str, float]:
    """Score a corpus: corpus-level metrics use their own definition, others the mean.

    ``confidences`` (one per prediction, e.g. mean token log-probability) rank answers for
    ``aupr``; other metrics ignore them.
    """
    refs = [[r] if isinstance(r, str) else list(r) for r in references_per_example]
    return METRICS.get(metric).score_corpus(list(predictions), refs, confidences)
