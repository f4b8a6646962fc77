"""Installed but unused, Parity changes nothing but the ``parity`` marker listed by
``pytest --markers``: no other marker, JUnit family or warning."""

from __future__ import annotations

import re
import subprocess
import sys

from parity.marked.marker import MARKER_HELP
from tests.support.pytest_runs import clean_env

PLAIN_TEST = """
import pytest

def test_adds(record_property):
    record_property("answer", 42)
    assert 1 + 1 == 2

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n
"""
VOLATILE = re.compile(r'(timestamp|time|hostname)="[^"]*"')


def pytest_in(cwd, *args):
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, text=True)


def test_a_plain_project_sees_no_difference(tmp_path):
    (tmp_path / "test_plain.py").write_text(PLAIN_TEST)
    runs = {}
    for label, extra in (("with", []), ("without", ["-p", "no:parity"])):
        markers = pytest_in(tmp_path, "--markers", *extra)
        result = pytest_in(tmp_path, f"--junitxml={label}.xml", *extra)
        assert result.returncode == 0, result.stdout + result.stderr
        junit = VOLATILE.sub("", (tmp_path / f"{label}.xml").read_text())
        summary = result.stdout.strip().splitlines()[-1]
        runs[label] = (markers.stdout, junit, re.sub(r" in [\d.]+s", "", summary))
    markers = runs["with"][0].replace(f"@pytest.mark.{MARKER_HELP}\n\n", "")
    assert markers != runs["with"][0]  # the parity marker is listed, with its arguments
    runs["with"] = (markers, *runs["with"][1:])
    assert runs["with"] == runs["without"]
    assert "parity" not in markers.lower()  # and nothing else is
    assert 'file="' not in runs["with"][1]  # pytest's default family (xunit2), not xunit1


def test_options_still_appear_in_help(tmp_path):
    assert "--eval-config" in pytest_in(tmp_path, "--help").stdout
