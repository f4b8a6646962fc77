"""The busy-machine note: the 1-minute load average above the core count for most of a run."""

from __future__ import annotations

import time

from parity.engine.load import LoadSampler


def sampler(*loads: float, cores: int = 2) -> LoadSampler:
    readings = iter(loads)
    load = LoadSampler(read=lambda: next(readings), cores=cores)
    for _ in loads:
        load.sample()
    return load


def test_a_load_above_the_cores_for_most_samples_is_a_busy_machine():
    note = sampler(3.0, 4.5, 2.5, 1.0).busy_note()
    assert note is not None and note.startswith("busy_machine: ")
    assert "above the 2 cores in 3 of 4 samples (median 2.8)" in note
    assert "latencies come from a busy machine" in note


def test_a_load_above_the_cores_for_half_the_run_or_less_is_not():
    assert sampler(3.0, 3.0, 1.0, 2.0).busy_note() is None  # 2.0 is not above 2 cores
    assert sampler(1.9, 0.5).busy_note() is None
    assert sampler().busy_note() is None  # no load average on this system: no note


def test_the_sampler_reads_in_the_background_until_stopped():
    readings: list[float] = []

    def read() -> float:
        readings.append(5.0)
        return 5.0

    load = LoadSampler(read=read, cores=4, every_s=0.01)
    load.start()
    deadline = time.monotonic() + 10
    while len(readings) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    load.stop()
    taken = len(load.samples)
    time.sleep(0.05)
    assert taken >= 3 and len(load.samples) == taken
    assert load.busy_note() is not None


def test_the_note_stops_sampling_so_the_summary_and_the_terminal_say_the_same():
    load = LoadSampler(read=lambda: 5.0, cores=4, every_s=0.01)
    load.start()
    first = load.busy_note()  # written into summary.json
    time.sleep(0.1)  # samples the background thread would have taken meanwhile
    assert load.busy_note() == first  # then printed in the terminal
