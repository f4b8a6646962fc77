"""Error classes (Baseweight style): one hand case per class, a property over any record, and
the per-experiment counts and per-pair flips they feed into the summaries."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.analysis.aggregation import Aggregator
from parity.analysis.error_classes import (
    ERROR_CLASSES,
    FLIP_EXAMPLES,
    error_class,
    error_counts,
    error_flips,
    primary_score,
)
from parity.analysis.paired import compare
from parity.config.config import parse_config
from parity.evals.tasks.base import INVALID_PREDICTION
from parity.record.record import EvalRecord
from tests.conftest import experiment


def rec(prediction="", gold=("x",), score=0.0, raw=(), error=None, example_id="e", index=0):
    scores = {} if error else {"exact_match": score}
    return EvalRecord(
        "x", example_id, index, "m", prediction=prediction, references=list(gold),
        raw_output=list(raw), scores=scores, error=error,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("record", "task", "expected"),
    [
        (rec(error="APITimeoutError: Request timed out."), "rag_qa", "timeout"),
        (rec(error="ProviderCallError: ReadTimeout (after 3 attempts)"), "code", "timeout"),
        (
            rec(error="no answer from Parity's call process within the request deadline of 30 s"),
            "classification",
            "timeout",
        ),
        (rec(error="ProviderCallError: 401 Unauthorized"), "rag_qa", "error"),
        (
            rec(
                error="CircuitOpenError: the endpoint has been failing for 40 s, over its 30 s "
                "outage tolerance (last error: RequestDeadlineExceeded: request deadline of "
                "5 s); giving up on it for this run"
            ),
            "rag_qa",
            "error",
        ),
        (
            rec(error="CircuitOpenError: the endpoint refused the recovery probe: timed out"),
            "rag_qa",
            "error",
        ),
        (rec(error="APIStatusError: upstream said: request timed out"), "rag_qa", "error"),
        (rec(error="ReadTimeout: the read operation timed out"), "rag_qa", "timeout"),
        (
            rec(error="ProviderCallError: AuthenticationError: 401 (last error: timed out)"),
            "rag_qa",
            "error",
        ),
        (rec(error="ProviderCallError: APITimeoutError: Request timed out."), "rag_qa", "timeout"),
        (rec("Paris", ["Paris"], score=1.0), "rag_qa", None),
        (
            rec(INVALID_PREDICTION, ["card_lost"], raw=["I'm sorry, but I can't help with that."]),
            "classification",
            "refusal",
        ),
        (rec("As an AI, I cannot give legal advice.", ["Not found."]), "extraction", "refusal"),
        (
            rec(INVALID_PREDICTION, ["card_lost"], raw=["card_stolen_or_lost_maybe"]),
            "classification",
            "invalid_label",
        ),
        (
            rec(INVALID_PREDICTION, ["B"], raw=["It is probably the second."]),
            "multiple_choice",
            "invalid_label",
        ),
        (rec("card_arrival", ["card_lost"]), "classification", "wrong_label"),
        (rec("C", ["B"]), "multiple_choice", "wrong_label"),
        (rec("def f(x) return x", ["def f(x): return x"]), "code", "format_error"),
        (rec("", ["def f(x): return x"]), "code", "format_error"),
        (rec("def f(x):\n    return -x", ["def f(x): return x"]), "code", "wrong_label"),
        (rec("", ["3"], raw=["none of them"]), "retrieval", "format_error"),
        (rec("1, 2", ["3"]), "retrieval", "wrong_label"),
        (rec("The Licensee may assign", ["Not found."]), "extraction", "false_positive"),
        (
            rec("Not found.", ["The agreement is governed by Delaware law."]),
            "extraction",
            "missed_clause",
        ),
        (rec("none", ["Delaware"]), "rag_qa", "missed_clause"),
        (
            rec("governed by Delaware law", ["The agreement is governed by Delaware law."]),
            "extraction",
            "partial_span",
        ),
        (rec("in Paris, France", ["Paris"]), "rag_qa", "partial_span"),
        (rec("Rome", ["Paris"]), "rag_qa", "wrong_label"),
        (rec("a dull summary", ["the meeting agreed on a budget"]), "summarization", "wrong_label"),
    ],
)
def test_each_class_by_hand(record, task, expected):
    assert error_class(record, task, ["exact_match"]) == expected


def test_a_refusal_phrase_deep_inside_a_quoted_clause_is_not_a_refusal():
    clause = "The parties agree as follows. " * 8 + "I cannot assign this Agreement."
    record = rec(clause, ["Not found."], raw=[clause])
    assert error_class(record, "extraction") == "false_positive"


def test_the_primary_score_is_the_first_named_score_the_record_has():
    record = EvalRecord("x", "e", 0, "m", prediction="a", references=["b"],
                        scores={"f1": 1.0, "exact_match": 0.0})  # fmt: skip
    assert primary_score(record, ["exact_match", "f1"]) == 0.0
    assert primary_score(record, ["rouge"]) == 1.0  # not carried: the record's first score
    assert error_class(record, "rag_qa", ["f1"]) is None
    # corpus-level metrics only (no per-example score): right when a reference is matched
    assert primary_score(EvalRecord("x", "e", 0, "m", prediction="b", references=["b"])) == 1.0


texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "Not found.", "none", INVALID_PREDICTION, "I cannot do that", "Paris",
                     "def f(x): return x", "1, 2", "in Paris, France"]),
)  # fmt: skip
records = st.builds(
    EvalRecord,
    experiment_id=st.just("x"),
    example_id=st.text(max_size=5),
    example_index=st.integers(0, 10),
    model=st.just("m"),
    prediction=texts,
    references=st.lists(texts, max_size=3),
    raw_output=st.lists(texts, max_size=3),
    scores=st.dictionaries(
        st.sampled_from(["exact_match", "f1", "token_f1"]), st.floats(0.0, 1.0), max_size=3
    ),
    error=st.one_of(st.none(), st.text(max_size=20), st.just("TimeoutError: timed out")),
)
tasks = st.sampled_from(
    ["classification", "multiple_choice", "extraction", "rag_qa", "code", "retrieval",
     "summarization", "my_extension_task"]
)  # fmt: skip


@given(records, tasks, st.lists(st.sampled_from(["exact_match", "f1", "token_f1"]), max_size=2))
def test_every_record_gets_one_class_or_none_and_none_exactly_when_its_primary_score_is_perfect(
    record, task, names
):
    found = error_class(record, task, names)
    assert found is None or found in ERROR_CLASSES
    perfect = not record.error and primary_score(record, names) >= 1.0
    assert (found is None) == perfect


def test_the_summary_counts_every_class_including_failed_items():
    config = parse_config([experiment()], "t.yaml")
    agg = Aggregator(config.experiments)
    rows = [
        ("a", "Paris", ["Paris"], 1.0),
        ("b", "Rome", ["Paris"], 0.0),
        ("c", "none", ["Paris"], 0.0),
        ("d", "in Paris, France", ["Paris"], 0.0),
    ]
    for i, (example_id, pred, gold, em) in enumerate(rows):
        record = EvalRecord("exp_a", example_id, i, "m", prediction=pred, references=gold,
                            scores={"exact_match": em, "f1": em})  # fmt: skip
        agg.add_report("exp_a", "passed", record)
    timed_out = EvalRecord("exp_a", "e", 4, "m", error="APITimeoutError: Request timed out.")
    agg.add_report("exp_a", "failed", timed_out)
    agg.add_report("exp_a", "skipped", EvalRecord("exp_a", "f", 5, "m", skip_reason="no key"))
    summary = agg.outcomes["exp_a"].summary()
    assert summary["error_classes"] == {
        "timeout": 1, "missed_clause": 1, "partial_span": 1, "wrong_label": 1,
    }  # fmt: skip
    assert list(summary["error_classes"]) == [
        c for c in ERROR_CLASSES if c in summary["error_classes"]
    ]


def test_flips_count_by_class_what_one_side_gets_wrong_and_the_other_right():
    exp = parse_config([experiment()], "t.yaml").experiments[0]
    base, cand = [], []
    for i in range(8):  # the baseline is right on all 8; the candidate misses 7 of them
        base.append(rec("Paris", ["Paris"], 1.0, example_id=f"q{i}", index=i))
        cand.append(rec("Rome" if i < 6 else "none", ["Paris"], 0.0, example_id=f"q{i}", index=i))
    cand[7] = rec("Paris", ["Paris"], 1.0, example_id="q7", index=7)
    base.append(rec("Rome", ["Paris"], 0.0, example_id="q8", index=8))  # the reverse flip
    cand.append(rec("Paris", ["Paris"], 1.0, example_id="q8", index=8))
    flips = compare(exp, "base", cand, base).to_dict()["error_flips"]
    assert flips == {
        "candidate_wrong_baseline_right": {
            "missed_clause": {"count": 1, "examples": ["q6"]},
            "wrong_label": {"count": 6, "examples": [f"q{i}" for i in range(FLIP_EXAMPLES)]},
        },
        "baseline_wrong_candidate_right": {"wrong_label": {"count": 1, "examples": ["q8"]}},
    }


def test_an_example_with_repeats_takes_its_most_common_wrong_class():
    groups = [[rec("Rome", ["Paris"]), rec("none", ["Paris"]), rec("Lyon", ["Paris"])]]
    right = [[rec("Paris", ["Paris"], 1.0)]]
    flips = error_flips(["q"], groups, right, "rag_qa")
    assert flips["candidate_wrong_baseline_right"] == {
        "wrong_label": {"count": 1, "examples": ["q"]}
    }
    assert error_counts(groups[0], "rag_qa") == {"missed_clause": 1, "wrong_label": 2}


def test_flip_examples_follow_example_order_whatever_order_records_arrive_in():
    """An xdist run's records arrive out of order: its flips list the same ids as a serial
    run's, in sample order."""
    exp = parse_config([experiment()], "t.yaml").experiments[0]
    wrong = (0, 4, 5, 18, 31, 58)
    base = [rec("Paris", ["Paris"], 1.0, example_id=f"b{i}", index=i) for i in range(60)]
    cand = [
        rec("Rome" if i in wrong else "Paris", ["Paris"], 0.0 if i in wrong else 1.0,
            example_id=f"b{i}", index=i)
        for i in range(60)
    ]  # fmt: skip
    arrival = [cand[i] for i in (0, 4, 18, 58)] + [c for c in cand if c.example_index % 2] + cand
    arrival = list({id(r): r for r in arrival}.values())
    flips = compare(exp, "base", arrival, base[::-1]).to_dict()["error_flips"]
    assert flips["candidate_wrong_baseline_right"]["wrong_label"] == {
        "count": 6,
        "examples": ["b0", "b4", "b5", "b18", "b31"],
    }
