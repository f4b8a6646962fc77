"""A small intent classifier for BANKING77 (the pipeline under test): no model, no training
framework, just word statistics from the training split."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return WORD.findall(text.lower())


class CentroidClassifier:
    """Each label is the tf-idf centroid of its training texts; a text gets the label whose
    centroid is closest by cosine similarity."""

    def __init__(self, texts: Iterable[str], labels: Iterable[str], bigrams: bool = True) -> None:
        self.bigrams = bigrams
        rows = [(self._features(text), label) for text, label in zip(texts, labels, strict=True)]
        document_frequency = Counter(term for features, _ in rows for term in set(features))
        self.idf = {t: math.log(len(rows) / n) + 1.0 for t, n in document_frequency.items()}
        sums: dict[str, Counter[str]] = defaultdict(Counter)
        for features, label in rows:
            sums[label].update(self._weights(features))
        self.centroids = {label: _unit(vector) for label, vector in sums.items()}

    def _features(self, text: str) -> list[str]:
        tokens = words(text)
        if self.bigrams:
            tokens += [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
        return tokens

    def _weights(self, features: list[str]) -> dict[str, float]:
        counts = Counter(features)
        return _unit({t: c * self.idf.get(t, 0.0) for t, c in counts.items()})

    def predict(self, text: str) -> str:
        """The most similar label."""
        query = self._weights(self._features(text))
        return max(
            self.centroids,
            key=lambda label: sum(w * self.centroids[label].get(t, 0.0) for t, w in query.items()),
        )


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / norm for t, v in vector.items()}
