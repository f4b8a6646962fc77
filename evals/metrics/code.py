"""MBPP pass@1: the candidate's code passes every assert of the task.

Reference: Austin et al. 2021 (MBPP) and the Baseweight benchmark: one sample per task, the
task counts as solved when every assert of ``test_list`` holds for the code run after the
dataset's ``test_setup_code``. ``references`` are the assert lines (a setup line, if any, is
passed first with the prefix ``# setup:``).

The asserts are not run in an interpreter the candidate controls. One sandboxed process per
example (:mod:`parity.evals.sandbox`) loads the setup and the candidate's code and answers
calls (:mod:`parity.evals.metrics.code_server`); the trusted process evaluates each assert
(:mod:`parity.evals.metrics.code_asserts`) on the plain data that comes back for the call it
asked. A program that exits, hangs, raises, returns something that is not plain data (a
generator, an object with its own ``__eq__``), or writes anything but a well-formed reply for
the call asked fails the assert. The expected side of an assert is never sent to the sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.code_asserts import CallFailed, Check, holds, parse_assert
from parity.evals.metrics.code_values import read_value, text
from parity.evals.sandbox import (
    Channel,
    Limits,
    sandbox_unavailable_reason,
    serve_confined,
    unsafe_allowed,
)

SETUP_PREFIX = "# setup:\n"
MAX_REPLY_BYTES = 16 * 1024 * 1024
_SERVER = (Path(__file__).parent / "code_server.py").read_text(encoding="utf-8")


def server_program(setup: str, code: str) -> str:
    """The program run in the sandbox: the server, serving setup code then candidate code."""
    program = f"{setup}\n{code}"
    return f"{_SERVER}\n\nserve({program!r})\n"


class _Calls:
    """Asks the sandbox for one call at a time; after a failure, every call fails."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._next_id = 0
        self._broken = False

    def __call__(self, expression: str) -> Any:
        if self._broken:
            raise CallFailed("an earlier call failed")
        self._next_id += 1
        source = expression.encode("utf-8", "surrogatepass").hex()
        reply = self._channel.exchange(f"{self._next_id} {source}".encode(), MAX_REPLY_BYTES)
        try:
            answer = json.loads(reply) if reply is not None else None
            if type(answer) is not list or len(answer) != 3 or answer[0] != self._next_id:
                raise CallFailed("no reply for this call")
            if answer[1] != "ok":
                raise CallFailed(f"the call raised {text(answer[2])[:200]}")
            return read_value(answer[2])
        except (ValueError, TypeError, RecursionError, CallFailed) as error:
            self._broken = True
            raise CallFailed(str(error)) from error


def passes_every_assert(code: str, tests: Sequence[str], unsafe: bool) -> bool:
    """Run the candidate once in the sandbox; True only if every assert holds."""
    setup = "\n".join(t[len(SETUP_PREFIX) :] for t in tests if t.startswith(SETUP_PREFIX))
    checks: list[Check] = [parse_assert(t) for t in tests if not t.startswith(SETUP_PREFIX)]
    with serve_confined(server_program(setup, code), Limits(), unsafe) as channel:
        calls = _Calls(channel)
        return all(holds(check, calls) for check in checks)


def pass_at_1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """1.0 when ``prediction`` passes every assert in ``references``, else 0.0."""
    unsafe = unsafe_allowed()
    if not unsafe:
        reason = sandbox_unavailable_reason()
        if reason:
            raise RuntimeError(
                f"cannot run generated code safely: {reason} (or pass --parity-unsafe-exec)"
            )
    return {"pass_at_1": float(passes_every_assert(prediction, references, unsafe))}


register_metric(
    Metric("pass_at_1", pass_at_1, reference="MBPP (Austin et al. 2021) pass@1", runs_code=True)
)
