"""A progress line for long runs: done/total per experiment, requests in flight, retries,
cache hits and spend, written while an item waits for its result."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import pytest

from parity.engine.runtime import EvalRuntime
from parity.engine.scheduler import OnWait

DEFAULT_INTERVAL_S = 30.0


def status_line(runtime: EvalRuntime) -> str:
    """One line describing the run right now."""
    scheduler = runtime.scheduler
    engine = runtime.engine
    parts = [
        f"{experiment} {p.done}/{p.total}" + (f" ({p.failed} failed)" if p.failed else "")
        for experiment, p in scheduler.progress.items()
    ]
    lanes = engine.lanes()
    retries = sum(lane.retries for lane in lanes)
    throttled = sum(lane.flow.throttled for lane in lanes)
    cached = sum(p.cached for p in scheduler.progress.values())
    line = f"parity: {', '.join(parts)} | {scheduler.in_flight()} in flight, {retries} retries"
    if throttled:
        line += f", {throttled} throttled"
    line += f", {cached} cached"
    if engine.budget.spent_usd:
        line += f", ${engine.budget.spent_usd:.4f} spent"
    if any(lane.breaker.is_open for lane in lanes):
        waiting = [lane.key.label() for lane in lanes if lane.breaker.is_open]
        line += f" | waiting for {', '.join(waiting)} to recover"
    return line


class ProgressDisplay:
    """Writes :func:`status_line` to the terminal at most every ``interval_s`` seconds while
    an item is waiting (the dots alone say nothing during a slow first result)."""

    def __init__(
        self,
        config: pytest.Config,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.interval_s = interval_s
        self._clock = clock
        self._last = clock()

    def waiter(self, runtime: EvalRuntime) -> OnWait:
        """What an item runs while it waits."""

        def tick() -> None:
            if self.interval_s <= 0:
                return
            now = self._clock()
            if now - self._last < self.interval_s:
                return
            self._last = now
            plugins = self.config.pluginmanager
            reporter: Any = plugins.get_plugin("terminalreporter")
            if reporter is None or self.config.option.verbose < 0:
                return
            capture: Any = plugins.get_plugin("capturemanager")
            # The item is running, so pytest is capturing output: step outside the capture.
            with capture.global_and_fixture_disabled() if capture else nullcontext():
                reporter.ensure_newline()
                reporter.write_line(status_line(runtime))

        return OnWait(self.interval_s, tick)
