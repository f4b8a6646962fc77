"""The library API: score predictions with the same metric registry the plugin uses.

A score must be a finite number: a metric that returns NaN or ±inf raises
:class:`NonFiniteScore`, which names the metric and the value (in a run, that item fails with
this message; no NaN reaches a summary, an interval or a file).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from parity.errors import ParityError
from parity.evals.metrics import METRICS


class NonFiniteScore(ParityError):
    """A metric returned NaN or ±inf."""


def finite(metric: str, scores: Mapping[str, float]) -> dict[str, float]:
    """``scores`` as returned by ``metric``, once each is checked to be a finite number."""
    for name, value in scores.items():
        try:
            usable = math.isfinite(value)
        except TypeError:
            usable = False
        if not usable:
            raise NonFiniteScore(
                f"metric '{metric}' returned {value!r} for '{name}': a score must be a finite "
                "number (fix the metric, e.g. score 0.0 where it is undefined)"
            )
    return dict(scores)


def score(metric: str, prediction: str, references: Sequence[str] | str) -> dict[str, float]:
    """Score one prediction against its references with a registered metric.

    >>> score("exact_match", "The Eiffel Tower", ["eiffel tower"])
    {'exact_match': 1.0}
    """
    refs = [references] if isinstance(references, str) else list(references)
    return finite(metric, METRICS.get(metric).score_example(prediction, refs))


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
    return finite(metric, METRICS.get(metric).score_corpus(list(predictions), refs, confidences))
