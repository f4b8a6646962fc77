"""Every task end to end with an oracle model: a local OpenAI-wire server that answers each
prompt with the example's gold answer. Prompt -> parse -> metric must then score perfectly,
and corpus metrics must appear in the summary."""

from __future__ import annotations

import json

import pytest

from parity.cases.cases import build_plan
from parity.config.config import parse_config
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

EXPERIMENTS = [
    ("hotpotqa", "rag_qa", ["exact_match", "f1"], {"split": "validation"}),
    ("banking77", "classification", ["accuracy", "macro_f1", "weighted_f1"], {"split": "test"}),
    (
        "financial_phrasebank",
        "classification",
        ["accuracy", "macro_f1"],
        {"split": "train", "num_shots": 3},
    ),
    ("medmcqa", "multiple_choice", ["accuracy"], {"split": "validation"}),
    ("mbpp", "code", ["pass_at_1"], {"split": "test"}),
    ("ms_marco", "retrieval", ["retrieval_f1"], {"split": "test"}),
    ("qmsum", "summarization", ["rouge1", "rougeL"], {"split": "test", "task": "specific"}),
    ("longbench", "rag_qa", ["qa_f1"], {"split": "test", "task": None}),
    ("cuad", "extraction", ["token_f1", "answer_detection_f1", "aupr"], {"split": "test"}),
]


def experiments(url):
    return [
        {
            "id": f"oracle_{name}",
            "model": {"name": "openai-compatible:oracle", "base_url": url, "max_concurrency": 4},
            "dataset": {"name": name, "source": "shipped", "num_examples": 4, "seed": 5, **dataset},
            "task": {
                "name": task,
                **({"window_chars": 4000, "window_overlap": 400} if task == "extraction" else {}),
            },
            "metrics": metrics,
        }
        for name, task, metrics, dataset in EXPERIMENTS
    ]


def oracle(plan):
    """Reply with the gold answer of the example whose question ends the prompt."""
    golds = []
    for case in plan.cases:
        example = case.example
        task = case.experiment.task
        if task == "classification":
            key, answer = example.question, example.answers[0]
        elif task == "multiple_choice":
            key, answer = example.question, f"<answer>{example.answers[0]}</answer>"
        elif task == "code":
            key, answer = example.question, f"```python\n{example.metadata['reference_code']}\n```"
        elif task == "retrieval":
            key, answer = example.question, ", ".join(example.answers)
        else:
            key, answer = example.question, example.answers[0]
        golds.append((key, answer, task))

    def reply(body):
        prompt = body["messages"][-1]["content"]
        for key, answer, task in golds:
            if key and key in prompt:
                if task == "extraction" and answer != "Not found." and answer not in prompt:
                    return "Not found."  # this window does not hold the clause
                return answer
        return "no idea"

    return reply


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("oracle")
    with FakeLLMServer("openai") as server:
        config_data = experiments(server.url)
        plan = build_plan(parse_config(config_data, "oracle.yaml"))
        server.reply = oracle(plan)
        config = write_yaml(tmp_path / "oracle.yaml", config_data)
        result = run_pytest(
            tmp_path,
            f"--eval-config={config}",
            "--eval-report-dir=out",
            env=clean_env(HF_HUB_OFFLINE="1"),
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return tmp_path / "out", result


@pytest.mark.parametrize(
    ("name", "task", "metrics", "dataset"), EXPERIMENTS, ids=[e[0] for e in EXPERIMENTS]
)
def test_gold_answers_score_perfectly(oracle_run, name, task, metrics, dataset):
    out, _ = oracle_run
    summary = json.loads((out / f"oracle_{name}_summary.json").read_text())
    assert summary["n_examples"] >= 1 and summary["n_failed"] == 0
    for metric, stats in summary["metrics"].items():
        if metric == "aupr":
            assert 0 < stats["mean"] <= 1
        else:
            assert stats["mean"] == pytest.approx(1.0), (metric, stats)


def test_corpus_metrics_and_per_task_breakdown(oracle_run):
    out, result = oracle_run
    banking = json.loads((out / "oracle_banking77_summary.json").read_text())
    assert banking["metrics"]["macro_f1"]["corpus_level"] is True
    longbench = json.loads((out / "oracle_longbench_summary.json").read_text())
    assert sorted(longbench["per_task"]) == ["2wikimqa", "multifieldqa_en", "qasper"]
    assert (out / "oracle_longbench_qasper.jsonl").exists()
    assert "[qasper] n=1" in result.stdout
    cuad = json.loads((out / "oracle_cuad_summary.json").read_text())
    assert cuad["metrics"]["answer_detection_f1"]["mean"] == 1.0


def test_summary_csv_has_an_overall_row_and_one_row_per_task(oracle_run):
    import csv

    out, _ = oracle_run
    with (out / "oracle_longbench_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["subset"] for row in rows] == ["overall", "2wikimqa", "multifieldqa_en", "qasper"]
    assert all(float(row["qa_f1_mean"]) == 1.0 for row in rows)
