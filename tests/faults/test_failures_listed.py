"""A failed item's error is kept in its experiment's summary (it writes no raw row), also
when every item failed."""

from __future__ import annotations

import csv
import json

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, api_config, clean_env, run_pytest


def test_an_all_failed_experiment_writes_its_summaries_with_each_failure(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai") as server:
        server.faults.extend(["401"] * 50)
        config = api_config(tmp_path, server, num_examples=3)
        result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=r", env=env)
    assert result.returncode == 1
    summary = json.loads((tmp_path / "r" / "api_exp_summary.json").read_text())
    assert summary["n_failed"] == 3 and summary["n_examples"] == 0
    failures = summary["failures"]
    run = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert run["experiments"][0]["failures"] == failures
    assert len(failures) == 3
    assert {f["error_class"] for f in failures} == {"error"}
    assert all("401" in f["error"] and SECRET not in f["error"] for f in failures)
    with (tmp_path / "r" / "api_exp_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["n_failed"] == "3"
