"""The README's quickstart, step by step, in an empty folder: your own JSONL, one YAML
experiment against a local OpenAI-compatible server, then plain ``pytest`` (no
``--pyargs``), and the result read from the terminal and ``reports/latest``."""

from __future__ import annotations

import json

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_plain_pytest

CAPITALS = {
    "France": "Paris", "Japan": "Tokyo", "Peru": "Lima", "Kenya": "Nairobi",
    "Canada": "Ottawa", "Egypt": "Cairo", "Norway": "Oslo", "Chile": "Santiago",
    "India": "New Delhi", "Spain": "Madrid",
}  # fmt: skip
ROWS = [
    {"q": f"What is the capital of {country}?", "a": city} for country, city in CAPITALS.items()
]
WRONG = "Peru"  # the model's one wrong answer

CONFIG = """\
- id: capitals_local
  model: {{name: "openai-compatible:my-model", base_url: "{url}"}}
  dataset: {{name: capitals, path: data/capitals.jsonl, fields: {{input: q, expected: a}}}}
  task: {{name: rag_qa}}
  metrics: [exact_match, f1]
  thresholds: {{f1: 0.8}}
"""


def model(body):
    """A model that knows every capital but Peru's."""
    prompt = body["messages"][-1]["content"]
    country = next((c for c in CAPITALS if f"capital of {c}?" in prompt), None)
    return "I am not sure" if country in (None, WRONG) else CAPITALS[country]


def test_quickstart_from_an_empty_folder(tmp_path):
    project = tmp_path / "my-project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "capitals.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in ROWS)
    )
    with FakeLLMServer("openai", reply=model) as server:
        (project / "experiments.yaml").write_text(CONFIG.format(url=server.url))
        result = run_plain_pytest(
            project, "--eval-config=experiments.yaml", env=clean_env(HF_HUB_OFFLINE="1")
        )
        assert len(server.requests) == 10
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-2000:]
    assert "site-packages" not in out and "site-packages/parity" not in result.stderr
    assert "collected 10 items" in out
    assert "\nexperiments.yaml .........." in out  # the items, under your config file
    assert "capitals_local  [openai-compatible:my-model | baseline | capitals | rag_qa]" in out
    assert "exact_match  mean 0.9000" in out
    assert "pred 'I am not sure'  gold 'Lima'" in out  # the lowest-scoring example
    assert "gates: 1 passed, 0 failed, 0 skipped" in out
    assert "PASS  capitals_local::threshold::f1: f1 = 0.9000 >= threshold 0.8" in out
    assert "= 10 passed in" in out  # the 10 collected items: the f1 gate is no item
    latest = project / "reports" / "latest"
    summary = json.loads((latest / "capitals_local_summary.json").read_text())
    assert (summary["dataset"], summary["n_examples"]) == ("capitals", 10)
    assert summary["metrics"]["exact_match"]["mean"] == 0.9
