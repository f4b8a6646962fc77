"""Failed gates in pytest's final line, under their own name: ``5 passed, 1 gate failed``.

Gates are no collected items: pytest's "collected 5 items" and its "5 passed" count the
same items, and a gate is a JUnit test case and a line of the parity summary. A failed gate
fails the run, so the final line names it beside the items' counts, as pytest names
``warnings`` or ``deselected``, and a reader sees why the exit status is 1.
"""

from __future__ import annotations

import pytest


def gate_failures_key(failed: int) -> str:
    """The final line's word for ``failed`` gates: ``1 gate failed``, ``2 gates failed``."""
    return "gate failed" if failed == 1 else "gates failed"


def count_failed_gates(config: pytest.Config, failed: list[pytest.TestReport]) -> None:
    """Name the failed gates' call reports in pytest's final line (nothing when none failed,
    or without a terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and failed:
        reporter.stats.setdefault(gate_failures_key(len(failed)), []).extend(failed)
