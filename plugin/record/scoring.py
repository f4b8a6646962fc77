"""The library API: score predictions with the same metric registry the plugin uses.

A score must be a finite number within ±``MAX_ABS_SCORE``, and a metric must return every
score it declares: otherwise :class:`NonFiniteScore` names the metric and the value or the
missing score (in a run, that item fails with this message; no NaN reaches a summary, an
interval or a file, and no score is silently left out of a comparison).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from parity.config.errors import ParityError
from parity.evals.metrics import METRICS

# past this, summing or squaring scores for a mean or an interval would overflow a float
MAX_ABS_SCORE = 1e100


class NonFiniteScore(ParityError):
    """A metric returned NaN, ±inf, a value beyond ±``MAX_ABS_SCORE``, or left out a score it
    declares."""


def finite(
    metric: str, scores: Mapping[str, float], declared: Sequence[str] = ()
) -> dict[str, float]:
    """``scores`` as returned by ``metric``, once each is checked to be a finite number within
    ±``MAX_ABS_SCORE`` and every ``declared`` score is checked to be there."""
    for name, value in scores.items():
        try:
            usable = math.isfinite(value) and abs(value) <= MAX_ABS_SCORE
        except TypeError:
            usable = False
        if not usable:
            raise NonFiniteScore(
                f"metric '{metric}' returned {value!r} for '{name}': a score must be a finite "
                f"number within ±{MAX_ABS_SCORE:g} (fix the metric, e.g. score 0.0 where it is "
                "undefined)"
            )
    missing = [name for name in declared if name not in scores]
    if missing:
        raise NonFiniteScore(
            f"metric '{metric}' returned no {', '.join(map(repr, missing))} score (it returned "
            f"{sorted(scores)}): a metric returns every score it declares in its outputs, for "
            "every example (score 0.0 where it is undefined)"
        )
    return dict(scores)


def per_example_outputs(metric: str) -> tuple[str, ...]:
    """The scores ``metric`` must return for each example: its outputs, or none for a
    corpus-level metric (it scores at aggregation)."""
    definition = METRICS.get(metric)
    return () if definition.is_corpus_level else definition.outputs


def score(metric: str, prediction: str, references: Sequence[str] | str) -> dict[str, float]:
    """Score one prediction against its references with a registered metric.

    >>> score("exact_match", "The Eiffel Tower", ["eiffel tower"])
    {'exact_match': 1.0}
    """
    refs = [references] if isinstance(references, str) else list(references)
    scores = METRICS.get(metric).score_example(prediction, refs)
    return finite(metric, scores, per_example_outputs(metric))


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
    definition = METRICS.get(metric)
    scores = definition.score_corpus(list(predictions), refs, confidences)
    return finite(metric, scores, definition.outputs)
