"""Rows that cannot be written: a full disk, a read-only report or cache directory, a subset
name from the data that is not a file name, and a sink or sender that fails. The run never
hangs, never loses a row silently, and never reports an item as passed whose row is not on
disk; a run that cannot write stops with one message naming the path and the fix.

A full disk is a real one where the test may mount (root): a 64 KiB tmpfs under the report
directory. Elsewhere it is a file-size limit (``RLIMIT_FSIZE``) on the pytest process, which
fails the same ``write`` with EFBIG instead of ENOSPC. A read-only directory is a read-only
tmpfs under root (root ignores permission bits), else a directory without write permission.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.config.file_names import MAX_NAME_PART, safe_name_part
from parity.engine.budget import Budget
from parity.engine.execution import Engine
from parity.engine.scheduler import RunScheduler
from parity.fixtures.clients import ClientPool
from parity.record.cache import ResponseCache
from tests.support.engine_runs import synthetic_cases
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    junit_properties,
    run_pytest,
    write_yaml,
)

DISK_KB = 64  # about five raw rows of the HotpotQA sample (12 KB each)


def _mount(target: Path, options: str) -> bool:
    """Mount a tmpfs with ``options`` on ``target`` (root only); False where it cannot."""
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True
    )
    return done.returncode == 0


@contextmanager
def mounted(target: Path, options: str) -> Iterator[bool]:
    """A tmpfs on ``target`` for the block (True), or nothing where mounting is not allowed."""
    target.mkdir(parents=True, exist_ok=True)
    ok = _mount(target, options)
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(target)], check=True)


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """``directory`` read-only: a read-only mount under root, else no write permission."""
    with mounted(directory, "ro,size=64k") as mounted_ro:
        if not mounted_ro:
            directory.chmod(0o555)
        try:
            yield
        finally:
            if not mounted_ro:
                directory.chmod(0o755)


def run_with_file_limit(cwd: Path, limit: int, *args: str, env: dict[str, str]):
    """``pytest --pyargs parity.evals ARGS`` with every file it writes capped at ``limit``
    bytes (Python ignores SIGXFSZ, so the write that passes the cap fails with EFBIG)."""
    pytest_argv = [sys.executable, "-m", "pytest", "--pyargs", "parity.evals", *args]
    pytest_argv += ["-p", "no:cacheprovider"]
    start = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        f"os.execv(sys.executable, {pytest_argv!r})"
    )
    env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", start], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def junit_outcomes(path: Path) -> dict[str, str]:
    """Each eval item's example id (its JUnit property) -> passed / failed / skipped."""
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        example = junit_properties(case)["example_id"]
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcomes[example] = "failed" if bad else "skipped" if skipped else "passed"
    return outcomes


def whole_rows(path: Path) -> list[dict]:
    rows = []
    for line in path.read_bytes().split(b"\n"):
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # the row the disk cut short
    return rows


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_full_disk_stops_the_run_with_one_message_and_no_unwritten_item_passes(tmp_path, workers):
    env = clean_env(OPENAI_API_KEY=SECRET)
    disk = tmp_path / "disk"
    with (
        FakeLLMServer("openai", reply=answer_from_gold) as server,
        mounted(disk, f"size={DISK_KB}k") as real_disk,
    ):
        config = api_config(tmp_path, server, num_examples=16)
        args = [f"--eval-config={config}", "--eval-cache=off", "--junitxml=junit.xml"]
        args += [f"--eval-report-dir={disk / 'run'}", "-p", "no:randomly", *workers]
        if real_disk:
            done = run_pytest(tmp_path, *args, env=env, timeout=120)
        else:
            done = run_with_file_limit(tmp_path, DISK_KB * 1024, *args, env=env)
        output = done.stdout + done.stderr
        raw = disk / "run" / "api_exp.jsonl"
        written = {str(row["id"]) for row in whole_rows(raw)}
    assert done.returncode == pytest.ExitCode.INTERRUPTED, output
    reason = "No space left on device" if real_disk else "File too large"
    assert output.count(f"cannot write the raw rows to {raw}: {reason}") >= 1, output
    assert "Fix: free space on the disk of" in output and f"--parity-resume={raw.parent}" in output
    assert "Traceback" not in output, output
    outcomes = junit_outcomes(tmp_path / "junit.xml")
    passed = {example for example, outcome in outcomes.items() if outcome == "passed"}
    assert 0 < len(written) < 16 and len(outcomes) < 16  # it stopped, and did not hang
    assert passed <= written  # every item reported passed has its whole row on disk


@pytest.mark.parametrize("which", ["report", "cache"])
def test_a_read_only_directory_is_refused_at_start_up(tmp_path, which):
    env = clean_env(OPENAI_API_KEY=SECRET)
    directory = tmp_path / "locked"
    directory.mkdir()
    with FakeLLMServer("openai", reply=answer_from_gold) as server, read_only(directory):
        config = api_config(tmp_path, server, num_examples=4)
        args = [f"--eval-config={config}", f"--eval-report-dir={tmp_path / 'run'}"]
        if which == "report":
            args[1] = f"--eval-report-dir={directory / 'run'}"
        else:
            args.append(f"--eval-cache-dir={directory / 'cache'}")
        done = run_pytest(tmp_path, *args, env=env, timeout=60)
        sent = len(server.requests)
    output = done.stdout + done.stderr
    assert done.returncode == 4, output  # a usage error, before any request
    assert sent == 0
    if which == "report":
        assert f"cannot write the raw rows and summaries in {directory / 'run'}" in output
        assert f"Fix: make {directory / 'run'} writable, or give --parity-report-dir" in output
    else:
        assert f"cannot write the response cache in {directory / 'cache'}" in output
        assert "--parity-cache=off" in output
    assert "Traceback" not in output, output


def test_a_subset_name_from_the_data_becomes_a_safe_file_name(tmp_path):
    """LongBench rows name their task in ``dataset``; ``a/b`` and ``../x`` must neither hang
    the run nor lose a row nor write outside the run directory, and a resume finds them."""
    rows = [
        {"input": f"Question {i}?", "context": "ctx " * 20, "answers": ["Question"],
         "_id": f"id{i}", "dataset": task, "length": 10}
        for i, task in enumerate(["qasper", "a/b", "../x", "qasper"])
    ]  # fmt: skip
    data = tmp_path / "longbench.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        experiment = {
            "id": "lb",
            "model": {"name": "openai:gpt-4o", "base_url": server.url},
            "dataset": {"name": "longbench", "path": str(data), "num_examples": 4},
            "task": {"name": "rag_qa"},
            "metrics": ["f1"],
        }
        config = write_yaml(tmp_path / "lb.yaml", [experiment])
        args = [f"--eval-config={config}", "--eval-cache=off"]
        first = run_pytest(tmp_path, *args, "--eval-report-dir=run", env=env, timeout=60)
        assert first.returncode == 0, first.stdout + first.stderr
        sent = len(server.requests)
        again = run_pytest(tmp_path, *args, "--eval-resume=run", env=env, timeout=60)
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(server.requests) == sent == 4  # the resume found every row
    assert "0 requests sent, 0 cache hits, 4 resumed" in again.stdout
    files = [path for path in (tmp_path / "run").rglob("*.jsonl")]
    assert all(path.parent == tmp_path / "run" for path in files)
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "lb_..").exists()
    ids = sorted(str(row["id"]) for path in files for row in whole_rows(path))
    assert ids == ["id0", "id1", "id2", "id3"]


PLAIN = re.compile(rf"[A-Za-z0-9_-][A-Za-z0-9_.-]{{0,{MAX_NAME_PART - 1}}}")


@given(st.text(min_size=1), st.text(min_size=1))
def test_any_subset_name_becomes_one_safe_file_name_of_its_own(name, other):
    part = safe_name_part(name)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", part) and len(part) <= MAX_NAME_PART + 9
    assert (part == name) == bool(PLAIN.fullmatch(name))  # a plain name is kept as it is
    assert (part == safe_name_part(other)) == (name == other)


def _scheduler(tmp_path, sink, engine=None, **options) -> RunScheduler:
    engine = engine or Engine(ResponseCache(tmp_path, "off"), Budget(None))
    return RunScheduler(engine, ClientPool(), sink, **options)


def wait_all(scheduler: RunScheduler, cases, timeout_s: float = 30.0) -> list:
    """Every case's record, waited for on a thread: a hang fails the test instead of it."""
    results: list = []
    waiter = threading.Thread(
        target=lambda: results.extend(scheduler.wait(case) for case in cases), daemon=True
    )
    waiter.start()
    waiter.join(timeout_s)
    scheduler.cancel()
    assert not waiter.is_alive(), f"hung after {len(results)} of {len(cases)} results"
    return results


def test_a_sink_that_raises_fails_its_item_and_the_run_goes_on(tmp_path):
    def sink(case, record):
        if case.index in (3, 5):
            raise ValueError("this row cannot be encoded")

    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 12, max_concurrency=2)
        scheduler = _scheduler(tmp_path, sink)
        scheduler.submit(cases)
        results = wait_all(scheduler, cases)
    failed = {r.example_index: r.error for r in results if r.error}
    assert failed == {
        i: "the result could not be recorded: ValueError: this row cannot be encoded"
        for i in (3, 5)
    }
    assert scheduler.stopped is None and len(results) == 12


def test_a_sink_that_always_raises_never_hangs_the_run(tmp_path):
    """Every write fails (the old sender thread died on each): all items fail, none hangs."""

    def sink(case, record):
        raise OSError(28, "No space left on device")

    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 12, max_concurrency=2)
        scheduler = _scheduler(tmp_path, sink)
        scheduler.submit(cases)
        results = wait_all(scheduler, cases)
    assert len(results) == 12 and all(r.error for r in results)


class DyingEngine(Engine):
    """A real engine whose sender thread dies outright (``SystemExit`` from library code)
    while it computes case 2: the case never gets a result from that thread."""

    def run_case(
        self, client, case, requests, compressor=None, compression=None, judge_client=None
    ):
        if case.index == 2:
            raise SystemExit(1)
        return super().run_case(client, case, requests, compressor, compression, judge_client)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_the_watchdog_fails_a_run_whose_sender_thread_died(tmp_path):
    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 6, max_concurrency=1)
        engine = DyingEngine(ResponseCache(tmp_path, "off"), Budget(None))
        scheduler = _scheduler(tmp_path, lambda case, record: None, engine, stall_s=1.0)
        scheduler.submit(cases)
        results = wait_all(scheduler, cases)
    assert [r.error for r in results[:2]] == [None, None]
    assert "parity: no progress for 1 s" in results[2].error
    assert "a sender thread stopped" in results[2].error
    assert all(r.error == scheduler.stopped for r in results[2:])
