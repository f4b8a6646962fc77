"""Your own classifier as the system under test: Parity samples BANKING77 test questions,
the test returns each predicted intent, and Parity scores, aggregates and gates them.

The candidate (unigram + bigram features) is paired with the baseline (unigrams only) on
the same questions: it passes only if its accuracy is at most 0.10 below the baseline's,
judged on the 95% paired interval.
"""

from __future__ import annotations

import pytest
from banking_classifier import CentroidClassifier

from parity.api import load_dataset


@pytest.fixture(scope="session")
def train_rows() -> list[tuple[str, str]]:
    """BANKING77's training split (the copy that ships with Parity): (text, intent) pairs."""
    examples = load_dataset("banking77", "train", "shipped").examples
    return [(example.question, example.answers[0]) for example in examples]


@pytest.fixture(scope="session")
def classifiers(train_rows: list[tuple[str, str]]) -> dict[str, CentroidClassifier]:
    texts, labels = zip(*train_rows, strict=True)
    return {
        "unigrams": CentroidClassifier(texts, labels, bigrams=False),
        "bigrams": CentroidClassifier(texts, labels, bigrams=True),
    }


@pytest.mark.parity(
    dataset="banking77",
    split="test",
    source="shipped",  # offline: the copy that ships with Parity (omit to try the Hub first)
    num_examples=300,
    metrics=["accuracy", "weighted_f1"],
    thresholds={"accuracy": 0.7, "weighted_f1": 0.7},
    task="intent",
)
@pytest.mark.parametrize(
    "features",
    [
        "unigrams",
        pytest.param(
            "bigrams", marks=pytest.mark.parity(baseline="unigrams", max_drop={"accuracy": 0.10})
        ),
    ],
)
def test_intent(example, classifiers: dict[str, CentroidClassifier], features: str) -> str:
    return classifiers[features].predict(example.question)
