"""The metric interface: a per-example scorer plus an optional corpus-level scorer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parity.registry import Registry

ExampleScorer = Callable[[str, Sequence[str]], dict[str, float]]
CorpusScorer = Callable[[Sequence[str], Sequence[Sequence[str]]], dict[str, float]]


@dataclass(frozen=True)
class Metric:
    """A named metric.

    ``score`` maps one prediction and its references to named scores. ``corpus`` (optional)
    computes corpus-level scores that are not a mean of per-example scores; without it the
    corpus score of each name is the mean of the per-example scores.
    """

    name: str
    score: ExampleScorer
    corpus: CorpusScorer | None = None
    reference: str = ""
    outputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.outputs:
            object.__setattr__(self, "outputs", (self.name,))

    def score_corpus(
        self, predictions: Sequence[str], references: Sequence[Sequence[str]]
    ) -> dict[str, float]:
        """Score a whole corpus, by ``corpus`` if given, else by the mean of example scores."""
        if len(predictions) != len(references):
            raise ValueError(
                f"{self.name}: {len(predictions)} predictions but {len(references)} reference lists"
            )
        if self.corpus is not None:
            return self.corpus(predictions, references)
        if not predictions:
            return {}
        per_example = [self.score(p, r) for p, r in zip(predictions, references, strict=False)]
        return {
            key: sum(scores[key] for scores in per_example) / len(per_example)
            for key in per_example[0]
        }


METRICS: Registry[Metric] = Registry("metric")


def register_metric(metric: Metric) -> Metric:
    """Register ``metric`` under its name and return it."""
    return METRICS.register(metric.name)(metric)
