"""``judge``: a model grades each answer by a rubric, on one of three scales.

The engine sends the judge's request after the prediction (:mod:`parity.engine.judging`);
this module holds what a grade means. Each judge of an experiment is one score,
``judge_<label>`` (``judge_correctness``, ``judge_faithfulness``), normalised to [0, 1] so
that it averages, gets an interval and gates like any other proportion:

- ``pass_fail``: ``GRADE: C`` (or PASS) is 1, ``GRADE: I`` (or FAIL) is 0;
- ``likert5``: ``GRADE: n`` for n in 1..5 is (n - 1) / 4, so 1 -> 0.0, 3 -> 0.5, 5 -> 1.0;
- ``score``: ``GRADE: x`` for x in [0, 1] is x itself.

The judge answers with its reasoning first and the grade on its last ``GRADE:`` line; an
answer with no such line, or a grade off its scale, is no grade (:class:`UnparsedGrade`),
never a silent 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parity.evals.metrics.base import METRICS, Metric

JUDGE_PREFIX = "judge_"
_GRADE = re.compile(r"GRADE\s*[:=]\s*\**\s*([A-Za-z]+|[-+]?\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class Scale:
    """How a judge grades: the instruction its prompt ends with, and grade -> [0, 1]."""

    name: str
    instruction: str
    example_grades: tuple[str, str]  # what a rubric's worked example that passes / fails shows
    grades: dict[str, float] | None = None  # a closed set of grades (pass_fail)
    low: float = 0.0  # a numeric scale's range, mapped linearly onto [0, 1]
    high: float = 1.0
    whole: bool = False  # grades are whole numbers (likert5)

    def normalise(self, grade: str) -> float | None:
        """The [0, 1] score of ``grade`` as written, or None when it is off this scale."""
        if self.grades is not None:
            return self.grades.get(grade.upper())
        try:
            value = float(grade)
        except ValueError:
            return None
        if not self.low <= value <= self.high or (self.whole and not value.is_integer()):
            return None
        return (value - self.low) / (self.high - self.low)


SCALES = {
    "pass_fail": Scale(
        "pass_fail",
        "End your answer with a line that reads GRADE: C if it passes, or GRADE: I if it does not.",
        example_grades=("C", "I"),
        grades={"C": 1.0, "PASS": 1.0, "CORRECT": 1.0, "I": 0.0, "FAIL": 0.0, "INCORRECT": 0.0},
    ),
    "likert5": Scale(
        "likert5",
        "End your answer with a line that reads GRADE: n, where n is a whole number from 1 "
        "(worst) to 5 (best).",
        example_grades=("5", "1"),
        low=1.0,
        high=5.0,
        whole=True,
    ),
    "score": Scale(
        "score",
        "End your answer with a line that reads GRADE: x, where x is a number from 0.0 "
        "(worst) to 1.0 (best).",
        example_grades=("1.0", "0.0"),
    ),
}


@dataclass(frozen=True)
class Grade:
    """A parsed judge answer: the grade as written, its [0, 1] score and the reasoning
    before it."""

    grade: str
    score: float
    reasoning: str


class UnparsedGrade(ValueError):
    """The judge's answer holds no grade on its scale."""


def parse_grade(text: str, scale: Scale) -> Grade:
    """The last ``GRADE:`` of ``text`` on ``scale``; :class:`UnparsedGrade` when there is
    none or it is off the scale."""
    found = list(_GRADE.finditer(text))
    if not found:
        raise UnparsedGrade(f"no 'GRADE:' line ({scale.name}: {scale.instruction})")
    last = found[-1]
    score = scale.normalise(last.group(1))
    if score is None:
        raise UnparsedGrade(f"GRADE: {last.group(1)} is not on the {scale.name} scale")
    return Grade(last.group(1), score, text[: last.start()].strip())


def judge_metric(name: str) -> Metric:
    """The metric of one judge's score ``judge_<label>``: a per-example proportion that
    the engine's judge step writes (``score`` is never called)."""
    return Metric(name=name, score=None, reference="LLM judge", graded_by_model=True)


METRICS.register_family(JUDGE_PREFIX, judge_metric)
