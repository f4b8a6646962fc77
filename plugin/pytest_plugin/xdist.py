"""pytest-xdist: the controller's run directory handed to its workers, Parity's partition
scheduler, and what the controller learns once its workers have collected."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from parity.analysis.stats import import_ahead
from parity.cases.nodeids import case_id_of
from parity.pytest_plugin.inspection import inspecting
from parity.pytest_plugin.junit import prefer_xunit1
from parity.pytest_plugin.planning import plan_of
from parity.pytest_plugin.run_dir import prepare_run_dir
from parity.pytest_plugin.state import state_of
from parity.pytest_plugin.workers import partitioned
from parity.pytest_plugin.xdist_scheduling import PartitionScheduling


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """Under xdist the controller writes JUnit: switch its family once eval items exist."""
    params = [param for nodeid in ids if (param := case_id_of(nodeid))]
    if not params:
        return
    prefer_xunit1(node.config)
    state = state_of(node.config)
    if not state.expected_known and not inspecting(node.config):
        state.expected_known = True
        by_id = plan_of(state).by_id
        state.aggregator.expect(
            case.experiment.id for param in params if (case := by_id.get(param)) is not None
        )
        import_ahead()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Check the run directory before any worker runs, and tell each worker where it is."""
    state = state_of(node.config)
    if not inspecting(node.config):
        # The controller collects nothing, so it checks before any worker runs an item
        # (in a session without eval items too; what it made empty is removed at the end).
        prepare_run_dir(state)
    node.workerinput["parity_run_dir"] = str(state.run_dir)
    node.workerinput["parity_partitioned"] = partitioned(node.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``-n N`` (``--dist load``): Parity's scheduler, which gives each worker whole partitions."""
    state = state_of(config)
    if not partitioned(config):
        return None
    return PartitionScheduling(config, log, functools.partial(plan_of, state), state.workers)
