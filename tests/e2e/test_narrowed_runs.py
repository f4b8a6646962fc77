"""Narrowed runs, as a user narrows them: ``-k`` that selects one example of a gated
experiment, or deselects a marked test's baseline. Their gates say so and are not evaluated
(the run does not fail because of them) unless ``--eval-gate-narrowed`` asks for them."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from parity.cases.cases import build_plan
from parity.config.config import parse_config
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

N = 4


def gated(url):
    """An experiment whose model always answers wrong, under an exact_match floor."""
    return {
        "id": "exp",
        "model": {"name": "openai-compatible:wrong", "base_url": url, "max_concurrency": 4},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 3},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match"],
        "thresholds": {"exact_match": 0.5},
    }


@pytest.fixture
def server():
    with FakeLLMServer("openai") as running:
        running.reply = lambda body: "zzz"
        yield running


def run_one_example(tmp_path, server, *args):
    experiment = gated(server.url)
    config = write_yaml(tmp_path / "x.yaml", [experiment])
    first = build_plan(parse_config([experiment], str(config))).cases[0].id
    return run_pytest(
        tmp_path, f"--eval-config={config}", "--eval-report-dir=run", "--eval-cache=off",
        "-k", first, *args, env=clean_env(),
    )  # fmt: skip


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_gate_of_a_run_narrowed_by_k_is_not_evaluated_and_says_why(tmp_path, server, workers):
    result = run_one_example(tmp_path, server, *workers)
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    why = f"evaluated on 1 of {N} examples: the run was narrowed by -k"
    assert f"SKIP  exp::threshold::exact_match: not evaluated: {why}" in out, out[-3000:]
    assert "--parity-gate-narrowed" in out
    assert "gates: 0 passed, 0 failed, 1 skipped" in out
    document = json.loads((tmp_path / "run" / "summary.json").read_text())
    (gate,) = document["gates"]
    assert (gate["status"], gate["verdict"]) == ("skipped", "not evaluated")
    assert gate["message"].startswith(f"not evaluated: {why}")
    assert document["gates_passed"] is True


def test_asked_for_a_narrowed_gate_is_evaluated_on_the_selection_and_fails(tmp_path, server):
    result = run_one_example(tmp_path, server, "--eval-gate-narrowed")
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert (
        "FAIL  exp::threshold::exact_match: exact_match = 0.0000 < threshold 0.5 over 1 "
        f"examples (evaluated on 1 of {N} examples: the run was narrowed by -k)"
    ) in out, out[-3000:]


MARKED = """
import pytest

ROWS = [{"id": str(i), "input": f"w{i}", "expected": f"w{i}"} for i in range(8)]


@pytest.mark.parity(dataset=ROWS, metrics=["f1"], thresholds={"f1": 0.5})
def test_lookup(example):
    return example.question


@pytest.mark.parity(dataset=ROWS, metrics=["f1"], baseline="test_lookup", max_drop={"f1": 0.1})
def test_llm(example):
    return example.question
"""


def run_marked(tmp_path, report_dir, *args, select="test_llm"):
    (tmp_path / "test_mine.py").write_text(textwrap.dedent(MARKED))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--eval-report-dir={report_dir}",
               "-k", select, *args]  # fmt: skip
    return subprocess.run(
        command, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300
    )


def test_a_marked_baseline_deselected_by_k_is_named_as_deselected(tmp_path):
    result = run_marked(tmp_path, "narrowed")
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    assert "8 deselected" in out
    why = "baseline 'test_lookup' was deselected by -k"
    assert f"test_llm vs test_lookup  no verdict: {why}" in out, out[-3000:]
    assert f"SKIP  test_llm::max_drop::f1: not evaluated: {why}" in out
    assert "is not an experiment of this run" not in out
    result = run_marked(tmp_path, "asked", "--eval-gate-narrowed")
    assert result.returncode == 1, result.stdout[-3000:]
    assert f"FAIL  test_llm::max_drop::f1: could not be evaluated: {why}" in result.stdout


@pytest.mark.parametrize(
    ("select", "by", "selected"),
    [(lambda node: [node], "node ids", 1), (lambda node: ["--deselect", node], "--deselect", 3)],
    ids=["node-id", "deselect"],
)
def test_node_ids_and_deselect_narrow_a_plain_pytest_run_too(
    tmp_path, server, select, by, selected
):
    write_yaml(tmp_path / "x.yaml", [gated(server.url)])
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-config=x.yaml",
            "--eval-cache=off"]  # fmt: skip
    listed = subprocess.run(
        [*base, "--collect-only", "-q"], cwd=tmp_path, env=clean_env(), capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    first = next(line for line in listed.stdout.splitlines() if "::" in line)
    result = subprocess.run(
        [*base, *select(first)], cwd=tmp_path, env=clean_env(), capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out[-3000:]
    why = f"evaluated on {selected} of {N} examples: the run was narrowed by {by}"
    assert f"SKIP  exp::threshold::exact_match: not evaluated: {why}" in out, out[-3000:]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_marked_test_narrowed_by_k_is_not_gated(tmp_path, workers):
    """Under xdist the controller collects nothing: it evaluated the gate on the selection
    (``PASS ... over 7 examples``) where the serial run reports it as narrowed."""
    result = run_marked(tmp_path, "narrowed", *workers, select="test_lookup and not 3")
    assert result.returncode == 0, result.stdout[-3000:]
    why = "evaluated on 7 of 8 examples: the run was narrowed by -k"
    assert f"SKIP  test_lookup::threshold::f1: not evaluated: {why}" in result.stdout
    assert "gates: 0 passed, 0 failed, 1 skipped" in result.stdout
    whole = run_marked(tmp_path, "whole", *workers, select="test_lookup")
    assert whole.returncode == 0, whole.stdout[-3000:]
    assert "PASS  test_lookup::threshold::f1: f1 = 1.0000 >= threshold 0.5 over 8 examples" in (
        whole.stdout
    )
