"""The judge step through the real scheduler and engine, against local OpenAI-wire servers:
one answers as the model under test, one as the judge, by rule."""

from __future__ import annotations

import re
from contextlib import ExitStack

import pytest

from parity.analysis.aggregation import Aggregator
from parity.cases.cases import EvalCase
from parity.config.config import parse_config
from parity.engine.budget import Budget
from parity.engine.execution import Engine
from parity.evals.datasets import Example
from parity.record.cache import ResponseCache
from parity.record.record import JUDGE_STAGE
from tests.support.engine_runs import run_cases
from tests.support.fake_llm_server import FakeLLMServer, first_attempt_429, words

JUDGE_PRICE = {"input_per_1m_tokens": 1.0, "output_per_1m_tokens": 2.0}


def answer_by_number(body) -> str:
    """The model: Paris for an even question number, London for an odd one."""
    text = " ".join(m["content"] for m in body["messages"])
    number = int(re.search(r"question (\d+)\?", text).group(1))
    return "Paris" if number % 2 == 0 else "London"


def submission(body) -> str:
    text = body["messages"][-1]["content"]
    return re.search(r"\[Submission\]: (.*)", text).group(1).strip()


def grade_by_rule(body) -> str:
    """The judge: reasons, then grades Paris C (5, 1.0) and anything else I (2, 0.25)."""
    text = body["messages"][0]["content"]  # the system message holds the scale's instruction
    right = submission(body) == "Paris"
    if "GRADE: C" in text:
        grade = "C" if right else "I"
    elif "from 1" in text:
        grade = "5" if right else "2"
    else:
        grade = "1.0" if right else "0.25"
    return f"The submission {'matches' if right else 'differs from'} the expert.\nGRADE: {grade}"


def judged_cases(model_url, judge_url, n, scale="pass_fail", **judge_options) -> list[EvalCase]:
    """``n`` cases of one experiment (its model at $0.5/1M tokens) whose answers a
    correctness judge grades."""
    judge = {"name": "openai-compatible:judge", "base_url": judge_url, **judge_options}
    price = {"input_per_1m_tokens": 0.5, "output_per_1m_tokens": 0.5}
    config = parse_config(
        [{"id": "judged", "model": {"name": "openai-compatible:m", "base_url": model_url,
                                    "pricing": price},
          "dataset": {"name": "hotpotqa"}, "task": {"name": "rag_qa"},
          "metrics": ["exact_match", {"name": "judge", "model": judge, "rubric": "correctness",
                                      "scale": scale}],
          "judge_calibration": {"against": "exact_match"}}],
        "judged.yaml",
    )  # fmt: skip
    experiment = config.experiments[0]
    return [
        EvalCase(experiment, Example(str(i), f"question {i}?", f"context {i}", ("Paris",)), i,
                 f"judged-{i}")
        for i in range(n)
    ]  # fmt: skip


def run(tmp_path, cases, cache="off"):
    return run_cases(Engine(ResponseCache(tmp_path, cache), Budget(None)), cases)


@pytest.mark.parametrize(
    ("scale", "right", "wrong"), [("pass_fail", 1.0, 0.0), ("likert5", 1.0, 0.25),
                                  ("score", 1.0, 0.25)],
)  # fmt: skip
def test_each_scale_is_parsed_and_normalised_and_the_record_keeps_the_judges_text(
    tmp_path, scale, right, wrong
):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(FakeLLMServer("openai", reply=grade_by_rule))
        records = run(tmp_path, judged_cases(model.url, judge.url, 4, scale))
    assert [r.error for r in records] == [None] * 4
    assert [r.scores["judge_correctness"] for r in records] == [right, wrong, right, wrong]
    kept = records[1].metadata["judges"]["judge_correctness"]
    assert kept["grade"] == {"pass_fail": "I", "likert5": "2", "score": "0.25"}[scale]
    assert kept["reasoning"] == "The submission differs from the expert."
    assert kept["raw"].endswith(f"GRADE: {kept['grade']}")
    assert kept["model"] == "openai-compatible:judge" and kept["scale"] == scale
    asked = [r["body"]["messages"][-1]["content"] for r in judge.requests]
    assert any("question 1?" in text and "[Submission]: London" in text for text in asked)


def test_an_answer_without_a_grade_fails_the_item_naming_the_judge_with_its_text(tmp_path):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(
            FakeLLMServer("openai", reply=lambda body: "Looks fine to me, probably.")
        )
        [record] = run(tmp_path, judged_cases(model.url, judge.url, 1))
    assert record.error is not None and not record.scores
    assert record.error.startswith(
        "JudgeError: judge judge_correctness (openai-compatible:judge, rubric correctness, "
        "scale pass_fail) gave no grade"
    )
    assert "its answer: 'Looks fine to me, probably.'" in record.error


def test_judge_429s_at_concurrency_16_are_retried_and_every_item_scores(tmp_path):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(
            FakeLLMServer("openai", reply=grade_by_rule, latency_s=0.02,
                          fault_for=first_attempt_429())
        )  # fmt: skip
        cases = judged_cases(model.url, judge.url, 64, max_concurrency=16, max_retries=3)
        records = run(tmp_path, cases)
    assert [r.error for r in records] == [None] * 64
    assert [r.scores["judge_correctness"] for r in records] == [1.0, 0.0] * 32
    assert len(judge.requests) == 128  # each judged once after one 429
    assert 1 < judge.max_in_flight <= 16


def test_a_rerun_takes_every_judgement_from_the_cache(tmp_path):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(FakeLLMServer("openai", reply=grade_by_rule))
        first = run(tmp_path, judged_cases(model.url, judge.url, 8), cache="use")
        sent = len(judge.requests), len(model.requests)
        again = run(tmp_path, judged_cases(model.url, judge.url, 8), cache="use")
    assert sent == (8, 8)
    assert (len(judge.requests), len(model.requests)) == sent  # 0 calls on the rerun
    assert [r.scores for r in again] == [r.scores for r in first]
    assert all(r.cached for r in again) and not any(r.cached for r in first)


def test_the_judges_cost_is_its_own_stage_and_counts_in_the_cost_per_query(tmp_path):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(FakeLLMServer("openai", reply=grade_by_rule))
        cases = judged_cases(model.url, judge.url, 6, pricing=JUDGE_PRICE)
        records = run(tmp_path, cases)
    expected = sum(
        words(judge.prompt_text(r["body"])) * 1e-6 + words(grade_by_rule(r["body"])) * 2e-6
        for r in judge.requests
    )
    aggregator = Aggregator([cases[0].experiment])
    for record in records:
        assert record.usage[JUDGE_STAGE].cost_usd > 0
        aggregator.add_report("judged", "passed", record)
    summary = aggregator.outcomes["judged"].summary()
    assert summary["stages"][JUDGE_STAGE]["cost_usd"]["total"] == pytest.approx(expected)
    model_cost = sum(
        (words(model.prompt_text(r["body"])) + 1) * 0.5e-6 for r in model.requests
    )  # one-word answers
    assert summary["stages"]["model"]["cost_usd"]["total"] == pytest.approx(model_cost)
    assert summary["cost"]["total_usd"] == pytest.approx(expected + model_cost)
    assert summary["metrics"]["judge_correctness"]["mean"] == 0.5
    calibrated = summary["judge_calibration"]["judge_correctness"]
    assert (calibrated["n"], calibrated["agreement"], calibrated["kappa"]) == (6, 1.0, 1.0)
    assert calibrated["confusion"] == {
        "judge_pass_gold_pass": 3, "judge_pass_gold_fail": 0,
        "judge_fail_gold_pass": 0, "judge_fail_gold_fail": 3,
    }  # fmt: skip


def test_a_failed_judge_call_fails_the_item_naming_the_judge(tmp_path):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(FakeLLMServer("openai", fault_for=lambda body: "400"))
        [record] = run(tmp_path, judged_cases(model.url, judge.url, 1))
    assert record.error.startswith(
        "JudgeError: judge judge_correctness (openai-compatible:judge, rubric correctness, "
        "scale pass_fail): ProviderCallError:"
    )
    assert "injected 400" in record.error


def test_faithfulness_is_judged_against_the_compressed_context_the_model_saw(tmp_path):
    with ExitStack() as stack:
        model = stack.enter_context(FakeLLMServer("openai", reply=answer_by_number))
        judge = stack.enter_context(FakeLLMServer("openai", reply=lambda b: "Fine.\nGRADE: C"))
        config = parse_config(
            [{"id": "squeezed",
              "model": {"name": "openai-compatible:m", "base_url": model.url, "mode": "compressed",
                        "compression": {"method": "extractive", "rate": 0.3, "ranker": "bm25"}},
              "dataset": {"name": "hotpotqa"}, "task": {"name": "rag_qa"},
              "metrics": [{"name": "judge", "model": {"name": "openai-compatible:j",
                                                      "base_url": judge.url},
                           "rubric": "faithfulness"}]}],
            "squeezed.yaml",
        )  # fmt: skip
        context = " ".join(f"Sentence {i} is about topic {i}." for i in range(40))
        example = Example("0", "question 0? topic 7", context, ("Paris",))
        [record] = run(tmp_path, [EvalCase(config.experiments[0], example, 0, "squeezed-0")])
    assert record.error is None and record.scores == {"judge_faithfulness": 1.0}
    asked = judge.requests[0]["body"]["messages"][-1]["content"]
    seen = re.search(r"\[Context\]: (.*)\n\[Question\]", asked, re.S).group(1)
    assert seen == record.input_context and len(seen) < len(context) / 2
