"""The metric interface: a per-example scorer plus an optional corpus-level scorer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from parity.config.registry import Registry
from parity.config.suggest import Alias

ExampleScorer = Callable[[str, Sequence[str]], dict[str, float]]
CorpusScorer = Callable[
    [Sequence[str], Sequence[Sequence[str]], Sequence[float | None]], dict[str, float]
]


@dataclass(frozen=True)
class Metric:
    """A named metric.

    ``score`` maps one prediction and its references to named scores (None for a metric
    that exists only over a corpus, such as AUPR). ``corpus`` (optional) computes scores that are not a mean of per-example
    scores (macro F1, AUPR) from every prediction, its references and, for ranking metrics,
    its confidence; without it the corpus score of each name is the mean of the example
    scores. ``settings`` reports what a run must record to be reproducible (model, layer).
    """

    name: str
    score: ExampleScorer | None
    corpus: CorpusScorer | None = None
    reference: str = ""
    outputs: tuple[str, ...] = ()
    settings: Callable[[], dict[str, object]] | None = None
    requires: tuple[tuple[str, str], ...] = ()
    runs_code: bool = False  # executes the prediction: needs the sandbox (or --parity-unsafe-exec)
    # scored by a model the engine calls after the prediction (a judge), not by ``score``
    graded_by_model: bool = False

    def score_example(self, prediction: str, references: Sequence[str]) -> dict[str, float]:
        """The example's scores (``{}`` for a corpus-only metric)."""
        return self.score(prediction, references) if self.score is not None else {}

    def missing_requirement(self) -> str | None:
        """The pip requirement this metric needs and that is not installed, if any."""
        import importlib.util

        for module, requirement in self.requires:
            if importlib.util.find_spec(module) is None:
                return requirement
        return None

    def __post_init__(self) -> None:
        if not self.outputs:
            object.__setattr__(self, "outputs", (self.name,))

    @property
    def is_corpus_level(self) -> bool:
        """True when the metric is not the mean of per-example scores."""
        return self.corpus is not None

    def score_corpus(
        self,
        predictions: Sequence[str],
        references: Sequence[Sequence[str]],
        confidences: Sequence[float | None] | None = None,
    ) -> dict[str, float]:
        """Score a whole corpus, by ``corpus`` if given, else by the mean of example scores."""
        if len(predictions) != len(references):
            raise ValueError(
                f"{self.name}: {len(predictions)} predictions but {len(references)} reference lists"
            )
        if self.corpus is not None or self.score is None:
            if self.corpus is None:
                raise ValueError(f"{self.name} has neither an example nor a corpus scorer")
            confidences = (
                list(confidences) if confidences is not None else [None] * len(predictions)
            )
            return self.corpus(predictions, references, confidences)
        if not predictions:
            return {}
        per_example = [
            self.score_example(p, r) for p, r in zip(predictions, references, strict=False)
        ]
        return {
            key: sum(scores[key] for scores in per_example) / len(per_example)
            for key in per_example[0]
        }


class MetricRegistry(Registry[Metric]):
    """The metric registry, plus families: every name that starts with a family's prefix
    (``judge_correctness``, ``judge_polite``) is one metric of that family, made on first
    use, so a config names a model-graded score and every reader (aggregation, gates,
    comparisons of stored runs) finds it like a registered one."""

    def __init__(self, kind: str, aliases: dict[str, Alias] | None = None) -> None:
        super().__init__(kind, aliases)
        self._families: dict[str, Callable[[str], Metric]] = {}
        self._made: dict[str, Metric] = {}

    def register_family(self, prefix: str, make: Callable[[str], Metric]) -> None:
        """Every name ``prefix<label>`` (a non-empty label) is ``make(name)``."""
        self._families[prefix] = make

    def _member(self, name: str) -> Metric | None:
        if name in self._made:
            return self._made[name]
        for prefix, make in self._families.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                return self._made.setdefault(name, make(name))
        return None

    def get(self, name: str) -> Metric:
        """The registered metric ``name``, or the family member it names."""
        member = None if Registry.__contains__(self, name) else self._member(name)
        return member if member is not None else super().get(name)

    def __contains__(self, name: object) -> bool:
        return Registry.__contains__(self, name) or (
            isinstance(name, str) and self._member(name) is not None
        )


# Other names for a metric, suggested (never accepted) when a config uses them.
METRICS = MetricRegistry("metric", aliases={"em": Alias("exact_match"), "acc": Alias("accuracy")})


def register_metric(metric: Metric) -> Metric:
    """Register ``metric`` under its name and return it."""
    return METRICS.register(metric.name)(metric)
