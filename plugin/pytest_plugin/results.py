"""Eval items' records on their way to the aggregator: attached to the item, carried by its
call report (as data from an xdist worker), and fed to the aggregator by :class:`ReportFeed`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from parity.cases.cases import EvalCase
from parity.cases.nodeids import case_id_of
from parity.config.errors import ParityError
from parity.marked.pipeline import experiment_from_data
from parity.marked.pipeline_plugin import EXPERIMENT_ATTRIBUTE, SELECTION_ATTRIBUTE
from parity.pytest_plugin.junit import junit_takes_properties, name_junit_class, prefer_xunit1
from parity.pytest_plugin.locations import place_skip
from parity.pytest_plugin.names import EVAL_MARK, GATES_PATH, RECORD_ATTRIBUTE
from parity.pytest_plugin.planning import plan_of
from parity.pytest_plugin.state import ParityState, state_of
from parity.record.record import BULKY_FIELDS, EvalRecord, junit_properties

_RECORD = pytest.StashKey[EvalRecord]()
_KEYWORDS = pytest.StashKey[Mapping[str, Any]]()


def record_result(item: pytest.Item, record: EvalRecord) -> None:
    """Attach ``record`` to ``item``: its JUnit properties, and the data its call report
    carries to the aggregator (in this process or the xdist controller)."""
    item.user_properties.extend(junit_properties(record))
    item.stash[_RECORD] = record
    runtime = state_of(item.config).runtime
    if runtime is not None and runtime.scheduler.stopped:
        item.session.shouldstop = runtime.scheduler.stopped  # pytest stops after this item


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Give an eval item's call report its record (in a worker, as data on the report), and
    let its setup, call and teardown reports share one keywords dict: pytest keeps every
    report until the session ends, and three equal copies cost about 1 KB per item. A
    skipped experiment item is reported at its experiment in the config file."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    place_skip(item, report)
    if EVAL_MARK in item.keywords:
        shared = item.stash.setdefault(_KEYWORDS, report.keywords)
        if shared == report.keywords:
            report.keywords = shared
    if call.when == "call":
        record = item.stash.get(_RECORD, None)
        if record is not None:
            del item.stash[_RECORD]
            state = state_of(item.config)
            if state.is_worker:
                setattr(report, RECORD_ATTRIBUTE, record.to_dict(exclude=BULKY_FIELDS))
            else:
                state.unreported[report.nodeid] = record


class ReportFeed:
    """Feeds finished eval items to the aggregator (serial process or xdist controller);
    registered with pytest next to its process's state."""

    def __init__(self, state: ParityState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Aggregate an eval item's outcome and record (and name its JUnit class)."""
        state = self.state
        if state.is_worker or report.nodeid.startswith(GATES_PATH):
            return
        if not state.junit_family_set and EVAL_MARK in report.keywords:
            # Before pytest's JUnit writer sees the first eval item (under xdist the
            # controller collects nothing, so this is where it learns of marked tests).
            state.junit_family_set = True
            prefer_xunit1(state.config)
        name_junit_class(state.config, report)
        if EVAL_MARK in report.keywords and not junit_takes_properties(state.config):
            report.user_properties = []  # kept in the record; the schema has no place for them
        if report.when != "call" and not (report.when == "setup" and report.skipped):
            return
        experiment_data = report.__dict__.pop(EXPERIMENT_ATTRIBUTE, None)
        if experiment_data is not None:  # a marked test's item
            experiment = experiment_from_data(experiment_data)
            selection = report.__dict__.pop(SELECTION_ATTRIBUTE, None) or {}
            state.add_pipeline_experiment(
                experiment, selection.get("examples"), selection.get("selected")
            )
            experiment_id = experiment.id
        else:
            case = _case_for_report(state, report)
            if case is None:
                return
            experiment_id = case.experiment.id
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
        data = report.__dict__.pop(RECORD_ATTRIBUTE, None)  # kept once, in the aggregator
        if data is not None:
            record: EvalRecord | None = EvalRecord.from_dict(data)
        else:
            record = state.unreported.pop(report.nodeid, None)
        state.aggregator.add_report(experiment_id, report.outcome, record, reason)


def _case_for_report(state: ParityState, report: pytest.TestReport) -> EvalCase | None:
    param = case_id_of(report.nodeid)
    if param is None:
        return None
    try:
        return plan_of(state).by_id.get(param)
    except ParityError:
        return None
