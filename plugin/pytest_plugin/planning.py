"""The plan of a process (loaded, trained for, expanded, checked for resuming, its baselines
found: once) and the runtime that runs it."""

from __future__ import annotations

from pathlib import Path

from parity.analysis.baselines import baseline_sources, experiment_setup
from parity.cases.cases import EvalPlan, build_plan
from parity.cases.smoke import smoke_config
from parity.config.config import Experiment, load_config
from parity.engine.runtime import EvalRuntime, raw_file_stem
from parity.pytest_plugin.inspection import inspecting
from parity.pytest_plugin.state import ParityState
from parity.pytest_plugin.training import train_missing_adapters
from parity.pytest_plugin.workers import runs_xdist
from parity.record.run_setup import check_resume


def plan_of(state: ParityState) -> EvalPlan:
    """Load, validate and expand the eval config once per process (``--parity-train``: its
    missing adapters trained first)."""
    if state.plan is None:
        pytest_config = state.config
        _load_dotenv(pytest_config.rootpath / ".env")
        config = load_config(state.config_path())
        if pytest_config.getoption("eval_smoke"):
            config = smoke_config(config)
        if pytest_config.getoption("eval_train"):
            train_missing_adapters(pytest_config, config)
        plan = build_plan(config, lambda runnable: _start_call_process_early(state, runnable))
        experiments = plan.config.experiments
        state.setups = {
            e.id: experiment_setup(e, plan.example_ids(e.id), plan.content_sha256(e.id))
            for e in experiments
        }
        if pytest_config.getoption("eval_resume") is not None:
            runnable = {c.experiment.id: c.experiment for c in plan.cases if not c.skip_reason}
            check_resume(
                plan.config.path, state.run_dir, state.setups, _raw_stems(plan),
                lambda i: state.endpoint(runnable[i]) if i in runnable else None,
            )  # fmt: skip
        option = pytest_config.getoption("eval_baseline_run")
        state.sources = baseline_sources(
            plan.config.path, experiments, state.setups, Path(option) if option else None
        )
        plan.notes += [w for source in state.sources.values() for w in source.warnings]
        state.plan = plan
        state.aggregator.add(experiments)
    return state.plan


def runtime_of(state: ParityState) -> EvalRuntime:
    """The runtime of this process, created on first use."""
    if state.runtime is None:
        config = state.config
        state.runtime = EvalRuntime(
            plan_of(state),
            state.run_dir,
            state.workers,
            state.get_engine(),
            state.clients,
            resume=config.getoption("eval_resume") is not None,
            partitioned=state.partitioned,
            setups=state.setups,
            stall_s=config.getoption("eval_stall_timeout"),
        )
    return state.runtime


def _start_call_process_early(state: ParityState, runnable: list[Experiment]) -> None:
    """Start the call process while the data loads (its SDK import overlaps the loading
    and the rest of collection) in a serial run whose items are all selected; a run
    narrowed by ``-k``, ``-m`` or node ids starts it once collection has selected them; an
    inspection command (``--fixtures``, ``--collect-only``...) never starts it."""
    config = state.config
    option = config.option
    narrowed = option.keyword or option.markexpr or option.deselect or config.getoption("lf", False)
    named = any("::" in arg for arg in config.args)
    xdist_controller = not state.is_worker and runs_xdist(config)
    if inspecting(config) or narrowed or named or xdist_controller:
        return
    if state.uses_call_process():
        state.get_engine().start_call_process(runnable)


def _load_dotenv(path: Path) -> None:
    """Read API keys from ``.env`` (never overriding the environment). python-dotenv loads
    only where a ``.env`` exists (about 20 ms every pytest run would otherwise pay)."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _raw_stems(plan: EvalPlan) -> dict[str, set[str]]:
    """Each experiment's raw row files (``{stem}.jsonl``), as :func:`raw_file_stem` names them."""
    stems: dict[str, set[str]] = {}
    for case in plan.cases:
        stems.setdefault(case.experiment.id, set()).add(raw_file_stem(case))
    return stems
