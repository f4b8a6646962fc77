"""The plugin's start and end in a pytest process: its state made and registered with the
reporters, and everything it opened closed (or cancelled on Ctrl-C)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.config.errors import ParityError
from parity.config.extensions import hook_implementers
from parity.evals.sandbox import allow_unconfined
from parity.marked.marker import register_marker
from parity.pytest_plugin.options import check_config_argument
from parity.pytest_plugin.results import ReportFeed, record_result
from parity.pytest_plugin.run_dir import refuse_earlier_rows, release_run_dir, run_dir_for
from parity.pytest_plugin.sharding import PLUGIN_NAME as SHARD_PLUGIN
from parity.pytest_plugin.sharding import register_shard
from parity.pytest_plugin.state import STATE, STATES, ParityState
from parity.pytest_plugin.workers import controller_workers
from parity.report.reporters import builtin_reporters


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``parity`` marker; make this process's state and register it, the
    reporters and the marked tests' plugin."""
    check_config_argument(config)
    register_marker(config)
    _register_reporters(config)
    state = _new_state(config)
    config.stash[STATE] = state
    STATES.add(state)
    if not state.is_worker:
        state.load.start()
    allow_unconfined(bool(config.getoption("eval_unsafe_exec")))
    config.pluginmanager.register(ReportFeed(state), "parity-state")
    config.pluginmanager.register(state.pipelines, "parity-pipelines")
    register_shard(config, state)


def _new_state(config: pytest.Config) -> ParityState:
    """An xdist worker writes where its controller decided; a serial run or a controller
    names its run directory (refusing one that holds an earlier run's rows)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        run_dir = Path(workerinput["parity_run_dir"])
        workers = int(workerinput.get("workercount", 1))
        partitioned = bool(workerinput.get("parity_partitioned"))
        return ParityState(config, run_dir, workers, record_result, partitioned)
    run_dir = run_dir_for(config)
    workers = controller_workers(config)
    refuse_earlier_rows(config, run_dir)
    return ParityState(config, run_dir, workers, record_result)


def _register_reporters(config: pytest.Config) -> None:
    """The built-in reporters and every installed extension that implements Parity hooks."""
    try:
        extensions = hook_implementers()
    except ParityError as exc:
        raise pytest.UsageError(str(exc)) from None
    reporters = {**builtin_reporters(), **extensions}
    for name, module in reporters.items():
        label = f"parity-reporter-{name}"
        if not config.pluginmanager.has_plugin(label):
            config.pluginmanager.register(module, label)


def pytest_keyboard_interrupt() -> None:
    """Ctrl-C: stop starting new requests at once (those in flight are abandoned)."""
    for state in STATES:
        if state.runtime is not None:
            state.runtime.scheduler.cancel()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close what the run opened, release its run directory and unregister its state."""
    allow_unconfined(False)
    state = config.stash.get(STATE, None)
    if state is None:
        return
    state.load.stop()
    if state.runtime is not None:
        state.runtime.close()
    state.parity_model.close()
    state.clients.close()
    state.close_pipeline_writer()
    if state.engine is not None:
        state.engine.close()
    if state.cache is not None:
        state.cache.close()
    release_run_dir(state)
    STATES.discard(state)
    feed = config.pluginmanager.get_plugin("parity-state")
    if feed is not None:
        config.pluginmanager.unregister(feed)
        config.pluginmanager.unregister(state.pipelines)
        shard = config.pluginmanager.get_plugin(SHARD_PLUGIN)
        if shard is not None:
            config.pluginmanager.unregister(shard)
