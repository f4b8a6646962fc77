"""Collection grows linearly with the number of experiments (issue 27, D5).

10,000 experiments used to collect in 9 s, 20,000 in 34 s and 100,000 in over 400 s:
every experiment's example ids were found by scanning every case. The figures for 10^4
to 10^5 experiments come from ``benchmarks/collection_scale.py`` (``pytest
--collect-only`` in a subprocess); here, smaller sizes check the growth of what a run does
before pytest makes its items: load the config, plan the cases, and take each
experiment's example ids for its setup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.collection_scale import write_config
from parity.analysis.baselines import experiment_setup
from parity.cases.cases import EvalCase, EvalPlan, build_plan
from parity.config.config import load_config, parse_config
from tests.conftest import experiment


class _CountedCases(list[EvalCase]):
    """A list of cases that counts the passes made over it."""

    passes = 0

    def __iter__(self) -> Iterator[EvalCase]:
        self.passes += 1
        return super().__iter__()


def test_every_experiments_example_ids_take_one_pass_over_the_cases():
    config = parse_config([experiment(id=f"e{n}") for n in range(50)], "test.yaml")
    plan = build_plan(config)
    counted = _CountedCases(plan.cases)
    counted_plan = EvalPlan(plan.config, counted)
    ids = {e.id: counted_plan.example_ids(e.id) for e in config.experiments}
    assert counted.passes == 1  # not one per experiment
    assert ids == {e.id: plan.example_ids(e.id) for e in config.experiments}
    assert ids["e0"] == [case.example.id for case in plan.cases if case.experiment.id == "e0"]


def _plan_cpu_s(config: Path) -> float:
    """CPU seconds (less sensitive than wall time to a busy machine) to load and plan
    ``config`` and make every experiment's setup, as a run does at collection."""
    start = time.process_time()
    plan = build_plan(load_config(config))
    for item in plan.config.experiments:
        experiment_setup(item, plan.example_ids(item.id))
    return time.process_time() - start


def test_eight_times_the_experiments_cost_about_eight_times_the_planning(tmp_path):
    """Linear growth gives about 8, quadratic about 64 (the old code: about 40 with its
    linear part); four examples per experiment, as scanning every case grew with both."""
    _plan_cpu_s(write_config(tmp_path / "warm-up.yaml", 10, 4))  # imports, shipped data
    small = _plan_cpu_s(write_config(tmp_path / "small.yaml", 1000, 4))
    large = _plan_cpu_s(write_config(tmp_path / "large.yaml", 8000, 4))
    assert large / small < 16, (small, large)
