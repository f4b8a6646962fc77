"""MBPP pass@1: the generated program passes every assert of the task, run in the sandbox.

Reference: Austin et al. 2021 (MBPP) and the Baseweight benchmark: one sample per task, the
task counts as solved when the code followed by the dataset's ``test_setup_code`` and
``test_list`` asserts exits with status 0. Code runs only under OS-level confinement
(:mod:`parity.evals.sandbox`); ``references`` are the assert lines (a setup line, if any,
is passed first with the prefix ``# setup:``).
"""

from __future__ import annotations

from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.sandbox import run_confined, sandbox_unavailable_reason, unsafe_allowed

SETUP_PREFIX = "# setup:\n"


def build_program(code: str, tests: Sequence[str]) -> str:
    """The program that is run: setup code, the candidate code, then the asserts."""
    setup = [t[len(SETUP_PREFIX) :] for t in tests if t.startswith(SETUP_PREFIX)]
    asserts = [t for t in tests if not t.startswith(SETUP_PREFIX)]
    return "\n".join([*setup, code, "", *asserts, ""])


def pass_at_1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """1.0 when ``prediction`` passes every assert in ``references``, else 0.0."""
    unsafe = unsafe_allowed()
    if not unsafe:
        reason = sandbox_unavailable_reason()
        if reason:
            raise RuntimeError(
                f"cannot run generated code safely: {reason} (or pass --eval-unsafe-exec)"
            )
    return {
        "pass_at_1": float(
            run_confined(build_program(prediction, references), unsafe=unsafe).passed
        )
    }


register_metric(Metric("pass_at_1", pass_at_1, reference="MBPP (Austin et al. 2021) pass@1"))
