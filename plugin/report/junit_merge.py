"""The JUnit files of a run's shards as one: every shard's test cases (their gate cases left
out: a shard evaluates none) and the gates evaluated once over all shards, as pytest writes
them (:func:`parity.pytest_plugin.junit.gate_reports`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from parity.analysis.gates import GateResult
from parity.config.errors import ParityError
from parity.pytest_plugin.junit import gate_reports
from parity.pytest_plugin.names import GATES_PATH

OUTCOMES = ("failure", "error", "skipped")


def _testcases(path: Path) -> list[ET.Element]:
    """The test cases of a shard's JUnit file, but its gates."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ParityError(f"{path} cannot be read as a JUnit file: {exc}") from None
    return [case for case in root.iter("testcase") if case.get("classname") != GATES_PATH]


def gate_testcase(gate: GateResult) -> ET.Element:
    """A gate as the test case pytest's JUnit writer makes of its reports."""
    call = gate_reports(gate, with_properties=True)[0]
    case = ET.Element(
        "testcase",
        classname=GATES_PATH, name=gate.test_name, file=GATES_PATH, line="0", time="0.000",
    )  # fmt: skip
    if call.user_properties:
        properties = ET.SubElement(case, "properties")
        for name, value in call.user_properties:
            ET.SubElement(properties, "property", name=name, value=str(value))
    if gate.status == "failed":
        text = str(call.longrepr)
        ET.SubElement(case, "failure", message=text).text = text
    elif gate.status == "skipped":
        message = gate.message
        ET.SubElement(case, "skipped", type="pytest.skip", message=message).text = message
    return case


def merge_junit(files: Sequence[Path], gates: Sequence[GateResult], out: Path) -> Path:
    """Write the shards' test cases and the merged run's gates to ``out`` (one suite)."""
    cases = [case for path in files for case in _testcases(path)]
    cases += [gate_testcase(gate) for gate in gates]
    counts = {tag: sum(case.find(tag) is not None for case in cases) for tag in OUTCOMES}
    time = sum(float(case.get("time") or 0) for case in cases)
    root = ET.Element("testsuites", name="pytest tests")
    suite = ET.SubElement(
        root, "testsuite", name="pytest", errors=str(counts["error"]),
        failures=str(counts["failure"]), skipped=str(counts["skipped"]), tests=str(len(cases)),
        time=f"{time:.3f}",
    )  # fmt: skip
    suite.extend(cases)
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out
