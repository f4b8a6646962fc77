"""Metrics against their reference implementations on generated inputs, and hand-computed cases."""

import random

import pytest
from rouge_score import rouge_scorer
from sklearn.metrics import f1_score

from parity import score, score_corpus

LABELS = ["a", "b", "c", "d", "<invalid>"]


@pytest.mark.parametrize("seed", range(20))
def test_macro_and_weighted_f1_equal_scikit_learn(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    y_true = [rng.choice(LABELS[:4]) for _ in range(n)]
    y_pred = [rng.choice(LABELS) for _ in range(n)]
    refs = [[t] for t in y_true]
    assert score_corpus("macro_f1", y_pred, refs)["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro", zero_division=0)
    )
    assert score_corpus("weighted_f1", y_pred, refs)["weighted_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="weighted", zero_division=0)
    )


def test_accuracy_hand_computed():
    assert score_corpus("accuracy", ["a", "b", "<invalid>"], [["a"], ["c"], ["b"]]) == {
        "accuracy": pytest.approx(1 / 3)
    }


WORDS = [
    "the",
    "cat",
    "sat",
    "on",
    "a",
    "mat",
    "while",
    "dogs",
    "were",
    "running",
    "and",
    "jumping",
    "over",
    "fences",
    "quickly",
]


@pytest.mark.parametrize("seed", range(15))
def test_rouge_equals_rouge_score_with_stemming(seed):
    rng = random.Random(seed)
    prediction = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 15)))
    reference = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 15)))
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    expected = scorer.score(reference, prediction)
    for name in ("rouge1", "rouge2", "rougeL"):
        assert score(name, prediction, [reference])[name] == pytest.approx(expected[name].fmeasure)


def test_rouge_takes_the_best_reference():
    best = score("rouge1", "the cat sat", ["dogs run", "the cat sat"])
    assert best == {"rouge1": 1.0}


def test_qa_f1_has_no_yes_no_special_case():
    # HotpotQA's f1 gives 0 here; LongBench's qa_f1 gives token overlap 2/3 (p=1/2, r=1)
    assert score("f1", "yes it is", ["yes"])["f1"] == 0.0
    assert score("qa_f1", "yes it", ["yes"])["qa_f1"] == pytest.approx(2 / 3)


def test_set_metrics_hand_computed():
    result = {}
    for name in ("set_precision", "set_recall", "set_f1", "set_exact_match"):
        result.update(
            score(name, "1. Apples\n2. the Pears; kiwis", ["apples", "pears", "plums", "figs"])
        )
    # predicted {apples, pears, kiwis}, gold {apples, pears, plums, figs}: 2 shared
    assert result["set_precision"] == pytest.approx(2 / 3)
    assert result["set_recall"] == pytest.approx(2 / 4)
    assert result["set_f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert result["set_exact_match"] == 0.0
    assert score("set_exact_match", "b, a", ["A", "B"]) == {"set_exact_match": 1.0}


def test_retrieval_metrics_compare_passage_numbers():
    assert score("retrieval_precision", "Passages 3 and 5", ["3"]) == {"retrieval_precision": 0.5}
    assert score("retrieval_recall", "3, 5", ["3"]) == {"retrieval_recall": 1.0}
    assert score("retrieval_f1", "none", ["3"]) == {"retrieval_f1": 0.0}


def test_cuad_token_f1_and_abstention():
    assert score("token_f1", "Not found.", ["Not found."]) == {"token_f1": 1.0}
    assert score("token_f1", "the supply agreement", ["Not found."]) == {"token_f1": 0.0}
    assert score("token_f1", "Not found.", ["SUPPLY CONTRACT"]) == {"token_f1": 0.0}
    assert score("token_f1", "supply contract no", ["SUPPLY CONTRACT"])[
        "token_f1"
    ] == pytest.approx(0.8)


def test_answer_detection_f1_hand_computed():
    predictions = ["clause", "Not found.", "clause", "Not found."]
    references = [["x"], ["y"], ["Not found."], ["Not found."]]
    result = score_corpus("answer_detection_f1", predictions, references)
    # tp=1, fn=1, fp=1 -> p=r=f1=0.5
    assert result == {
        "answer_detection_precision": 0.5,
        "answer_detection_recall": 0.5,
        "answer_detection_f1": 0.5,
    }


def test_aupr_ranks_by_confidence():
    references = [["alpha beta"], ["gamma delta"], ["Not found."]]
    good_first = score_corpus(
        "aupr", ["alpha beta", "wrong words", "gamma"], references, confidences=[-0.1, -1.0, -0.5]
    )
    # ranked: hit (p=1, r=.5), miss-present (p=.5), miss-absent (p=1/3); monotone precisions [1, .5, 1/3]
    # area = (0.5-0.5)*... only recall steps count: recalls [.5, .5, .5] -> area 0
    assert good_first == {"aupr": 0.0}
    both = score_corpus(
        "aupr", ["alpha beta", "gamma delta"], references[:2], confidences=[-0.2, -0.1]
    )
    # ranked: gamma delta (hit, p=1, r=.5), alpha beta (hit, p=1, r=1) -> area .5 * 1
    assert both == {"aupr": pytest.approx(0.5)}
    worse = score_corpus("aupr", ["nope", "gamma delta"], references[:2], confidences=[-0.1, -0.2])
    # ranked: nope (miss, p=0, r=0), gamma delta (hit, p=.5, r=.5): monotone [.5, .5] -> area .5*.5*... = .25
    assert worse == {"aupr": pytest.approx(0.25)}
