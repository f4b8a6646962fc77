"""The exports' outcomes (MLflow, a Hugging Face dataset): a line each after the parity
summary, and a failed export fails the run."""

from __future__ import annotations

from typing import Any

import pytest

from parity.report.exports import outcomes_of


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A failed export makes a passing run exit 1: it was asked for and did not happen."""
    failed = any(outcome.failed for outcome in outcomes_of(session.config))
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line per export, after the parity summary."""
    for outcome in outcomes_of(config):
        terminalreporter.write_line(outcome.line, red=outcome.failed, yellow=outcome.skipped)
