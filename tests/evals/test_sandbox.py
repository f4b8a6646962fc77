"""The MBPP sandbox against correct, wrong and hostile programs."""

import json
import time

import pytest

from parity import score
from parity.evals.sandbox import Limits, run_confined, sandbox_unavailable_reason
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    sandbox_unavailable_reason() is not None,
    reason=f"no confinement here: {sandbox_unavailable_reason()}",
)
FAST = Limits(cpu_s=2, wall_s=4.0)


def mbpp_rows():
    path = REPO / "evals" / "data" / "mbpp" / "test.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_reference_solutions_pass_and_wrong_code_fails():
    rows = mbpp_rows()[:5]
    for row in rows:
        assert score("pass_at_1", row["code"], row["test_list"]) == {"pass_at_1": 1.0}
    wrong = "def remove_Occ(s, ch):\n    return s\n"
    assert score("pass_at_1", wrong, rows[0]["test_list"]) == {"pass_at_1": 0.0}
    assert score("pass_at_1", "def broken(:", rows[0]["test_list"]) == {"pass_at_1": 0.0}


def test_writes_outside_the_work_directory_fail_and_leave_no_trace(tmp_path):
    target = tmp_path / "escape.txt"
    outcome = run_confined(f"open({str(target)!r}, 'w').write('x')", FAST)
    assert not outcome.passed and not target.exists()
    assert not run_confined("open('/usr/escape', 'w')", FAST).passed
    assert run_confined(
        "open('scratch.txt', 'w').write('ok')", FAST
    ).passed  # its own directory works


def test_no_network():
    outcome = run_confined(
        "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)", FAST
    )
    assert not outcome.passed and (
        "Connection refused" in outcome.output or "unreachable" in outcome.output
    )


def test_endless_loop_is_stopped_by_the_limits():
    started = time.monotonic()
    outcome = run_confined("while True:\n    pass", FAST)
    assert not outcome.passed and time.monotonic() - started < 6


def test_fork_bomb_is_contained():
    started = time.monotonic()
    outcome = run_confined("import os\nwhile True:\n    os.fork()", FAST)
    assert not outcome.passed and time.monotonic() - started < 6


def test_memory_output_and_environment_limits(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-must-not-leak")
    assert not run_confined("x = bytearray(2 * 1024**3)", FAST).passed
    assert not run_confined("print('x' * 10**8)", FAST).passed
    env = run_confined("import os\nprint(sorted(os.environ))", FAST)
    assert env.passed and "OPENAI_API_KEY" not in env.output
