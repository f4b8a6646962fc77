"""The fault-injection suite: interruptions, lost workers, damaged files, provider bursts,
leaked keys, hostile generated code and broken input, each asserting the outcome.

Run it alone with ``pytest tests -m faults`` (it also runs in ``.ci/run``). Every test in
this folder carries the ``faults`` marker, as do the hostile-program tests of the sandbox
(``tests/evals/test_sandbox.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.faults)
