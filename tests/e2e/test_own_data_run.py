"""A user's own questions end to end, as a new user would run them: a 10-row JSONL beside a
YAML experiment in a fresh folder, ``pytest --pyargs parity.evals --eval-config=...`` against
a local OpenAI-wire oracle."""

from __future__ import annotations

import json

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, junit_cases, run_pytest, write_yaml

CAPITALS = [
    ("France", "Paris"), ("Japan", "Tokyo"), ("Peru", "Lima"), ("Kenya", "Nairobi"),
    ("Canada", "Ottawa"), ("Egypt", "Cairo"), ("Norway", "Oslo"), ("Chile", "Santiago"),
    ("India", "New Delhi"), ("Spain", "Madrid"),
]  # fmt: skip
ROWS = [
    {
        "id": f"q{n:02d}",
        "q": f"What is the capital of {country}?",
        "a": city,
        "ctx": [f"{country} is a country.", f"Its capital is {city}."],
    }
    for n, (country, city) in enumerate(CAPITALS, 1)
]


def oracle(body):
    """Reply with the answer of the row whose question the prompt holds."""
    prompt = body["messages"][-1]["content"]
    return next((row["a"] for row in ROWS if row["q"] in prompt), "no idea")


def test_a_yaml_experiment_on_your_own_jsonl_runs_under_your_label(tmp_path):
    project = tmp_path / "project"
    (project / "configs" / "data").mkdir(parents=True)
    data = project / "configs" / "data" / "capitals.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    with FakeLLMServer("openai", reply=oracle) as server:
        experiment = {
            "id": "geo_fake",
            "model": {"name": "openai-compatible:oracle", "base_url": server.url},
            "dataset": {
                "name": "capitals",
                "path": "data/capitals.jsonl",  # relative to the config, not to the project
                "fields": {"input": "q", "expected": "a", "context": "ctx", "id": "id"},
            },
            "task": {"name": "rag_qa"},
            "metrics": ["exact_match", "f1"],
            "thresholds": {"f1": 0.9},
        }
        config = write_yaml(project / "configs" / "cfg.yaml", [experiment])
        result = run_pytest(
            project,
            f"--eval-config={config}",
            "--eval-report-dir=out",
            "--junitxml=junit.xml",
            "-m",
            "capitals",  # the label is a marker (and a -k keyword)
            env=clean_env(HF_HUB_OFFLINE="1"),
        )
        prompts = [request["body"]["messages"][-1]["content"] for request in server.requests]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    names = sorted(case.split("::")[-1] for case in junit_cases(project / "junit.xml"))
    examples = [f"test_example[geo_fake-q{n:02d}]" for n in range(1, 11)]
    assert names == [*examples, "threshold[geo_fake-f1]"]  # your ids, and the f1 gate
    assert "10 passed" in result.stdout and "11 passed" not in result.stdout  # gates: no items
    summary = json.loads((project / "out" / "geo_fake_summary.json").read_text())
    assert (summary["dataset"], summary["n_examples"], summary["n_failed"]) == ("capitals", 10, 0)
    assert summary["metrics"]["f1"]["mean"] == 1.0
    assert len(prompts) == 10
    assert any("France is a country.\nIts capital is Paris." in prompt for prompt in prompts)
