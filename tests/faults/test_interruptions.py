"""SIGINT and SIGKILL mid-run, then ``--eval-resume``: no finished row lost or duplicated,
no finished example sent again, and the final summary equals an uninterrupted run's."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    read_jsonl,
    run_pytest,
)

N = 12


def prompt_of(request):
    return request["body"]["messages"][-1]["content"]


def question_of(row):
    return row["input_question"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_resumes_to_the_uninterrupted_result(tmp_path, signum):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.3) as server:
        config = api_config(tmp_path, server, num_examples=N, max_concurrency=1)
        baseline = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=whole", "--eval-cache=off",
            env=env,
        )  # fmt: skip
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        command = [sys.executable, "-m", "pytest", "--pyargs", "parity.evals", "-p", "no:cacheprovider",
                   f"--eval-config={config}", "--eval-report-dir=run", "--eval-cache=off"]  # fmt: skip
        before = len(server.requests)
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            # a suite launched with SIGINT ignored (nohup, some CI runners) must not make
            # the child ignore Ctrl-C too
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        raw = tmp_path / "run" / "api_exp.jsonl"
        deadline = time.time() + 60
        while time.time() < deadline and (not raw.exists() or len(read_jsonl(raw)) < 3):
            time.sleep(0.05)
        interrupted = time.monotonic()
        process.send_signal(signum)
        output = process.communicate(timeout=60)[0].decode()
        assert process.returncode != 0, output
        assert time.monotonic() - interrupted < 5.0  # stopped at once
        kept = read_jsonl(raw)
        assert 3 <= len(kept) < N
        finished = {question_of(row) for row in kept}
        sent_before_resume = len(server.requests)
        resumed = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-resume=run", "--eval-cache=off", env=env
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        resent = [prompt_of(r) for r in server.requests[sent_before_resume:]]
        interrupted_requests = len(server.requests) - before - len(resent)
    rows = read_jsonl(raw)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == N  # nothing lost, nothing twice
    assert not [p for p in resent if any(q in p for q in finished)]  # no finished one re-sent
    assert len(resent) == N - len(kept) and interrupted_requests >= len(kept)
    whole = json.loads((tmp_path / "whole" / "api_exp_summary.json").read_text())
    final = json.loads((tmp_path / "run" / "api_exp_summary.json").read_text())
    for key in ("n_examples", "n_failed", "metrics"):
        assert final[key] == whole[key], key
