"""What the experiment test and the fixtures take from this process's state: its runtime,
its ``parity_model`` and the wait that shows progress."""

from __future__ import annotations

import pytest

from parity.engine.runtime import EvalRuntime
from parity.engine.scheduler import OnWait
from parity.fixtures.pipeline_model import ParityModel
from parity.pytest_plugin.planning import runtime_of
from parity.pytest_plugin.state import state_of


def runtime_for(config: pytest.Config) -> EvalRuntime:
    """The :class:`EvalRuntime` of this pytest process (used by the ``eval_runtime`` fixture)."""
    return runtime_of(state_of(config))


def parity_model_for(config: pytest.Config) -> ParityModel:
    """The ``parity_model`` client of this pytest process."""
    return state_of(config).parity_model


def progress_waiter(config: pytest.Config) -> OnWait:
    """What an item runs while it waits for its result (writes the progress line)."""
    state = state_of(config)
    return state.progress.waiter(runtime_of(state))
