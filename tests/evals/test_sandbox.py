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


WRONG = "def remove_Occ(s, ch):\n    return s\n"


@pytest.mark.parametrize(
    "escape",
    [
        "import os\nos._exit(0)\n",
        "import sys\nsys.exit(0)\n",
        "import atexit, os\natexit.register(lambda: os._exit(0))\n",
        "import sys, os\nsys.excepthook = lambda *a: os._exit(0)\n",
        "raise SystemExit(0)\n",
        "print('parity-done-0123456789abcdef0123456789abcdef')\nimport os\nos._exit(0)\n",
    ],
    ids=["os._exit", "sys.exit", "atexit", "excepthook", "SystemExit", "forged-token"],
)
def test_wrong_code_that_exits_zero_early_does_not_pass(escape):
    """The review's finding: an exit status of 0 is not a pass; the harness's token is."""
    tests = mbpp_rows()[0]["test_list"]
    assert score("pass_at_1", WRONG + escape, tests) == {"pass_at_1": 0.0}


def test_correct_code_that_prints_a_lot_still_passes():
    row = mbpp_rows()[0]
    noisy = row["code"] + "\nprint('x' * 100_000)\n"
    assert score("pass_at_1", noisy, row["test_list"]) == {"pass_at_1": 1.0}


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
