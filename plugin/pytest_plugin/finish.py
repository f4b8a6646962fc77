"""The end of a session: gates evaluated (JUnit test cases; failed ones named in pytest's
final line), verdicts, summaries handed to the reporters, and the terminal's parity summary."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from parity.analysis.conclusion import GateChoices, conclude, shard_narrowed
from parity.analysis.narrowing import Narrowing
from parity.analysis.tco import TcoSettings, render_tco
from parity.pytest_plugin.gate_totals import count_failed_gates
from parity.pytest_plugin.inspection import inspecting
from parity.pytest_plugin.junit import gate_reports, junit_takes_properties, record_gate_report
from parity.pytest_plugin.nothing_evaluated import evaluated_nothing, nothing_evaluated
from parity.pytest_plugin.planning import plan_of
from parity.pytest_plugin.state import ParityState, state_of
from parity.pytest_plugin.unnamed_config import write_unnamed_config_hint
from parity.record.writable import cannot_write
from parity.report.reports import run_document
from parity.report.terminal import render_experiment, render_gates, render_verdicts


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Evaluate gates (JUnit test cases, failed ones named in pytest's final line) and write
    summary files."""
    state = state_of(session.config)
    if state.is_worker or inspecting(session.config) or not state.aggregator.has_data():
        return
    if state.runtime is not None and state.runtime.rows_lost:
        return  # the run stopped: its summaries cannot be written where its rows could not
    outcomes = state.aggregator.outcomes
    config = session.config
    state.tco = plan_of(state).config.tco if state.plan_loaded() else TcoSettings()
    choices = GateChoices(
        bool(config.getoption("eval_allow_skipped_gates")),
        bool(config.getoption("eval_gate_narrowed", False)),
        bool(config.getoption("eval_allow_skipped")),
    )
    narrowing = _narrowing(state)
    shard = config.getoption("eval_shard", None)
    narrowed = shard_narrowed(outcomes, shard) if shard is not None else None
    conclusion = conclude(
        outcomes, state.setups, state.sources, state.tco, narrowing, choices,
        evaluated_nothing(outcomes), narrowed,
    )  # fmt: skip
    summaries = conclusion.summaries
    state.gates, state.verdicts, state.holm = conclusion.gates, conclusion.verdicts, conclusion.holm
    allow_skipped = choices.allow_skipped
    failed_gates: list[pytest.TestReport] = []
    for gate in state.gates:
        for report in gate_reports(gate, junit_takes_properties(session.config)):
            record_gate_report(session.config, report)
            if report.when == "call" and report.failed:
                failed_gates.append(report)
    count_failed_gates(session.config, failed_gates)
    if any(g.status == "failed" for g in state.gates):
        session.testsfailed += 1
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    unevaluable = sum(g.verdict == "unevaluable" and g.status == "failed" for g in state.gates)
    state.nothing_evaluated = nothing_evaluated(outcomes, allow_skipped, unevaluable)
    failing = state.nothing_evaluated is not None and not allow_skipped
    if failing and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    try:
        _write_summaries(session, state, summaries)
    except OSError as exc:
        where = "--parity-report-dir DIR"
        state.report_error = cannot_write(state.run_dir, "summaries", where, exc)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def narrowed_by(config: pytest.Config) -> str | None:
    """What narrowed the run's selection (``-k``, ``-m``, ``--deselect``, ``--lf``, node ids),
    e.g. ``-k and -m``; None when nothing did."""
    option = config.option
    given = [
        ("-k", option.keyword),
        ("-m", option.markexpr),
        ("--deselect", option.deselect),
        ("--lf", config.getoption("lf", False)),
        ("node ids", any("::" in arg for arg in config.args)),
    ]
    names = [name for name, value in given if value]
    return " and ".join(names) if names else None


def _narrowing(state: ParityState) -> Narrowing | None:
    """How the run was narrowed, with each experiment's items before selection (a config's
    from the plan, a marked test's from the examples it collected)."""
    by = narrowed_by(state.config)
    if by is None:
        return None
    cases = plan_of(state).cases if state.plan_loaded() else []
    totals = Counter(case.experiment.id for case in cases)
    for experiment_id, outcome in state.aggregator.outcomes.items():
        setup = state.setups.get(experiment_id)
        if experiment_id not in totals and setup and outcome.experiment.repeats == 1:
            totals[experiment_id] = setup["n_samples"]  # a marked test: one item per example
    return Narrowing(by, totals)


def _write_summaries(
    session: pytest.Session, state: ParityState, summaries: dict[str, dict[str, Any]]
) -> None:
    """Hand each experiment's summary, and the run's, to the reporters (which write files)."""
    outcomes = state.aggregator.outcomes
    hook = session.config.hook
    for experiment_id, summary in summaries.items():
        outcome = outcomes[experiment_id]
        state.summaries.append(summary)
        state.skip_reasons[experiment_id] = sorted(outcome.skip_reasons)
        if outcome.records or outcome.errors:  # all failed: its summary lists why
            hook.pytest_parity_experiment_finished(
                config=session.config,
                summary=summary,
                records=outcome.sorted_records(),
                run_dir=state.run_dir,
            )
    document = run_document(
        state.config_label(), state.summaries, state.gates, state.notes(), state.verdicts,
        state.holm,
    )  # fmt: skip
    hook.pytest_parity_run_finished(config=session.config, summary=document, run_dir=state.run_dir)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The parity summary: each experiment, TCO, verdicts, gates, notes and the engine."""
    state = state_of(config)
    if state.report_error:
        terminalreporter.write_line(state.report_error, red=True)
    if state.summaries:
        _write_summary(terminalreporter, state)
    if state.nothing_evaluated:
        allowed = bool(config.getoption("eval_allow_skipped"))
        terminalreporter.write_line(state.nothing_evaluated, red=not allowed, yellow=allowed)
    write_unnamed_config_hint(terminalreporter, exitstatus, config)


def _write_summary(terminalreporter: Any, state: ParityState) -> None:
    """Each experiment, TCO, verdicts, gates, notes, the engine and the report folder."""
    terminalreporter.write_sep("=", "parity summary")
    for summary in state.summaries:
        for line in render_experiment(
            summary, state.skip_reasons.get(summary["experiment_id"], [])
        ):
            terminalreporter.write_line(line)
    tco_lines = render_tco(state.summaries, state.tco)
    if tco_lines:
        terminalreporter.write_line("")
        for line in tco_lines:
            terminalreporter.write_line(line)
    verdict_lines = render_verdicts(state.verdicts, state.holm)
    if verdict_lines:
        terminalreporter.write_line("")
        for line in verdict_lines:
            terminalreporter.write_line(line)
    gate_lines = render_gates(state.gates)
    if gate_lines:
        terminalreporter.write_line("")
        for line in gate_lines:
            terminalreporter.write_line(line)
    for note in state.notes():
        terminalreporter.write_line(f"note: {note}")
    engine = state.engine
    if engine is not None and state.cache is not None:  # this process ran the items
        resumed = state.runtime.resumed if state.runtime is not None else 0
        line = (
            f"engine: {engine.requests_sent()} requests sent, {state.cache.hits} cache hits, "
            f"{resumed} resumed"
        )
        if engine.compressions:
            line += f", {engine.compressions} contexts compressed"
        if engine.budget.cap_usd is not None:
            line += (
                f", spent ${engine.budget.spent_usd:.6f} of ${engine.budget.cap_usd}"
                f" ({engine.budget.refused} requests refused by the cap)"
            )
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"reports: {state.run_dir}")
