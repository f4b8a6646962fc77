"""Two runs never share a report directory: a new one is made atomically (``os.mkdir``, a
``-N`` suffix when the name is taken), and a running session locks the one it writes, so a
second run given the same ``--eval-report-dir`` is refused while the first runs. The xdist
workers of one run still share their controller's."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from parity.record.run_dirs import reserve_run_dir
from parity.report.reporters.run_index import INDEX
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, answer_from_gold, api_config, clean_env, read_jsonl


def test_runs_reserving_the_same_name_at_once_each_get_their_own_directory(tmp_path):
    made: list[Path] = []
    start = threading.Barrier(8)

    def reserve() -> None:
        start.wait()
        made.append(reserve_run_dir(tmp_path / "reports", "20260101-000000"))

    threads = [threading.Thread(target=reserve) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8 and all(path.is_dir() for path in made)
    assert sorted(path.name for path in made)[:2] == ["20260101-000000", "20260101-000000-2"]


def wait_until(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def start_pytest(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "pytest", "--pyargs", "parity.evals"]
    command += ["-p", "no:cacheprovider", *args]
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_a_second_run_given_a_running_runs_report_dir_is_refused(tmp_path):
    """The first run's answers are held back until the second has ended (or has sent
    requests of its own), so that neither has a row yet when the second starts."""
    env = clean_env(OPENAI_API_KEY=SECRET)
    release = threading.Event()

    def held(body):
        release.wait(60)
        return answer_from_gold(body)

    with FakeLLMServer("openai", reply=held) as server:
        config = api_config(tmp_path, server, num_examples=8, max_concurrency=2)
        args = [f"--eval-config={config}", "--eval-cache=off", "--eval-report-dir=shared"]
        first = start_pytest(tmp_path, *args, env=env)
        wait_until(lambda: len(server.requests) >= 2)  # the first run is sending
        second = start_pytest(tmp_path, *args, env=env)
        wait_until(lambda: second.poll() is not None or len(server.requests) > 2)
        release.set()
        second_output, _ = second.communicate(timeout=120)
        first_output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, first_output
    assert second.returncode == 4, second_output  # a usage error, before any request
    assert "shared is in use by another Parity run (pid" in second_output
    assert "Fix: wait for that run to end, or give this one another --parity-report-dir" in (
        second_output
    )
    rows = read_jsonl(tmp_path / "shared" / "api_exp.jsonl")
    assert len(rows) == len({row["id"] for row in rows}) == 8
    assert not (tmp_path / "shared" / ".parity.lock").exists()  # released at the end


SAME_SECOND = """
import os, time
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
"""


def test_two_runs_started_in_the_same_second_write_to_two_directories(tmp_path):
    """Both runs use the default reports/<timestamp>/ and name it in the same second: a
    plugin holds each one's start-up until the same moment."""
    (tmp_path / "same_second.py").write_text(SAME_SECOND)
    start_at = str(int(time.time()) + 6.2)  # after both have started, whatever the load
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    env = clean_env(OPENAI_API_KEY=SECRET, START_AT=start_at, PYTHONPATH=path)
    with FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.2) as server:
        config = api_config(tmp_path, server, num_examples=8, max_concurrency=2)
        args = [f"--eval-config={config}", "--eval-cache=off", "-k", "api_exp"]
        runs = [start_pytest(tmp_path, *args, "-p", "same_second", env=env) for _ in range(2)]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    dirs = sorted(p for p in (tmp_path / "reports").iterdir() if p.name not in ("latest", INDEX))
    assert len(dirs) == 2, dirs
    for run_dir in dirs:
        rows = read_jsonl(run_dir / "api_exp.jsonl")
        assert len(rows) == len({row["id"] for row in rows}) == 8
        assert (run_dir / "summary.json").is_file()


def test_xdist_workers_share_their_controllers_new_directory(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=8)
        run = start_pytest(tmp_path, f"--eval-config={config}", "--eval-cache=off", "-n", "2",
                           env=env)  # fmt: skip
        output, _ = run.communicate(timeout=120)
    assert run.returncode == 0, output
    (run_dir,) = (p for p in (tmp_path / "reports").iterdir() if p.name not in ("latest", INDEX))
    rows = read_jsonl(run_dir / "api_exp.jsonl")
    assert len(rows) == len({row["id"] for row in rows}) == 8
    assert not (run_dir / ".parity.lock").exists()


def test_an_xdist_session_without_eval_items_leaves_no_report_dir(tmp_path):
    """The xdist controller makes its run directory before the workers collect; a session
    that turns out to hold no eval items leaves neither it nor reports/ behind."""
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"]
    done = subprocess.run(
        [*command, "test_plain.py"], cwd=tmp_path, env=clean_env(), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "reports").exists()
    assert not (tmp_path / ".parity-cache").exists()
