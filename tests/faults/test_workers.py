"""A killed xdist worker, with and without restarts: no row lost or written twice, and a
worker lost for good leaves a summary that says how many examples are missing."""

from __future__ import annotations

import json

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    read_jsonl,
    run_pytest,
)

CRASHING_PLUGIN = """
import os

def pytest_runtest_call(item):
    marker = os.path.join(os.path.dirname(__file__), "crashed")
    if "test_example[" in item.nodeid and not os.path.exists(marker):
        count = int(os.environ.get("PARITY_TEST_SEEN", "0")) + 1
        os.environ["PARITY_TEST_SEEN"] = str(count)
        if count == 4:
            open(marker, "w").close()
            os._exit(1)  # the worker dies mid-partition
"""


def run_with_a_crashing_worker(tmp_path, *options):
    """20 examples under ``-n 2``; one worker dies at its fourth item. Returns the result
    and the server's requests."""
    env = clean_env(OPENAI_API_KEY=SECRET, PYTHONPATH=str(tmp_path))
    (tmp_path / "crashing_plugin.py").write_text(CRASHING_PLUGIN)
    with FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.05) as server:
        config = api_config(tmp_path, server, num_examples=20)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", "-n", "2",
            "--eval-report-dir=x", "-p", "crashing_plugin", *options, env=env,
        )  # fmt: skip
    return result, server.requests


def test_a_crashed_worker_loses_no_row_and_duplicates_none(tmp_path):
    result, requests = run_with_a_crashing_worker(tmp_path)
    assert (tmp_path / "crashed").exists()
    assert "crashed while running" in result.stdout, result.stdout
    rows = read_jsonl(tmp_path / "x" / "api_exp.jsonl")
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 20  # every example once: none lost, none twice
    assert len(requests) <= 20 + 4  # at most the crashed worker's in-flight requests again


def test_a_worker_lost_for_good_is_reported_as_missing_examples(tmp_path):
    """``--max-worker-restart=0``: the summary says how many examples never reported."""
    result, _ = run_with_a_crashing_worker(tmp_path, "--max-worker-restart=0")
    assert result.returncode != 0
    summary = json.loads((tmp_path / "x" / "api_exp_summary.json").read_text())
    accounted = summary["n_examples"] + summary["n_failed"] + summary["n_skipped"]
    assert summary["n_missing"] > 0 and accounted + summary["n_missing"] == 20
    assert f"MISSING: {summary['n_missing']} selected examples never reported" in result.stdout
