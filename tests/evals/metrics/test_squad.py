"""Exact match and F1 against hand-computed cases and the official HotpotQA/SQuAD rules."""

import pytest

from parity import score, score_corpus
from parity.evals.metrics.squad import exact_match, normalize_answer, token_f1


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  an   apple, a pear ", "apple pear"),
        ("Theatre", "theatre"),  # 'the' only removed as a whole word
        ("U.S.A.", "usa"),
        ("", ""),
    ],
)
def test_normalize_answer_follows_squad(raw, normalized):
    assert normalize_answer(raw) == normalized


def test_exact_match_is_max_over_references():
    assert score("exact_match", "the Eiffel Tower", ["Louvre", "Eiffel tower."]) == {
        "exact_match": 1.0
    }
    assert score("exact_match", "Eiffel", ["Eiffel Tower"]) == {"exact_match": 0.0}


def test_f1_hand_computed():
    # prediction tokens: [new, york, city]; gold: [york, city, usa] -> 2 common
    # precision 2/3, recall 2/3, f1 = 2/3
    assert score("f1", "New York City", ["York City, USA"])["f1"] == pytest.approx(2 / 3)
    # multiset overlap: pred [a, a, b] normalizes 'a' away (article) -> use non-articles
    # pred [x, x, y], gold [x, y, y] -> common x:1, y:1 = 2; p = 2/3, r = 2/3
    assert token_f1("x x y", "x y y")[0] == pytest.approx(2 / 3)


def test_f1_takes_best_reference():
    result = score("f1", "Barack Obama", ["Obama", "president Barack Obama"])
    # vs 'Obama': p=1/2, r=1 -> 2/3; vs 'president barack obama': p=1, r=2/3 -> 0.8
    assert result["f1"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("yes", "yes", 1.0),
        ("yes", "no", 0.0),
        ("yes it is", "yes", 0.0),  # gold is special and prediction differs -> 0, not 2/4
        ("no", "no answer", 0.0),
        ("noanswer", "noanswer", 1.0),
    ],
)
def test_f1_yes_no_noanswer_as_hotpotqa(prediction, gold, expected):
    assert score("f1", prediction, [gold])["f1"] == expected


def test_a_special_answer_against_another_answer_scores_zero_on_every_part():
    # (f1, precision, recall): all three, not only the F1 the metric reports
    assert token_f1("yes it is", "yes") == (0.0, 0.0, 0.0)
    assert token_f1("noanswer", "paris") == (0.0, 0.0, 0.0)
    assert token_f1("yes", "yes") == (1.0, 1.0, 1.0)


def test_no_overlap_scores_zero_and_empty_references_are_rejected():
    assert score("f1", "Paris", ["London"])["f1"] == 0.0
    for metric in ("f1", "exact_match"):
        with pytest.raises(ValueError, match="reference"):
            score(metric, "Paris", [])
    with pytest.raises(ValueError, match="at least one reference"):
        exact_match("Paris", [])


def test_score_corpus_means_example_scores():
    result = score_corpus("exact_match", ["a cat", "dog", "emu"], [["cat"], ["Dog"], ["ostrich"]])
    assert result == {"exact_match": pytest.approx(2 / 3)}


def test_string_reference_is_accepted():
    assert score("exact_match", "Paris", "paris") == {"exact_match": 1.0}


def test_unknown_metric_suggests_the_closest():
    with pytest.raises(KeyError, match="did you mean 'exact_match'"):
        score("exact_mach", "a", ["a"])
