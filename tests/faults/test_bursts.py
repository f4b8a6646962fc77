"""Bursts of provider faults at concurrency 16: every retryable kind is ridden out (every
item passes), a 401 fails each item once with one clear message and no retry."""

from __future__ import annotations

import pytest

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, answer_from_gold, api_config, clean_env, run_pytest

N = 32


@pytest.mark.parametrize("fault", ["429", "500", "reset", "malformed", "timeout"])
def test_a_burst_of_retryable_faults_is_ridden_out(tmp_path, fault):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.05) as server:
        server.faults.extend([fault] * 16)  # the first 16 requests all fail
        config = api_config(tmp_path, server, num_examples=N, max_concurrency=16, timeout_s=1.0)
        result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-cache=off", env=env)
        sent = len(server.requests)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{N} passed" in result.stdout
    assert N + 16 <= sent <= N + 16 * 3  # the failed ones retried, not the whole run


def test_a_burst_of_401s_fails_each_item_once_without_retrying(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai") as server:
        server.faults.extend(["401"] * N)
        config = api_config(tmp_path, server, num_examples=8, max_concurrency=16)
        result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-cache=off", env=env)
    assert result.returncode == 1
    assert "8 failed" in result.stdout and result.stdout.count("injected 401") >= 1
    assert len(server.requests) <= 8  # never retried; the breaker may stop the rest sooner
    assert SECRET not in result.stdout + result.stderr
