"""Strict JUnit consumers: with ``junit_family=xunit2`` the file meets the constraints of the
Jenkins xunit-plugin's ``junit-10.xsd`` (no ``file``/``line`` on a testcase, no per-testcase
``<properties>``, the testsuite's required attributes) — items, gates, failures and skips
alike. The default (xunit1) keeps per-item properties, which that schema cannot hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import yaml

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    run_pytest,
    write_yaml,
)

TESTCASE_ATTRIBUTES = {"name", "time", "classname", "group"}
TESTCASE_CHILDREN = {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                     "flakyError", "system-out", "system-err"}  # fmt: skip
TESTSUITE_REQUIRED = {"name", "tests", "failures", "errors"}
TESTSUITE_CHILDREN = {"testsuite", "properties", "testcase", "system-out", "system-err"}


def junit10_violations(path) -> list[str]:
    """Where the file breaks junit-10.xsd's rules for testsuites and testcases."""
    problems = []
    root = ET.parse(path).getroot()
    for suite in root.iter("testsuite"):
        problems += [f"testsuite lacks {a}" for a in TESTSUITE_REQUIRED - set(suite.attrib)]
        problems += [f"testsuite child {c.tag}" for c in suite if c.tag not in TESTSUITE_CHILDREN]
    for case in root.iter("testcase"):
        name = case.get("name")
        problems += [f"{name}: attribute {a}" for a in set(case.attrib) - TESTCASE_ATTRIBUTES]
        problems += [f"{name}: child {c.tag}" for c in case if c.tag not in TESTCASE_CHILDREN]
    return problems


def run_with_gates(tmp_path, *options):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        server.faults.extend(["401"])  # one failed item
        config = api_config(tmp_path, server, num_examples=6, max_retries=0)
        experiment = yaml.safe_load(config.read_text())[0]
        experiment["thresholds"] = {"f1": 0.0, "exact_match": 2.0}  # one gate passes, one fails
        write_yaml(config, [experiment])
        return run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", *options, env=env
        )


def test_xunit2_output_meets_the_jenkins_junit10_schema(tmp_path):
    result = run_with_gates(tmp_path, "-o", "junit_family=xunit2")
    assert result.returncode == 1, result.stdout
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert len(list(root.iter("testcase"))) == 8  # 6 items + 2 gates
    assert junit10_violations(tmp_path / "j.xml") == []


def test_the_default_keeps_per_item_properties(tmp_path):
    result = run_with_gates(tmp_path)
    assert result.returncode == 1, result.stdout
    problems = junit10_violations(tmp_path / "j.xml")
    assert any("child properties" in p for p in problems)  # scores ride on each testcase
