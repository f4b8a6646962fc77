"""The shared precision/recall/F1 arithmetic, at its edges: nothing shared, nothing predicted."""

import pytest

from parity import score
from parity.evals.metrics.overlap import f_measure, token_prf


def test_f_measure_of_zero_precision_and_recall_is_zero():
    assert f_measure(0.0, 0.0) == 0.0
    assert f_measure(0.5, 1.0) == pytest.approx(2 / 3)


@pytest.mark.parametrize("prediction", [[], ["cat"]])
def test_nothing_shared_scores_zero_on_every_part(prediction):
    # an empty prediction (zero tokens) never divides by its length
    assert token_prf(prediction, ["dog"]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("prediction", ["", "the", "a an the"])
def test_an_empty_or_article_only_prediction_scores_zero(prediction):
    # normalization leaves no token at all: F1 0.0, not a ZeroDivisionError
    assert score("f1", prediction, ["Paris"]) == {"f1": 0.0}
    assert score("exact_match", prediction, ["Paris"]) == {"exact_match": 0.0}
