"""Keys never reach a file or the terminal: error bodies, 401 bursts, and a proxy that
echoes the key into the answer."""

from __future__ import annotations

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    api_config,
    clean_env,
    junit_cases,
    read_jsonl,
    run_pytest,
)


def test_provider_errors_fail_items_without_leaking_the_key(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai") as server:
        server.faults.extend(["401"] * 50)
        config = api_config(tmp_path, server, num_examples=3)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", "--eval-report-dir=r", env=env
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "3 failed" in output and "injected 401" in output
    assert len(server.requests) == 3  # a 401 is not retried
    assert SECRET not in output
    assert SECRET not in (tmp_path / "j.xml").read_text()
    for path in (tmp_path / "r").iterdir():
        assert SECRET not in path.read_text()
    assert len(junit_cases(tmp_path / "j.xml")) == 3


def test_an_answer_that_echoes_the_key_is_stored_redacted(tmp_path):
    """A proxy that reflects headers into the answer: the key reaches no file."""
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=lambda body: f"Bearer {SECRET}") as server:
        config = api_config(tmp_path, server, num_examples=3)
        cache = tmp_path / "cache"
        result = run_pytest(
            tmp_path,
            f"--eval-config={config}",
            "--junitxml=j.xml",
            "--eval-report-dir=r",
            f"--eval-cache-dir={cache}",
            env=env,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert SECRET not in (tmp_path / "j.xml").read_text()
    rows = read_jsonl(tmp_path / "r" / "api_exp.jsonl")
    assert [row["pred"] for row in rows] == ["Bearer ***"] * 3
    for path in cache.iterdir():
        assert SECRET.encode() not in path.read_bytes()
