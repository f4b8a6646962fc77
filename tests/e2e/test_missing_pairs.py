"""Examples one side of a pair has and the other does not, run as a user runs them: a marked
test with a candidate variant, some of its items deselected with ``-k`` (not run: no pair is
lost) or skipped before they made a record (lost: the gate cannot decide)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.e2e.helpers import clean_env

VARIANTS = """
import pytest

SKIP = "SKIPPED"
ROWS = [{"id": str(i), "input": f"w{i}", "expected": f"w{i}"} for i in range(10)]


@pytest.mark.parity(dataset=ROWS, metrics=["f1"])
@pytest.mark.parametrize("variant", [
    "full",
    pytest.param("cheap", marks=pytest.mark.parity(baseline="full", max_drop={"f1": 0.6})),
])
def test_answer(example, variant):
    if variant == "cheap" and example.id == SKIP:
        pytest.skip("over budget")
    wordy = variant == "cheap" and int(example.id) % 2
    return f"{example.question} x" if wordy else example.question
"""


def run_variants(tmp_path, skipped: str, report_dir: str) -> str:
    (tmp_path / "test_variants.py").write_text(
        textwrap.dedent(VARIANTS.replace("SKIPPED", skipped))
    )
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--eval-report-dir={report_dir}",
        "-k", "not 3-cheap and not 4-cheap",
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300
    )
    return result.stdout + result.stderr


def test_deselected_examples_are_not_run_and_examples_skipped_unnamed_are_missing(tmp_path):
    output = run_variants(tmp_path, skipped="none", report_dir="deselected")
    assert "2 deselected" in output
    assert "n=8 (2 not run on the candidate side) |" in output, output[-3000:]
    assert "PASS  test_answer_cheap::max_drop::f1" in output
    # A skip inside the test leaves no record: which example it was is not known here, so
    # the examples the candidate lacks may be lost ones and count against max_missing_share.
    output = run_variants(tmp_path, skipped="5", report_dir="skipped")
    assert "n=7 of 10 (3 missing on the candidate side) |" in output, output[-3000:]
    assert "inconclusive: 3 of 10 examples have no pair" in output
