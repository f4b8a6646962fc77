"""The judge step's parts: a judge's request, its answer read as a grade, and the record
with every judge's grade, usage and text.

The engine sends each request (:meth:`parity.engine.execution.Engine.judge`) through the
same step as a model request: cache, budget, lane pacing, retries and the breaker. A
judgement is one request built from ``values`` (the template's placeholders: ``question``,
``context``, ``answer``, ``reference``); a pairwise judgement would be two, with its answers
in both orders, each sent and read the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from parity.config.judges import JudgeSpec
from parity.engine.pricing import completion_cost
from parity.evals.metrics.judge import SCALES, Grade, UnparsedGrade, parse_grade
from parity.fixtures.providers import ChatRequest, Completion
from parity.prompts import PromptTemplate, load_template
from parity.record.record import JUDGE_STAGE, EvalRecord, StageUsage

ANSWER_SHOWN_CHARS = 2000  # of an unparsable answer, in the item's error


class JudgeError(RuntimeError):
    """A judge's call failed or its answer held no grade: the item fails, naming the judge."""


@dataclass(frozen=True)
class Judgement:
    """One judge's answer to one request, and the grade read from it."""

    judge: JudgeSpec
    completion: Completion
    grade: Grade


def describe(judge: JudgeSpec) -> str:
    """The judge as an error names it: ``judge judge_correctness (local:smollm2, rubric
    correctness, scale pass_fail)``."""
    return (
        f"judge {judge.score_name} ({judge.model.name}, rubric {judge.rubric}, scale {judge.scale})"
    )


def record_values(record: EvalRecord) -> dict[str, str]:
    """A scored record's placeholder values: its question, the context the model saw (the
    compressed one in a compressed experiment), its answer and its references."""
    return {
        "question": record.question,
        "context": record.input_context,
        "answer": record.prediction,
        "reference": "\n".join(record.references),
    }


def judge_request(judge: JudgeSpec, values: Mapping[str, str]) -> ChatRequest:
    """The judge's request: its rubric filled with ``values`` and its scale's instruction
    (where the rubric puts ``{grading}``; a user's rubric without it gets it appended), after
    the rubric's worked examples as earlier turns, each graded on this scale (a small judge
    learns the answer's form from them)."""
    template = load_template(judge.prompt)
    scale = SCALES[judge.scale]
    turns: list[dict[str, str]] = []
    for example in template.examples:
        grade = scale.example_grades[example["verdict"] == "fail"]
        turns += [
            _rendered(judge, template, example)[-1],
            {"role": "assistant", "content": f"{example['reasoning']}\nGRADE: {grade}"},
        ]
    *system, user = _rendered(judge, template, values)
    messages = (*system, *turns, user)
    return ChatRequest(messages=messages, max_tokens=judge.max_tokens, temperature=0.0)


def _rendered(
    judge: JudgeSpec, template: PromptTemplate, values: Mapping[str, str]
) -> list[dict[str, str]]:
    """The rubric rendered for ``values``: its system message (if any), then its user turn
    ending with the scale's instruction."""
    instruction = SCALES[judge.scale].instruction
    messages = template.render({**values, "criterion": judge.criterion, "grading": instruction})
    if "grading" not in template.placeholders:
        last = messages[-1]
        messages[-1] = {**last, "content": f"{last['content']}\n\n{instruction}"}
    return messages


def read_judgement(judge: JudgeSpec, completion: Completion) -> Judgement:
    """The grade of ``completion`` on the judge's scale; :class:`JudgeError` with the
    answer's text when it holds none."""
    try:
        return Judgement(judge, completion, parse_grade(completion.text, SCALES[judge.scale]))
    except UnparsedGrade as exc:
        text = completion.text
        shown = text if len(text) <= ANSWER_SHOWN_CHARS else f"{text[:ANSWER_SHOWN_CHARS]}..."
        raise JudgeError(f"{describe(judge)} gave no grade: {exc}; its answer: {shown!r}") from None


def with_judgements(record: EvalRecord, judgements: Sequence[Judgement]) -> EvalRecord:
    """``record`` with each judge's score, their summed usage as the ``judge`` stage (cost
    None when a judge's price is unknown) and, under ``metadata["judges"]``, each judge's
    model, rubric, scale, grade, reasoning and raw text."""
    if not judgements:
        return record
    completions = [j.completion for j in judgements]
    costs = [completion_cost(j.judge.model, j.completion) for j in judgements]
    usage = StageUsage(
        input_tokens=sum(c.input_tokens for c in completions),
        output_tokens=sum(c.output_tokens for c in completions),
        latency_ms=sum(c.latency_ms for c in completions),
        cost_usd=None if None in costs else math.fsum(c for c in costs if c is not None),
    )
    details = {
        j.judge.score_name: {
            "model": j.judge.model.name,
            "rubric": j.judge.rubric,
            "scale": j.judge.scale,
            "grade": j.grade.grade,
            "reasoning": j.grade.reasoning,
            "raw": j.completion.text,
        }
        for j in judgements
    }
    cached = record.cached and all(bool(c.extra.get("cached")) for c in completions)
    return replace(
        record,
        scores={**record.scores, **{j.judge.score_name: j.grade.score for j in judgements}},
        usage={**record.usage, JUDGE_STAGE: usage},
        metadata={**record.metadata, "cached": cached, "judges": details},
    )
