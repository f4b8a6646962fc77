"""Error classes and the CI step summary end to end: a local OpenAI-wire server answers
HotpotQA questions right for the baseline and, for the candidate, with a refusal, an
abstention, a partial span, a wrong answer and a call that never finishes (a timeout); one
real ``pytest`` run then has the classes in ``summary.json``, the flips in the comparison,
``summary.md`` as Markdown tables, and that page appended to ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import json

import pytest

from parity.cases.cases import build_plan
from parity.config.config import parse_config
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

N = 10
EARLIER_STEP = "## an earlier step's summary\n"


def hotpot(experiment_id, model, url, options=None, **extra):
    return {
        "id": experiment_id,
        "model": {
            "name": f"openai-compatible:{model}",
            "base_url": url,
            "max_concurrency": 4,
            **(options or {}),
        },
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 3},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
        **extra,
    }


def golds(url):
    """(question, gold answer) of the run's examples, in a fixed order."""
    plan = build_plan(parse_config([hotpot("x", "m", url)], "x.yaml"))
    return sorted((c.example.question, c.example.answers[0]) for c in plan.cases)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run: ``base`` (right on every question) and ``cand`` (baseline ``base``)."""
    tmp_path = tmp_path_factory.mktemp("classes")
    with FakeLLMServer("openai") as server:
        pairs = golds(server.url)
        hang = pairs[4][0]
        wrong = {
            pairs[0][0]: lambda gold: "I'm sorry, but I can't help with that.",
            pairs[1][0]: lambda gold: "none",
            pairs[2][0]: lambda gold: f"probably {gold} or something else entirely",
            pairs[3][0]: lambda gold: "zzz",
        }

        def reply(body):
            prompt = body["messages"][-1]["content"]
            question, gold = next((q, a) for q, a in pairs if q in prompt)
            if body["model"] == "cand" and question in wrong:
                return wrong[question](gold)
            return gold

        def fault_for(body):
            prompt = body["messages"][-1]["content"]
            return "hang" if body["model"] == "cand" and hang in prompt else None

        server.reply, server.fault_for = reply, fault_for
        timing = {"timeout_s": 1, "max_retries": 0, "outage_tolerance_s": 1}
        config = write_yaml(tmp_path / "run.yaml", [
            hotpot("base", "base", server.url),
            hotpot("cand", "cand", server.url, timing, baseline="base", max_drop={"f1": 0.9}),
        ])  # fmt: skip
        step = tmp_path / "step_summary.md"
        step.write_text(EARLIER_STEP)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=reports", "--eval-cache=off",
            "--eval-call-process=off", env=clean_env(GITHUB_STEP_SUMMARY=str(step)),
        )  # fmt: skip
    return tmp_path, result


def test_a_real_runs_summaries_carry_error_classes_and_flips(run):
    tmp_path, result = run
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]  # the timed-out item fails
    document = json.loads((tmp_path / "reports" / "summary.json").read_text())
    by_id = {s["experiment_id"]: s for s in document["experiments"]}
    assert by_id["base"]["error_classes"] == {}
    expected = {
        "timeout": 1, "refusal": 1, "missed_clause": 1, "partial_span": 1, "wrong_label": 1,
    }  # fmt: skip
    assert by_id["cand"]["error_classes"] == expected
    stored = json.loads((tmp_path / "reports" / "cand_summary.json").read_text())
    assert stored["error_classes"] == expected
    flips = by_id["cand"]["comparison"]["error_flips"]
    assert flips["baseline_wrong_candidate_right"] == {}
    wrong = flips["candidate_wrong_baseline_right"]
    # the timed-out example has no pair: it is unpaired, not a flip
    assert {name: entry["count"] for name, entry in wrong.items()} == {
        "refusal": 1, "missed_clause": 1, "partial_span": 1, "wrong_label": 1,
    }  # fmt: skip
    assert all(len(entry["examples"]) == 1 for entry in wrong.values())


def test_a_real_run_writes_summary_md_and_appends_it_to_the_step_summary(run):
    tmp_path, _ = run
    page = (tmp_path / "reports" / "summary.md").read_text()
    for heading in ("# Parity summary", "## Experiments", "## Metrics",
                    "## Paired comparisons", "## Gates", "## Error classes",
                    "## Lowest-scoring examples"):  # fmt: skip
        assert f"\n{heading}" in f"\n{page}", heading
    assert (
        "| FAIL | cand::max_drop::f1 | f1 -0.395 [-0.770, -0.020] vs base on 9 pairs: inconclusive"
        in page
    )
    assert "| cand | base | candidate wrong, baseline right | refusal | 1 |" in page
    step = (tmp_path / "step_summary.md").read_text()
    assert step == EARLIER_STEP + page
