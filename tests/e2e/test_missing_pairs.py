"""Examples one side of a pair has and the other does not, run as a user runs them: a marked
test with a candidate variant, some of its items deselected with ``-k`` (not run: no pair is
lost), skipped as it ran (a budget cap: a lost pair, named) or skipped before it ran (a lost
pair whose example is not known, so every example the candidate lacks counts as missing)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support.pytest_runs import clean_env

VARIANTS = """
import pytest

ROWS = [{"id": str(i), "input": f"w{i}", "expected": f"w{i}"} for i in range(10)]


@pytest.fixture
def ready(example, variant):
    if variant == "cheap" and example.id == "SETUP_SKIP":
        pytest.skip("not ready")


@pytest.mark.parity(dataset=ROWS, metrics=["f1"])
@pytest.mark.parametrize("variant", [
    "full",
    pytest.param("cheap", marks=pytest.mark.parity(baseline="full", max_drop={"f1": 0.6})),
])
def test_answer(example, variant, ready):
    if variant == "cheap" and example.id == "CALL_SKIP":
        pytest.skip("over budget")
    wordy = variant == "cheap" and int(example.id) % 2
    return f"{example.question} x" if wordy else example.question
"""


def run_variants(tmp_path, report_dir: str, call_skip: str = "", setup_skip: str = "") -> str:
    test = VARIANTS.replace("CALL_SKIP", call_skip).replace("SETUP_SKIP", setup_skip)
    (tmp_path / "test_variants.py").write_text(textwrap.dedent(test))
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--eval-report-dir={report_dir}",
        "-k", "not 3-cheap and not 4-cheap", "--eval-gate-narrowed",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300
    )
    return result.stdout + result.stderr


def test_deselected_examples_are_not_run_and_skipped_ones_are_missing(tmp_path):
    output = run_variants(tmp_path, "deselected")
    assert "2 deselected" in output
    assert "n=8 (2 not run on the candidate side) |" in output, output[-3000:]
    assert "PASS  test_answer_cheap::max_drop::f1" in output
    output = run_variants(tmp_path, "budget", call_skip="5")
    why = "1 skipped on the candidate side"
    assert f"n=7 of 8 ({why}; 2 not run on the candidate side) |" in output, output[-3000:]
    assert f"inconclusive: 1 of 8 examples have no pair ({why})" in output
    # Skipped at setup, the item made no record: which example it was is not known here, so
    # every example the candidate lacks may be a lost one.
    output = run_variants(tmp_path, "setup", setup_skip="5")
    assert "n=7 of 10 (3 missing on the candidate side) |" in output, output[-3000:]
    assert "inconclusive: 3 of 10 examples have no pair" in output
