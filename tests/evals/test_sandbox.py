"""The MBPP sandbox against correct, wrong and hostile programs."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from parity import score
from parity.evals.datasets.mbpp import MBPP
from parity.evals.sandbox import Limits, run_confined, sandbox_unavailable_reason
from parity.evals.sandbox_groups import groups_unavailable_reason
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


def test_every_shipped_reference_passes_and_a_mutant_of_each_fails():
    """All shipped MBPP rows, through the loader (setup code included): the reference code
    passes, and the same code with its function replaced by one answering None fails."""
    examples = [MBPP().convert(row, i) for i, row in enumerate(mbpp_rows())]
    for example in examples:
        code = example.metadata["reference_code"]
        name = re.match(r"assert\s+(\w+)", example.metadata["first_test"]).group(1)
        mutant = f"{code}\n\ndef {name}(*args, **kwargs):\n    return None\n"
        assert score("pass_at_1", code, example.answers) == {"pass_at_1": 1.0}, example.id
        assert score("pass_at_1", mutant, example.answers) == {"pass_at_1": 0.0}, example.id


TREE_SETUP = """# setup:
class Node:
    def __init__(self, data):
        self.data, self.left, self.right = data, None, None
root = Node(1)
root.left = Node(2)
root.left.left = Node(3)
"""
OTHER_FORMS = [
    # (tests, reference code, wrong code): forms of the full MBPP beyond the shipped rows
    (
        [TREE_SETUP, "assert max_height(root) == 3"],
        "def max_height(node):\n    if node is None:\n        return 0\n"
        "    return 1 + max(max_height(node.left), max_height(node.right))\n",
        "def max_height(node):\n    return 2\n",
    ),
    (
        ["assert max_chain_length([Pair(5, 24), Pair(15, 25), Pair(27, 40)], 3) == 2"],
        "class Pair:\n    def __init__(self, a, b):\n        self.a, self.b = a, b\n"
        "def max_chain_length(pairs, n):\n    end, count = float('-inf'), 0\n"
        "    for p in sorted(pairs, key=lambda p: p.b):\n        if p.a > end:\n"
        "            end, count = p.b, count + 1\n    return count\n",
        "class Pair:\n    def __init__(self, a, b):\n        self.a, self.b = a, b\n"
        "def max_chain_length(pairs, n):\n    return n\n",
    ),
    (
        ["assert math.isclose(area(2), 12.566, rel_tol=0.001)"],
        "import math\ndef area(r):\n    return math.pi * r * r\n",
        "def area(r):\n    return 12.0\n",
    ),
    (
        ["assert set(similar((3, 4, 5, 6), (5, 7, 4, 10))) == set((4, 5))"],
        "def similar(a, b):\n    return tuple(set(a) & set(b))\n",
        "def similar(a, b):\n    return (4, 5, 6)\n",
    ),
    (
        ["assert list(squares([1, 2, 3])) == [1, 4, 9]"],
        "def squares(xs):\n    return map(lambda x: x * x, xs)\n",
        "def squares(xs):\n    return map(lambda x: x + x, xs)\n",
    ),
]


@pytest.mark.parametrize(("tests", "reference", "wrong"), OTHER_FORMS)
def test_setup_code_classes_isclose_set_and_conversions_are_checked(tests, reference, wrong):
    assert score("pass_at_1", reference, tests) == {"pass_at_1": 1.0}
    assert score("pass_at_1", wrong, tests) == {"pass_at_1": 0.0}


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
        "import sys, os\nsys.stdout.write('\\n' + sys.stdin.readline())\nsys.stdout.flush()\nos._exit(0)\n",
        "import os\nos.write(1, b'\\n' + os.read(0, 4096))\nos._exit(0)\n",
        "import sys\ntry:\n    pass\nfinally:\n    print()\n    print(sys.stdin.readline())\n"
        "    raise SystemExit(0)\n",
    ],
    ids=[
        "os._exit", "sys.exit", "atexit", "excepthook", "SystemExit", "forged-token",
        "A1-reads-the-token-readline", "A1-reads-the-token-os.read", "A1-token-in-finally",
    ],
)  # fmt: skip
def test_wrong_code_that_exits_zero_early_does_not_pass(escape):
    """The review's finding: an exit status of 0 is not a pass; the harness's token is."""
    tests = mbpp_rows()[0]["test_list"]
    assert score("pass_at_1", WRONG + escape, tests) == {"pass_at_1": 0.0}


SKIP_ASSERTS = """
import linecache, sys
def _skip(frame, event, arg):
    def is_assert(number):
        text = linecache.getline(frame.f_code.co_filename, number).strip()
        return text.startswith("assert") or (text == "" and number < len(linecache.getlines(frame.f_code.co_filename)))
    if event == "line" and is_assert(frame.f_lineno):
        target = frame.f_lineno
        while is_assert(target):
            target += 1
        frame.f_lineno = target
    return _skip
sys._getframe().f_trace = _skip
sys.settrace(_skip)
"""
ALWAYS_EQUAL = """
class _Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
def remove_Occ(s, ch):
    return _Anything(s)
"""
FORGED_REPLIES = """
import os
for fd in range(3, 64):
    for n in range(1, 4):
        try:
            os.write(fd, b'[%d, "ok", ["S", "%s"]]\\n' % (n, "forged".encode().hex().encode()))
        except OSError:
            break
"""


@pytest.mark.parametrize(
    "code",
    [WRONG + SKIP_ASSERTS, ALWAYS_EQUAL, WRONG + FORGED_REPLIES, "def remove_Occ(s, ch):\n    yield s\n"],
    ids=["A2-trace-hook-skips-asserts", "A3-eq-always-true", "replies-forged-on-every-fd", "generator"],
)  # fmt: skip
def test_wrong_code_that_subverts_its_interpreter_does_not_pass(code):
    """The asserts run in the trusted process on plain data: a trace hook has no assert to
    skip, an object with its own __eq__ is not plain data, and a forged reply holds only a
    value the program chose, which a wrong program gets wrong."""
    tests = mbpp_rows()[0]["test_list"]
    assert score("pass_at_1", code, tests) == {"pass_at_1": 0.0}


COLLIDING_REPLY = """
import __main__
M = (1 << 61) - 1
__main__.eval = lambda *a, **k: 0
__main__.plain = lambda v: ["E", [["I", k * M] for k in range(1, {count})]]
"""


@pytest.mark.parametrize("count", [50_000, 300_000])
def test_a_reply_crafted_to_collide_in_a_set_fails_quickly(count):
    """The red team's finding: a set of multiples of 2**61 - 1 (one hash) took minutes to
    read, in C, holding the GIL; it is refused, for the item alone, in seconds. Counted in
    this thread's CPU time (where the reply is read), which a loaded machine does not inflate:
    the old reader spent 70 s of it on 50,000 values."""
    start = time.thread_time()
    code = COLLIDING_REPLY.format(count=count)
    assert score("pass_at_1", code, mbpp_rows()[0]["test_list"]) == {"pass_at_1": 0.0}
    assert time.thread_time() - start < 5


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


MEMORY_OVER_CHILDREN = """
import os, time
ready_read, ready_write = os.pipe()
for _ in range(4):
    if os.fork() == 0:
        block = b"x" * (300 * 1024 * 1024)  # touched, so resident
        os.write(ready_write, b"+")
        time.sleep(2)
        os._exit(0)
os.close(ready_write)
held = 0
deadline = time.monotonic() + 4
while held < 4 and time.monotonic() < deadline:
    chunk = os.read(ready_read, 4)
    if not chunk:
        break
    held += len(chunk)
print("children holding 300 MB at once:", held)
raise SystemExit(0 if held == 4 else 1)
"""
NO_GROUPS = groups_unavailable_reason()


@pytest.mark.skipif(NO_GROUPS is not None, reason=f"no control group per run here: {NO_GROUPS}")
def test_memory_spread_over_forked_children_is_bounded_in_total():
    """A8: four children of 300 MB each stay under the 512 MB per-process limit, but the
    run's control group bounds their sum, so they are never all alive at once."""
    outcome = run_confined(MEMORY_OVER_CHILDREN, Limits(cpu_s=8, wall_s=10.0))
    assert not outcome.passed, outcome.output


FILL_THE_PROCESS_TABLE = """
import os, sys, time
count = 0
try:
    while count < 100:
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(4)", MARK])
        count += 1
except OSError:
    pass
print("forked", count, flush=True)
time.sleep(4)
"""
FORK_ONCE = "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\n"


def _processes_marked(mark: str) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            count += (entry / "cmdline").read_bytes().endswith(mark.encode() + b"\0")
        except OSError:
            continue
    return count


@pytest.mark.skipif(
    NO_GROUPS is not None and os.getuid() != 0,
    reason=f"neither a control group per run ({NO_GROUPS}) nor root for a uid per run",
)
def test_a_fork_bomb_does_not_take_the_next_sandboxes_processes():
    """A6: a run that fills its process limit and holds it leaves the next run free to fork;
    the limit is per run, not per host uid, and the full run itself stays within it."""
    mark = f"parity-fill-{os.getpid()}-{time.time_ns()}"
    program = f"MARK = {mark!r}\n{FILL_THE_PROCESS_TABLE}"
    full: list = []
    neighbour = threading.Thread(
        target=lambda: full.append(run_confined(program, Limits(wall_s=9.0)))
    )
    neighbour.start()
    deadline, seen, steady_since = time.monotonic() + 6, 0, time.monotonic()
    while time.monotonic() < deadline:  # until the neighbour is full: 20+, and no more
        time.sleep(0.05)
        count = _processes_marked(mark)
        if count != seen:
            seen, steady_since = count, time.monotonic()
        elif seen >= 20 and time.monotonic() - steady_since > 0.3:
            break
    outcome = run_confined(FORK_ONCE, FAST)
    neighbour.join()
    assert outcome.passed, outcome.output
    forked = int(full[0].output.split()[-1])
    assert 20 <= forked < Limits().processes


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
