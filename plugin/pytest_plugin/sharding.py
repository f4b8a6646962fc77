"""``--parity-shard k/N`` in a pytest session: the shard plan computed (the same in every
shard job and xdist worker), the other shards' cases deselected as ``-k`` deselects, and
``shard.json`` written beside the run's raw rows for ``python -m parity merge``.

Config cases are planned by :mod:`parity.cases.shards`; every other item (a Python test, a
``@pytest.mark.parity`` test) runs in shard 1 alone. A shard evaluates no gate: the merge
does, once, over every shard's rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parity.cases.nodeids import case_id_of
from parity.cases.shards import (
    CaseKey,
    Shard,
    ShardPlan,
    case_costs,
    case_key,
    parse_shard,
    plan_shards,
)
from parity.config.errors import ParityError
from parity.engine.runtime import raw_file_stem
from parity.pytest_plugin.collection import eval_case_of
from parity.pytest_plugin.finish import narrowed_by
from parity.pytest_plugin.inspection import inspecting
from parity.pytest_plugin.planning import plan_of
from parity.pytest_plugin.run_dir import prepare_run_dir
from parity.pytest_plugin.state import ParityState
from parity.record.shard_manifest import (
    NOT_RUN,
    ShardCase,
    ShardManifest,
    StoredOutcome,
    config_sha256,
    write_manifest,
)
from parity.report.stored_runs import load_records, load_run

PLUGIN_NAME = "parity-shard"


def recorded_latencies(run_dir: Path) -> dict[CaseKey, float]:
    """Each case's latency in the stored run at ``run_dir`` (``--parity-shard-latencies``)."""
    run = load_run(run_dir)
    return {
        case_key(experiment_id, record.example_id, record.repeat): record.latency_ms
        for experiment_id in run.experiments
        for record in load_records(run, experiment_id)
    }


class ShardPlugin:
    """The shard's hooks, registered in every process of a ``--parity-shard`` session."""

    def __init__(self, state: ParityState, shard: Shard) -> None:
        self.state = state
        self.shard = shard
        self._plan: ShardPlan | None = None
        self.status: dict[str, str] = {}  # case id -> passed, failed, skipped

    def plan(self) -> ShardPlan:
        """The shard plan over every case of the config, made once per process."""
        if self._plan is None:
            cases = plan_of(self.state).cases
            option = self.state.config.getoption("eval_shard_latencies")
            latencies = recorded_latencies(Path(option)) if option else {}
            costs = case_costs(cases, latencies)
            self._plan = plan_shards([c.id for c in cases], costs, self.shard.count)
        return self._plan

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Keep this shard's config cases (and, in shard 1, every other item); report the
        rest as deselected."""
        if not items:
            return
        try:
            mine = self.plan().assigned(self.shard.index) if self._has_cases(items) else set()
        except ParityError as exc:
            raise pytest.UsageError(str(exc)) from None
        kept: list[pytest.Item] = []
        others: list[pytest.Item] = []
        for item in items:
            case = eval_case_of(item)
            keep = case.id in mine if case is not None else self.shard.index == 1
            (kept if keep else others).append(item)
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = kept

    @staticmethod
    def _has_cases(items: list[pytest.Item]) -> bool:
        return any(eval_case_of(item) is not None for item in items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Note each config case's outcome (its call, or its skip at setup)."""
        if report.when == "call" or (report.when == "setup" and report.skipped):
            case_id = case_id_of(report.nodeid)
            if case_id is not None:
                self.status[case_id] = report.outcome

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write ``shard.json`` (the serial process or xdist controller), once the session's
        summaries are written."""
        state = self.state
        if state.is_worker or inspecting(session.config) or not state.plan_loaded():
            return
        prepare_run_dir(state)
        write_manifest(state.run_dir, self.manifest(session.config))

    def manifest(self, config: pytest.Config) -> ShardManifest:
        """What this shard ran and how each case and experiment ended."""
        state = self.state
        plan, run = self.plan(), plan_of(state)
        by_id = run.by_id
        cases = tuple(
            ShardCase(position, case_id, by_id[case_id].experiment.id,
                      self.status.get(case_id, NOT_RUN))
            for position, (case_id, shard) in enumerate(zip(plan.case_ids, plan.shards, strict=True))
            if shard == self.shard.index
        )  # fmt: skip
        stems: dict[str, set[str]] = {}
        for case in run.cases:
            stems.setdefault(case.experiment.id, set()).add(raw_file_stem(case))
        outcomes = tuple(
            StoredOutcome(
                outcome,
                state.setups.get(experiment_id),
                state.sources.get(experiment_id),
                tuple(sorted(stems.get(experiment_id, {experiment_id}))),
            )
            for experiment_id, outcome in state.aggregator.outcomes.items()
        )
        options: dict[str, Any] = {
            "allow_skipped_gates": bool(config.getoption("eval_allow_skipped_gates")),
            "gate_narrowed": bool(config.getoption("eval_gate_narrowed")),
            "allow_skipped": bool(config.getoption("eval_allow_skipped")),
            "narrowed_by": narrowed_by(config),
        }
        return ShardManifest(
            self.shard, plan.sha256, config_sha256(run.config.experiments, run.config.tco),
            state.config_label(), cases, outcomes, run.config.tco, tuple(state.notes()), options,
            self._junit_name(config),
        )  # fmt: skip

    def _junit_name(self, config: pytest.Config) -> str | None:
        """The JUnit file's name when the run writes it into its own folder (the merge reads
        it from there), else None."""
        path = config.getoption("xmlpath", None)
        if not path:
            return None
        junit = Path(path).expanduser().resolve()
        return junit.name if junit.parent == self.state.run_dir.resolve() else None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say which shard this was and how to conclude the run."""
        if self.state.is_worker or self._plan is None:
            return
        plan = self._plan
        mine = plan.assigned(self.shard.index)
        terminalreporter.write_line(
            f"parity shard {self.shard}: {len(mine)} of {len(plan.case_ids)} cases, estimated "
            f"cost {plan.loads[self.shard.index - 1]:.0f} of {sum(plan.loads):.0f} (plan "
            f"{plan.sha256[:12]}); gates: python -m parity merge RUN_DIR..."
        )


def register_shard(config: pytest.Config, state: ParityState) -> None:
    """Register the shard's hooks when ``--parity-shard`` was given."""
    shard = config.getoption("eval_shard", None)
    if shard is not None and not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(ShardPlugin(state, parse_shard(shard)), PLUGIN_NAME)
