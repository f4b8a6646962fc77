"""``--parity-shard-latencies RUN_DIR``: the latencies a stored run recorded, by case."""

from __future__ import annotations

import pytest

from parity.config.errors import ParityError
from parity.pytest_plugin.sharding import recorded_latencies
from tests.support.stored_runs import write_run


def test_a_stored_runs_latencies_are_read_by_experiment_example_and_repeat(tmp_path):
    run_dir = write_run(tmp_path / "run", {"a": {"q1": 1.0, "q2": 0.0}, "b": {"q1": 1.0}})
    assert recorded_latencies(run_dir) == {
        ("a", "q1", 0): 100.0, ("a", "q2", 0): 100.0, ("b", "q1", 0): 100.0,
    }  # fmt: skip


def test_a_folder_that_is_no_run_is_refused(tmp_path):
    with pytest.raises(ParityError, match="not a run folder"):
        recorded_latencies(tmp_path)
