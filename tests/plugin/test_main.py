"""``python -m parity``: its commands in ``--help``, and a folder that is no run as one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from parity.__main__ import main
from tests.support.stored_runs import write_run


def test_help_names_the_three_commands():
    result = subprocess.run([sys.executable, "-m", "parity", "--help"], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for command in ("compare", "report", "index", "python -m parity.train"):
        assert command in text


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2 and "COMMAND" in capsys.readouterr().err


def test_report_on_a_folder_that_is_no_run_is_one_line_naming_it(tmp_path, capsys):
    write_run(tmp_path / "20260101-000000", {"qa": {"a": 1.0}})
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"parity report: {tmp_path} is not a run folder: it holds no summary.json "
        "(give reports/<timestamp>/)\n"
    )
