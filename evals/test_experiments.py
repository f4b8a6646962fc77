"""The experiment test: Parity parametrizes it with one item per (experiment, example).

Plain ``pytest`` collects it from the named eval config file (node ids under the config,
:mod:`parity.pytest_plugin.config_file`); ``--pyargs parity.evals`` collects it from here.
"""

from __future__ import annotations

import pytest

from parity.cases.cases import EvalCase
from parity.pytest_plugin import progress_waiter, record_result, runtime_for


def test_example(eval_case: EvalCase, request: pytest.FixtureRequest) -> None:
    """Record the example's scores, latency, tokens and cost; fail only on a model error
    or a missed item-level floor (a low score alone is data, not a failure).

    The record goes straight to the item (JUnit properties and the report the controller
    aggregates): this test runs once per example, and every fixture it asks for costs time
    on each of them.
    """
    config = request.config
    record = runtime_for(config).result_for(eval_case, progress_waiter(config))
    record_result(request.node, record)
    if record.skip_reason:
        pytest.skip(record.skip_reason)
    failure = record.failure(eval_case.experiment.item_thresholds)
    if failure:
        pytest.fail(failure, pytrace=False)
