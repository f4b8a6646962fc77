"""Judge metrics and judge calibration in an eval config: what is accepted, what is refused
and the fix each refusal gives."""

from __future__ import annotations

import pytest

from parity.config.config import parse_config
from parity.config.errors import ConfigError
from parity.engine.judging import judge_request


def experiment(metrics, **extra):
    return [{"id": "e", "model": {"name": "local:smollm2"}, "dataset": {"name": "hotpotqa"},
             "task": {"name": "rag_qa"}, "metrics": metrics, **extra}]  # fmt: skip


def parsed(metrics, **extra):
    return parse_config(experiment(metrics, **extra), "e.yaml").experiments[0]


def refused(metrics, **extra) -> str:
    with pytest.raises(ConfigError) as caught:
        parsed(metrics, **extra)
    return str(caught.value)


def test_judges_of_any_provider_with_shipped_custom_and_file_rubrics(tmp_path):
    own = tmp_path / "strict.yaml"
    own.write_text("user: 'Q: {question} A: {answer} R: {reference}'\n")
    found = parsed([
        "f1",
        {"name": "judge", "model": "openai:gpt-4o-mini", "rubric": "correctness"},
        {"name": "judge", "model": {"name": "openai-compatible:q", "base_url": "http://h/v1"},
         "rubric": "faithfulness", "scale": "likert5"},
        {"name": "judge", "model": "hf:org/m", "rubric": "Is the answer polite?", "as": "polite",
         "scale": "score"},
        {"name": "judge", "model": "local:smollm2", "rubric": {"text": "Is it short?"}},
        {"name": "judge", "model": "local:smollm2", "rubric": str(own)},
    ])  # fmt: skip
    assert found.metrics == ("f1", "judge_correctness", "judge_faithfulness", "judge_polite",
                             "judge_custom", "judge_strict")  # fmt: skip
    assert [j.model.provider for j in found.judges] == [
        "openai", "openai-compatible", "hf", "local", "local"]  # fmt: skip
    assert found.judges[1].model.options == {"base_url": "http://h/v1"}
    values = {"question": "Q?", "context": "C", "answer": "A", "reference": "R"}
    polite = judge_request(found.judges[2], values).messages[0]["content"]
    assert "criterion: Is the answer polite?" in polite and polite.endswith("(best).")
    mine = judge_request(found.judges[4], values).messages
    assert mine[0]["content"].startswith("Q: Q? A: A R: R\n\nEnd your answer with a line")


@pytest.mark.parametrize(
    ("metrics", "extra", "says"),
    [
        (["judge"], {}, "'judge' needs a judge model and a rubric"),
        (["judge_correctness"], {}, "'judge_correctness' needs a judge model and a rubric"),
        ([{"name": "judge", "model": "local:smollm2", "rubric": "corectness"}], {},
         "did you mean 'correctness'?"),
        ([{"name": "judge", "model": "nope:x", "rubric": "correctness"}], {},
         "unknown provider 'nope'"),
        ([{"name": "judge", "model": "local:smollm2", "rubric": "correctness", "scale": "1-5"}],
         {}, "is not one of pass_fail, likert5, score"),
        ([{"name": "judge", "model": "local:smollm2", "rubric": "correctness"},
          {"name": "judge", "model": "hf:m", "rubric": "correctness"}], {},
         "two metrics make the score 'judge_correctness'"),
        ([{"name": "judge", "model": "local:smollm2", "rubric": "mine.yaml"}], {},
         "rubric file mine.yaml does not exist"),
        (["exact_match"], {"judge_calibration": {"against": "exact_match"}},
         "judge_calibration needs a judge among the metrics"),
        (["exact_match", {"name": "judge", "model": "local:smollm2", "rubric": "correctness"}],
         {"judge_calibration": {"against": "exact_mach"}}, "did you mean 'exact_match'?"),
        (["exact_match", {"name": "judge", "model": "local:smollm2", "rubric": "correctness"}],
         {"judge_calibration": {"min_kappa": 0.2}}, "set 'against' (a score) or 'labels'"),
        (["exact_match", {"name": "judge", "model": "local:smollm2", "rubric": "correctness"}],
         {"judge_calibration": {"labels": "gold.jsonl"}}, "labelled file gold.jsonl does not exist"),
    ],
)  # fmt: skip
def test_a_bad_judge_is_refused_with_its_fix(metrics, extra, says):
    assert says in refused(metrics, **extra)


def test_a_judge_score_is_gated_like_any_other():
    found = parsed(
        ["exact_match", {"name": "judge", "model": "local:smollm2", "rubric": "correctness"}],
        thresholds={"judge_correctness": 0.5},
        judge_calibration={"against": "exact_match", "min_kappa": 0.2},
    )
    assert found.thresholds == {"judge_correctness": 0.5}
    assert found.judge_calibration.judges == ("judge_correctness",)
    assert found.judge_calibration.min_kappa == 0.2


@pytest.mark.parametrize(("scale", "grades"), [("pass_fail", ("C", "I")), ("likert5", ("5", "1"))])
def test_a_rubrics_worked_examples_are_earlier_turns_graded_on_the_judges_scale(scale, grades):
    judge = parsed(
        [{"name": "judge", "model": "local:smollm2", "rubric": "correctness", "scale": scale}]
    ).judges[0]
    values = {"question": "Q?", "context": "C", "answer": "A", "reference": "R"}
    messages = judge_request(judge, values).messages
    assert [m["role"] for m in messages] == ["system", *["user", "assistant"] * 2, "user"]
    assert "[Submission]: Shakespeare" in messages[1]["content"]
    assert messages[2]["content"].endswith(f"as the expert answer does.\nGRADE: {grades[0]}")
    assert messages[4]["content"].endswith(f"GRADE: {grades[1]}")
    assert messages[0]["content"].endswith("(best)." if scale == "likert5" else "does not.")
    assert messages[1]["content"].endswith("Does the submission agree with the expert answer?")
    assert "[Submission]: A\n" in messages[-1]["content"]


def test_a_labelled_file_needs_an_id_and_a_verdict_on_every_row(tmp_path):
    labels = tmp_path / "gold.jsonl"
    labels.write_text('{"id": "a", "label": "pass"}\n{"id": "b", "label": "maybe"}\n')
    metrics = ["exact_match", {"name": "judge", "model": "local:smollm2", "rubric": "correctness"}]
    message = refused(metrics, judge_calibration={"labels": str(labels)})
    assert "row 2 needs an id and a label" in message and "(or fail)" in message


def test_a_rubric_files_worked_examples_need_reasoning_and_a_verdict(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text(
        "user: '{question} {answer}'\nexamples: [{question: Q, answer: A, verdict: Pass}]\n"
    )
    metrics = [{"name": "judge", "model": "local:smollm2", "rubric": str(own)}]
    assert "example 1 needs 'reasoning' and a 'verdict' of pass or fail" in refused(metrics)
