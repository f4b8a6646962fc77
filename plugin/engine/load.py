"""Whether the machine was busy during a run: its 1-minute load average, sampled cheaply.

A background thread reads ``os.getloadavg()`` every few seconds (one system call). When the
load average stayed above the core count for most of the samples, latencies measured in this
run come from a busy machine; the run's notes (``summary.json`` and the terminal) say so.
Costs of local models are priced from their compute time, not from latencies.
"""

from __future__ import annotations

import os
import statistics
import threading
from collections.abc import Callable

SAMPLE_EVERY_S = 5.0
BUSY_SHARE = 0.5  # more than this share of the samples above the core count: busy


def read_load() -> float | None:
    """The 1-minute load average, or None where the system has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


class LoadSampler:
    """Samples the load average in a daemon thread from :meth:`start` to :meth:`stop`."""

    def __init__(
        self,
        read: Callable[[], float | None] | None = None,
        cores: int | None = None,
        every_s: float = SAMPLE_EVERY_S,
    ) -> None:
        self._read = read or read_load
        self.cores = cores if cores is not None else (os.cpu_count() or 1)
        self._every_s = every_s
        self.samples: list[float] = []
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        """Take one sample now (skipped where the system has no load average)."""
        load = self._read()
        if load is not None:
            self.samples.append(load)

    def start(self) -> None:
        """Take a first sample and keep sampling in the background until :meth:`stop`."""
        if self._thread is not None:
            return
        self.sample()
        self._thread = threading.Thread(target=self._run, name="parity-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._every_s):
            self.sample()

    def stop(self) -> None:
        """Stop sampling (the samples taken stay)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def busy_note(self) -> str | None:
        """The run's ``busy_machine`` note when the load average stayed above the core count
        for most of the samples; None otherwise. Sampling stops at the first call, so the
        summary files and the terminal, written one after the other, say the same."""
        self.stop()
        if not self.samples:
            return None
        above = sum(load > self.cores for load in self.samples)
        if above <= BUSY_SHARE * len(self.samples):
            return None
        return (
            f"busy_machine: the 1-minute load average stayed above the {self.cores} cores "
            f"in {above} of {len(self.samples)} samples (median "
            f"{statistics.median(self.samples):.1f}): latencies come from a busy machine; "
            "local models' costs are priced from their compute time, not their latency"
        )
