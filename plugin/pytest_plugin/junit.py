"""The JUnit file: eval items' class name and properties, the xunit1 family (unless the user
chose one), and the gates written as test cases (in JUnit only: pytest's terminal counts the
collected items)."""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.junitxml import xml_key

from parity.analysis.gates import GateResult
from parity.cases.nodeids import EVAL_TEST
from parity.pytest_plugin.names import EVAL_CLASSNAME, EVAL_MARK, GATES_PATH


def junit_xml(config: pytest.Config) -> Any:
    """pytest's JUnit writer for this run (None without ``--junitxml``)."""
    return config.stash.get(xml_key, None)


def name_junit_class(config: pytest.Config, report: pytest.TestReport) -> None:
    """Eval items' JUnit classname is their module, ``parity.evals.test_experiments``, not
    the path pytest collected it from (``.venv.lib.python3.11.site-packages.parity…``);
    items collected from the config file keep pytest's (``configs.experiments.yaml``)."""
    xml = junit_xml(config)
    module_item = report.nodeid.split("::", 1)[0].endswith(".py")
    if (
        xml is not None
        and EVAL_MARK in report.keywords
        and EVAL_TEST in report.nodeid
        and module_item
    ):
        xml.node_reporter(report).add_attribute("classname", EVAL_CLASSNAME)


def junit_takes_properties(config: pytest.Config) -> bool:
    """False when the JUnit file is xunit2 (the user's choice): its schema, like Jenkins'
    junit-10.xsd, has no per-testcase ``<properties>``, so Parity writes none there."""
    xml = junit_xml(config)
    return xml is None or xml.family != "xunit2"


def prefer_xunit1(config: pytest.Config) -> None:
    """Write per-item properties in JUnit output: use the xunit1 family unless the user set one.

    pytest's default family (xunit2) has no per-testcase ``<properties>``, and every item
    records its scores with ``record_property``.
    """
    xml = junit_xml(config)
    overrides = config.getoption("override_ini", None) or []
    inifile = config.inipath
    explicit = any(o.startswith("junit_family=") for o in overrides) or bool(
        inifile and "junit_family" in inifile.read_text(encoding="utf-8")
    )
    if xml is not None and not explicit:
        xml.family = "xunit1"


def gate_reports(gate: GateResult, with_properties: bool) -> list[pytest.TestReport]:
    """A gate's call and teardown reports, as an item's (its verdict as properties)."""
    nodeid = f"{GATES_PATH}::{gate.test_name}"
    location = (GATES_PATH, 0, gate.test_name)
    values = [
        ("verdict", gate.verdict), ("observed", gate.observed), ("limit", gate.limit),
        ("ci95_low", gate.ci_low), ("ci95_high", gate.ci_high),
    ]  # fmt: skip
    properties = [(k, v) for k, v in values if v not in (None, "")] if with_properties else []
    if gate.status == "skipped":
        longrepr: Any = (GATES_PATH, 0, f"Skipped: {gate.message}")
    elif gate.status == "failed":
        longrepr = f"gate failed: {gate.message}"
    else:
        longrepr = None
    keywords: dict[str, Any] = {EVAL_MARK: 1}
    status: Any = gate.status
    call = pytest.TestReport(
        nodeid, location, keywords, status, longrepr, "call", user_properties=properties
    )
    teardown = pytest.TestReport(
        nodeid, location, keywords, "passed", None, "teardown", user_properties=properties
    )
    return [call, teardown]


def record_gate_report(config: pytest.Config, report: pytest.TestReport) -> None:
    """Write a gate to JUnit as a test case. pytest's terminal counts none: its "collected N"
    and its final "N passed" count the same items (:mod:`~parity.pytest_plugin.gate_totals`
    adds the failed gates to the final line under their own name)."""
    xml = junit_xml(config)
    if xml is not None:
        xml.pytest_runtest_logreport(report)
