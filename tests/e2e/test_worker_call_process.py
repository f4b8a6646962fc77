"""Under ``-n 2`` each worker sends from its own call process, started as its plan is made
(the SDK imports while the worker collects), and the controller starts none."""

from __future__ import annotations

import threading

import psutil

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    read_jsonl,
    run_pytest,
)


def call_processes() -> list[psutil.Process]:
    """This test's descendant processes that are Parity call processes."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if "parity.engine.call_process" in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_each_worker_sends_from_its_own_call_process(tmp_path):
    seen: set[int] = set()
    parents: set[int] = set()
    lock = threading.Lock()

    def reply(body):
        with lock:
            for process in call_processes():
                seen.add(process.pid)
                parents.add(process.ppid())
        return answer_from_gold(body)

    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=reply, latency_s=0.05) as server:
        config = api_config(tmp_path, server, num_examples=12)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", "-n", "2",
            "--eval-report-dir=x", env=env,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(read_jsonl(tmp_path / "x" / "api_exp.jsonl")) == 12
    assert len(seen) == 2, seen  # one per worker
    assert len(parents) == 2, parents  # each a child of its own worker
