"""Each module has one import name: pytest reaching a file by its folder path gets the
installed module (``parity.…``), never a second copy of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import parity.evals.metrics.squad
from tests.support.pytest_runs import clean_env

ROOT = Path(__file__).resolve().parents[2]


def test_doctest_modules_on_a_single_file_works():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--doctest-modules",
         "evals/metrics/squad.py", "plugin/record/scoring.py", "evals/metrics/base.py"],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered twice" not in result.stdout


def test_a_folder_path_name_is_the_installed_module():
    import evals.metrics.squad  # the root conftest resolves folder paths while pytest runs

    assert evals.metrics.squad is parity.evals.metrics.squad
    assert evals.metrics.squad.__spec__.name == "parity.evals.metrics.squad"
