"""The experiment test: Parity parametrizes it with one item per (experiment, example)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from parity.cases import EvalCase
from parity.pytest_plugin import progress_waiter
from parity.runtime import EvalRuntime


def test_example(
    eval_case: EvalCase,
    eval_runtime: EvalRuntime,
    pytestconfig: pytest.Config,
    record_property: Callable[[str, Any], None],
) -> None:
    """Record the example's scores, latency, tokens and cost; fail only on a model error
    or a missed item-level floor (a low score alone is data, not a failure)."""
    result = eval_runtime.result_for(eval_case, progress_waiter(pytestconfig))
    for name, value in result.properties():
        record_property(name, value)
    if result.skip_reason:
        pytest.skip(result.skip_reason)
    failure = result.failure(eval_case.experiment.item_thresholds)
    if failure:
        pytest.fail(failure, pytrace=False)
