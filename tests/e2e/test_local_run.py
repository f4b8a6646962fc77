"""Real runs of the shipped local model: properties, reports, gates, and xdist == serial."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SHORT_HOTPOTQA
from tests.support.pytest_runs import (
    junit_cases,
    junit_properties,
    read_jsonl,
    run_pytest,
    write_yaml,
)


def local_config(tmp_path, threshold=None):
    experiment = {
        "id": "short_local",
        "model": {"name": "local:smollm2", "max_tokens": 12},
        "dataset": {"name": "hotpotqa", "path": str(SHORT_HOTPOTQA), "num_examples": 4, "seed": 3},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }
    if threshold is not None:
        experiment["thresholds"] = {"f1": threshold}
    return write_yaml(tmp_path / "local.yaml", [experiment])


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("serial")
    result = run_pytest(
        tmp_path,
        f"--eval-config={local_config(tmp_path, threshold=0.99)}",
        "--eval-report-dir=out",
        "--eval-cache=off",
        "--junitxml=junit.xml",
    )
    return tmp_path, result


def test_failed_gate_fails_the_run_and_shows_in_junit(serial_run):
    tmp_path, result = serial_run
    assert result.returncode == 1, result.stdout + result.stderr
    assert "4 passed, 1 gate failed in" in result.stdout  # the items, then the failed gate
    assert "FAIL  short_local::threshold::f1" in result.stdout
    gate = junit_cases(tmp_path / "junit.xml")["parity-gates::threshold[short_local-f1]"]
    failure = gate.find("failure")
    assert failure is not None and "< threshold 0.99" in failure.get("message")


def test_items_record_scores_usage_and_cost(serial_run):
    tmp_path, _ = serial_run
    cases = junit_cases(tmp_path / "junit.xml")
    items = [c for name, c in cases.items() if "test_example[short_local-" in name]
    assert len(items) == 4
    props = junit_properties(items[0])
    for key in (
        "exact_match",
        "f1",
        "latency_ms",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "model",
        "experiment_id",
    ):
        assert key in props
    assert props["model"] == "local:smollm2"
    assert int(props["input_tokens"]) > 50 and float(props["latency_ms"]) > 0
    # A local model's compute time (its CPU time over its threads, at most about its wall
    # time) at the default compute-hour price ($0.46, Baseweight's).
    wall_price = 0.46 * float(props["latency_ms"]) / 3_600_000
    assert 0 < float(props["cost_usd"]) < 1.5 * wall_price


def test_raw_rows_and_summary_files(serial_run):
    tmp_path, result = serial_run
    rows = read_jsonl(tmp_path / "out" / "short_local.jsonl")
    assert len(rows) == 4
    assert set(rows[0]) >= {"id", "model", "input_question", "input_context", "pred", "gold",
                             "input_tokens", "output_tokens", "latency_ms", "cost_usd", "metrics"}  # fmt: skip
    summary = json.loads((tmp_path / "out" / "short_local_summary.json").read_text())
    assert summary["n_examples"] == 4
    f1 = [row["metrics"]["f1"] for row in rows]
    assert summary["metrics"]["f1"]["mean"] == pytest.approx(sum(f1) / 4)
    assert (tmp_path / "out" / "short_local_summary.csv").exists()
    run = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert run["gates_passed"] is False
    assert "parity summary" in result.stdout and "95% CI" in result.stdout


def test_xdist_gives_the_serial_numbers(serial_run):
    serial_dir, serial = serial_run
    tmp_path = serial_dir / "xdist"
    tmp_path.mkdir()
    result = run_pytest(
        tmp_path, f"--eval-config={local_config(tmp_path, threshold=0.99)}", "--eval-report-dir=out",
        "--eval-cache=off", "-n", "2", "--junitxml=junit.xml",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    xdist_summary = json.loads((tmp_path / "out" / "short_local_summary.json").read_text())
    serial_summary = json.loads((serial_dir / "out" / "short_local_summary.json").read_text())
    assert xdist_summary["metrics"] == serial_summary["metrics"]
    assert xdist_summary["tokens"] == serial_summary["tokens"]
    assert len(read_jsonl(tmp_path / "out" / "short_local.jsonl")) == 4  # each example once
    assert "parity-gates::threshold[short_local-f1]" in junit_cases(tmp_path / "junit.xml")
    serial_lines = [line for line in serial.stdout.splitlines() if "mean" in line]
    assert serial_lines == [line for line in result.stdout.splitlines() if "mean" in line]
