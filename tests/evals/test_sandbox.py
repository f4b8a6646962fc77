"""The MBPP sandbox against correct, wrong and hostile programs."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from parity import score
from parity.evals.sandbox import Limits, run_confined, sandbox_unavailable_reason
from tests.conftest import REPO

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        sandbox_unavailable_reason() is not None,
        reason=f"no confinement here: {sandbox_unavailable_reason()}",
    ),
]
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


EVERY_ENVIRON = """
import glob
for path in glob.glob('/proc/[0-9]*/environ'):
    try:
        print(path, open(path, 'rb').read())
    except OSError as error:
        print(path, 'unreadable', error.errno)
"""
NAMESPACES = """
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
for flag in (0x10000000, 0x00020000, 0x40000000):  # CLONE_NEWUSER, NEWNS, NEWNET
    assert libc.unshare(flag) == -1 and ctypes.get_errno() == errno.EPERM, hex(flag)
print('refused')
"""
FILL_THE_DISK = """
import errno, os
written = 0
for place in ('/work', '/tmp', '/dev/shm'):
    for n in range(200):
        try:
            with open(f'{place}/f{n}', 'wb') as f:
                for _ in range(4):
                    f.write(b'x' * 256 * 1024)
                    written += 256 * 1024
        except OSError as e:
            assert e.errno in (errno.ENOSPC, errno.EFBIG), e
            break
print('written', written)
"""


def test_no_process_in_the_sandbox_exposes_the_parent_environment(monkeypatch):
    """bwrap itself starts with an empty environment: its /proc/<pid>/environ, readable by
    a non-root sandbox user, holds no key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-must-not-leak")
    outcome = run_confined(EVERY_ENVIRON, FAST)
    assert outcome.passed and "/proc/1/environ" in outcome.output
    assert "sk-secret-must-not-leak" not in outcome.output


def test_the_program_cannot_create_namespaces():
    outcome = run_confined(NAMESPACES, FAST)
    assert outcome.passed and "refused" in outcome.output, outcome.output


def test_total_bytes_written_are_capped():
    outcome = run_confined(FILL_THE_DISK, Limits(cpu_s=4, wall_s=8.0))
    assert outcome.passed, outcome.output
    written = int(outcome.output.split()[-1])
    assert 3 * 1024**2 <= written <= 3 * Limits().scratch_bytes + 1024**2


AS_NOBODY = """set -e
keep=$(mktemp -d)
mount --bind /root/.pyenv "$keep"
mount -t tmpfs -o mode=755 tmpfs /root
mkdir /root/.pyenv
mount --move "$keep" /root/.pyenv
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
"""


@pytest.mark.skipif(
    os.getuid() != 0 or shutil.which("unshare") is None or shutil.which("setpriv") is None,
    reason="needs root to start the check as nobody (unshare -m + setpriv)",
)
def test_as_a_non_root_user_no_key_leaks_and_no_namespace_is_created(tmp_path):
    """The review's setting: Parity itself run by an ordinary user (the sandbox then uses a
    user namespace instead of dropping from root to nobody)."""
    script = tmp_path / "as_nobody.sh"
    script.write_text(AS_NOBODY)
    program = (
        "from parity.evals.sandbox import run_confined, Limits\n"
        f"a = run_confined({EVERY_ENVIRON!r}, Limits(cpu_s=2, wall_s=4.0))\n"
        f"b = run_confined({NAMESPACES!r}, Limits(cpu_s=2, wall_s=4.0))\n"
        "import os; print(os.getuid(), a.passed, b.passed, b.output.strip()); print(a.output)\n"
    )
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-secret-must-not-leak",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        ["unshare", "-m", "sh", str(script), sys.executable, "-c", program],
        env=env, capture_output=True, text=True, timeout=60, cwd="/",
    )  # fmt: skip
    if result.returncode != 0 and "Operation not permitted" in result.stderr:
        pytest.skip(f"cannot make a mount namespace here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == "65534 True True refused"
    assert "sk-secret-must-not-leak" not in result.stdout
