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


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("\u201cSupply Agreement\u201d", "Supply Agreement", 1.0),  # curly quotes are stripped
        ("the Supply Agreement", "Supply Agreement", 0.8),  # articles are kept
        ("Agreement (the \u201cContract\u201d)", "agreement the contract", 1.0),
        ("Clause not found here", "Not found.", pytest.approx(2 * 0.5 * 1.0 / 1.5)),
        ("Acme-Corp", "AcmeCorp", 1.0),  # "-" is not a word character
        ("caf\u00e9 d\u00e9j\u00e0", "CAF\u00c9 D\u00c9J\u00c0", 1.0),  # \\w is Unicode
    ],
)
def test_cuad_token_f1_follows_the_baseweight_normalization(prediction, gold, expected):
    assert score("token_f1", prediction, [gold])["token_f1"] == expected


def test_cuad_token_f1_matches_the_stated_rule_on_generated_cases():
    """500 random cases against a direct transcription of the rule (lowercase, strip
    [^\\w\\s], whitespace split, multiset-overlap F1)."""
    import random
    import re
    from collections import Counter

    def rule(pred, gold):
        p = re.sub(r"[^\w\s]", "", pred.lower()).split()
        g = re.sub(r"[^\w\s]", "", gold.lower()).split()
        if not p or not g:
            return float(p == g)
        same = sum((Counter(p) & Counter(g)).values())
        return 0.0 if not same else 2 * same / (len(p) + len(g))

    rng = random.Random(3)
    words = [
        "The",
        "a",
        "Supply",
        "agreement,",
        "\u201cTerm\u201d",
        "not",
        "found.",
        "caf\u00e9",
        "-",
        "30%",
    ]
    for _ in range(500):
        pred = " ".join(rng.choices(words, k=rng.randint(0, 6)))
        gold = " ".join(rng.choices(words, k=rng.randint(1, 6)))
        assert score("token_f1", pred, [gold])["token_f1"] == pytest.approx(rule(pred, gold))


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
    # curve from (r=0, p=1): hit (r=.5, p=1), miss (r=.5, p=.5), miss (r=.5, p=1/3)
    # area = .5 * (1 + 1) / 2; flat recall steps add nothing
    assert good_first == {"aupr": pytest.approx(0.5)}
    both = score_corpus(
        "aupr", ["alpha beta", "gamma delta"], references[:2], confidences=[-0.2, -0.1]
    )
    # (0, 1) -> gamma delta (r=.5, p=1) -> alpha beta (r=1, p=1): area 1
    assert both == {"aupr": pytest.approx(1.0)}
    worse = score_corpus("aupr", ["nope", "gamma delta"], references[:2], confidences=[-0.1, -0.2])
    # (0, 1) -> nope (r=0, p=0) -> gamma delta (r=.5, p=.5); monotone [1, .5, .5]: area .25
    assert worse == {"aupr": pytest.approx(0.25)}


def test_aupr_of_one_correct_answer_is_one():
    """The review's repro: CUAD's curve starts at (recall 0, precision 1)."""
    assert score_corpus("aupr", ["Acme Corp"], [["Acme Corp"]], confidences=[-0.1]) == {"aupr": 1.0}


def test_aupr_hits_use_cuad_jaccard():
    from parity.evals.metrics.cuad import jaccard

    assert jaccard("Acme Corp.", "acme corp") == 1.0
    assert jaccard("Acme/Corp", "acme corp") == 1.0
    assert jaccard("the Acme Corp", "Acme Corp") == pytest.approx(2 / 3)
