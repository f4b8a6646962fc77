"""A judged experiment end to end: a real pytest run (two xdist workers) whose model and
judge are local OpenAI-wire servers; the terminal and the summary report the judge's score,
its own cost and its agreement with exact match, and a rerun sends nothing."""

from __future__ import annotations

import json
import re

import pytest
from sklearn.metrics import cohen_kappa_score

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import read_jsonl, run_pytest, write_yaml

PRICE = {"input_per_1m_tokens": 1.0, "output_per_1m_tokens": 2.0}


def lenient_judge(body) -> str:
    """Passes the answer to every yes/no question, whatever the expert says (so it agrees
    with exact match on a model that always says yes, except where the gold is no)."""
    text = body["messages"][-1]["content"]
    question = re.search(r"\[Question\]: (\w+)", text).group(1)
    grade = "C" if question.lower() in ("are", "is", "was", "were", "do", "did") else "I"
    return f"Checked against the expert.\nGRADE: {grade}"


def test_a_judged_run_reports_scores_cost_and_kappa_and_a_rerun_sends_nothing(tmp_path):
    with (
        FakeLLMServer("openai", reply=lambda body: "yes") as model,
        FakeLLMServer("openai", reply=lenient_judge) as judge,
    ):
        judge_model = {"name": "openai-compatible:judge", "base_url": judge.url, "pricing": PRICE}
        config = write_yaml(tmp_path / "judged.yaml", [{
            "id": "judged",
            "model": {"name": "openai-compatible:m", "base_url": model.url, "pricing": PRICE},
            "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 16},
            "task": {"name": "rag_qa"},
            "metrics": ["exact_match", {"name": "judge", "model": judge_model,
                                        "rubric": "correctness"}],
            "judge_calibration": {"against": "exact_match", "min_kappa": -1.0},
        }])  # fmt: skip
        first = run_pytest(tmp_path, f"--parity-config={config}", "-n", "2",
                           "--parity-report-dir=one")  # fmt: skip
        sent = len(judge.requests)
        again = run_pytest(tmp_path, f"--parity-config={config}", "--parity-report-dir=two")
    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    assert sent == 16 and len(judge.requests) == 16  # the rerun's judgements are cached
    rows = read_jsonl(tmp_path / "one" / "judged.jsonl")
    summary = json.loads((tmp_path / "one" / "judged_summary.json").read_text())
    judged = [r["metrics"]["judge_correctness"] for r in rows]
    gold = [r["metrics"]["exact_match"] for r in rows]
    calibrated = summary["judge_calibration"]["judge_correctness"]
    assert calibrated["kappa"] == pytest.approx(cohen_kappa_score(judged, gold))
    assert 0 < calibrated["kappa"] < 1
    judge_cost = sum(r["usage"]["judge"]["cost_usd"] for r in rows)
    assert summary["stages"]["judge"]["cost_usd"]["total"] == pytest.approx(judge_cost)
    assert judge_cost > 0
    assert all(r["metadata"]["judges"]["judge_correctness"]["raw"] for r in rows)
    out = first.stdout
    mean = summary["metrics"]["judge_correctness"]["mean"]
    assert f"judge_correctness  mean {mean:.4f}" in out
    assert "judge p50" in out and f"cost ${judge_cost:.6f}" in out
    assert (
        f"judge_correctness vs exact_match: agreement {calibrated['agreement']:.4f}  "
        f"Cohen's kappa {calibrated['kappa']:.4f}  n=16" in out
    )
    assert "PASS  judged::min_kappa::judge_correctness" in out
