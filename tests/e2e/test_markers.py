"""The ``parity`` marker is listed by ``pytest --markers`` with its arguments, and neither it
nor the markers Parity makes for each experiment (dataset label, model, provider, task, tags)
trip ``--strict-markers`` (issue 30)."""

from __future__ import annotations

import re

from tests.support.pytest_runs import clean_env, one_experiment, run_plain_pytest, write_yaml

MARKED_TEST = """
import pytest

@pytest.mark.parity(dataset=[{"input": "a", "expected": "a"}], metrics=["exact_match"])
def test_echo(example):
    return example.question
"""


def test_markers_lists_the_parity_marker_with_its_arguments(tmp_path):
    result = run_plain_pytest(tmp_path, "--markers", "-p", "no:cacheprovider", env=clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^@pytest\.mark\.parity\(dataset, metrics, .*\): \S", result.stdout, re.M)


def test_strict_markers_accepts_the_parity_marker_and_each_experiments_markers(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.jsonl").write_text('{"q": "Capital of Peru?", "a": "Lima"}\n')
    experiment = one_experiment(model={"name": "openai-compatible:llama3.1-8b"})
    experiment.update(
        dataset={"name": "my-capitals", "path": "data/rows.jsonl", "fields": {"input": "q", "expected": "a"}},
        tags=["nightly", "team-geo"],
    )  # fmt: skip
    write_yaml(tmp_path / "x.yaml", [experiment])
    (tmp_path / "test_mine.py").write_text(MARKED_TEST)
    result = run_plain_pytest(
        tmp_path, "--parity-config=x.yaml", "--strict-markers", "--collect-only", "-q",
        "-m", "my_capitals or team_geo or parity", "-p", "no:cacheprovider", env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 tests collected" in result.stdout, result.stdout
