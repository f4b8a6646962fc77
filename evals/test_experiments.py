"""The experiment test: Parity parametrizes it with one item per (experiment, example)."""

from __future__ import annotations

import pytest

from parity.cases import EvalCase
from parity.pytest_plugin import progress_waiter, runtime_for


def test_example(eval_case: EvalCase, request: pytest.FixtureRequest) -> None:
    """Record the example's scores, latency, tokens and cost; fail only on a model error
    or a missed item-level floor (a low score alone is data, not a failure).

    Properties go straight to ``user_properties`` (what ``record_property`` does): this test
    runs once per example, and every fixture it asks for costs time on each of them.
    """
    config = request.config
    result = runtime_for(config).result_for(eval_case, progress_waiter(config))
    request.node.user_properties.extend(result.properties())
    if result.skip_reason:
        pytest.skip(result.skip_reason)
    failure = result.failure(eval_case.experiment.item_thresholds)
    if failure:
        pytest.fail(failure, pytrace=False)
