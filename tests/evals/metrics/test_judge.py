"""The judge metric's scales: a grade read from a judge's answer, normalised to [0, 1]."""

from __future__ import annotations

import pytest

from parity.evals.metrics import METRICS
from parity.evals.metrics.judge import SCALES, UnparsedGrade, parse_grade


@pytest.mark.parametrize(
    ("scale", "text", "grade", "score"),
    [
        ("pass_fail", "Names the city.\nGRADE: C", "C", 1.0),
        ("pass_fail", "Wrong city.\ngrade: i", "i", 0.0),
        ("pass_fail", "GRADE: I at first... on reflection\nGRADE: PASS", "PASS", 1.0),
        ("likert5", "Fluent, a little long.\nGRADE: 4", "4", 0.75),
        ("likert5", "Poor.\nGRADE: **1**", "1", 0.0),
        ("likert5", "GRADE: 3", "3", 0.5),
        ("score", "Mostly supported.\nGRADE: 0.8", "0.8", 0.8),
        ("score", "GRADE= 1", "1", 1.0),
    ],
)
def test_a_grade_on_each_scale(scale, text, grade, score):
    parsed = parse_grade(text, SCALES[scale])
    assert (parsed.grade, parsed.score) == (grade, score)
    assert parsed.reasoning == text[: text.rfind(text.split("\n")[-1])].strip()


@pytest.mark.parametrize(
    ("scale", "text", "why"),
    [
        ("pass_fail", "The answer is correct.", "no 'GRADE:' line"),
        ("pass_fail", "GRADE: 1", "GRADE: 1 is not on the pass_fail scale"),
        ("likert5", "GRADE: 6", "GRADE: 6 is not on the likert5 scale"),
        ("likert5", "GRADE: 3.5", "GRADE: 3.5 is not on the likert5 scale"),
        ("score", "GRADE: 1.2", "GRADE: 1.2 is not on the score scale"),
        ("score", "GRADE: C", "GRADE: C is not on the score scale"),
    ],
)
def test_no_grade_is_an_error_never_a_zero(scale, text, why):
    with pytest.raises(UnparsedGrade, match=why):
        parse_grade(text, SCALES[scale])


def test_every_judge_score_name_is_a_model_graded_metric():
    metric = METRICS.get("judge_polite")
    assert metric.graded_by_model and metric.outputs == ("judge_polite",)
    assert not metric.is_corpus_level
    assert "judge_" not in METRICS and "judge" not in METRICS
    assert "judge_polite" not in METRICS.names()  # made on use, never suggested
