"""MBPP pass@1: the generated program passes every assert of the task, run in the sandbox.

Reference: Austin et al. 2021 (MBPP) and the Baseweight benchmark: one sample per task, the
task counts as solved when the code followed by the dataset's ``test_setup_code`` and
``test_list`` asserts runs to the end. "Runs to the end" is decided by the harness, not by
the exit status alone: after the last assert the program echoes a random one-time token that
it reads from its standard input, so code that exits with status 0 early (``os._exit(0)``,
``sys.exit(0)`` before the asserts, an ``atexit`` handler or an ``excepthook`` that exits 0)
does not pass. Code runs only under OS-level confinement (:mod:`parity.evals.sandbox`);
``references`` are the assert lines (a setup line, if any, is passed first with the prefix
``# setup:``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.sandbox import run_confined, sandbox_unavailable_reason, unsafe_allowed

SETUP_PREFIX = "# setup:\n"
# The last statement of every program: echo the token the harness sent on standard input.
COMPLETION_ECHO = (
    "import sys as _parity_sys\n"
    "_parity_sys.stdout.write('\\n' + _parity_sys.stdin.readline())\n"
    "_parity_sys.stdout.flush()\n"
)


def build_program(code: str, tests: Sequence[str]) -> str:
    """The program that is run: setup code, the candidate code, the asserts, then the echo
    of the completion token."""
    setup = [t[len(SETUP_PREFIX) :] for t in tests if t.startswith(SETUP_PREFIX)]
    asserts = [t for t in tests if not t.startswith(SETUP_PREFIX)]
    return "\n".join([*setup, code, "", *asserts, COMPLETION_ECHO])


def ran_to_the_end(code: str, tests: Sequence[str], unsafe: bool) -> bool:
    """Run the program once with a fresh token; True only if it exited 0 after echoing it."""
    token = f"parity-done-{secrets.token_hex(16)}"
    outcome = run_confined(build_program(code, tests), unsafe=unsafe, stdin=token + "\n")
    return outcome.passed and outcome.tail.rstrip().endswith(token)


def pass_at_1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """1.0 when ``prediction`` passes every assert in ``references``, else 0.0."""
    unsafe = unsafe_allowed()
    if not unsafe:
        reason = sandbox_unavailable_reason()
        if reason:
            raise RuntimeError(
                f"cannot run generated code safely: {reason} (or pass --eval-unsafe-exec)"
            )
    return {"pass_at_1": float(ran_to_the_end(prediction, references, unsafe))}


register_metric(
    Metric("pass_at_1", pass_at_1, reference="MBPP (Austin et al. 2021) pass@1", runs_code=True)
)
