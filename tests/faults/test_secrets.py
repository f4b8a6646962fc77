"""Keys never reach a file or the terminal: error bodies, 401 bursts, and a proxy that
echoes the key into the answer."""

from __future__ import annotations

import json

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


def test_a_secret_named_setting_reaches_no_run_file(tmp_path):
    """A key in ``model.extra_body`` is masked in the setup of every file of the run folder
    (summaries, ``setups.ndjson``, CSV, report), and a second run resumes it: the masked setup
    is the same each time."""
    secret = "sk-inbody-secret-999"
    with FakeLLMServer("openai") as server:
        config = api_config(
            tmp_path, server, num_examples=2, extra_body={"api_key": secret, "top_k": 3}
        )
        runs = [
            run_pytest(
                tmp_path,
                f"--eval-config={config}",
                "--eval-report-dir=r",
                *resume,
                env=clean_env(OPENAI_API_KEY=SECRET),
            )
            for resume in ((), ("--parity-resume",))
        ]
    for result in runs:
        assert result.returncode == 0, result.stdout + result.stderr
        assert secret not in result.stdout + result.stderr
    files = [path for path in (tmp_path / "r").rglob("*") if path.is_file()]
    assert {"summary.json", "api_exp_summary.json", "setups.ndjson"} <= {p.name for p in files}
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
    setup = json.loads((tmp_path / "r" / "api_exp_summary.json").read_text())["setup"]
    assert setup["model_options"]["extra_body"] == {"api_key": "***", "top_k": 3}
