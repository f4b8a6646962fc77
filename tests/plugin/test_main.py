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


def test_report_warns_per_raw_file_whose_rows_differ_from_its_summary(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("parity.__main__.rebuild_run", lambda _run_dir: [])
    run_dir = write_run(tmp_path / "20260101-000000", {"qa": {"a": 1.0, "b": 0.0, "c": 1.0},
                                                       "qb": {"a": 1.0}})  # fmt: skip
    rows = (run_dir / "qa.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "qa.jsonl").write_text(rows[0])
    (run_dir / "qb.jsonl").unlink()
    assert main(["report", str(run_dir)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        f"warning: {run_dir / 'qa.jsonl'} holds 1 rows but its summary counted n_examples=3; "
        "summaries are rebuilt from summary.json, not recomputed from rows",
        f"warning: {run_dir / 'qb.jsonl'} is missing (0 rows) but its summary counted "
        "n_examples=1; summaries are rebuilt from summary.json, not recomputed from rows",
    ]


def test_report_with_matching_rows_warns_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("parity.__main__.rebuild_run", lambda _run_dir: [])
    run_dir = write_run(tmp_path / "20260101-000000", {"qa": {"a": 1.0, "b": 0.0}})
    assert main(["report", str(run_dir)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_report_into_a_folder_it_cannot_write_is_one_line_naming_the_file(
    tmp_path, capsys, monkeypatch
):
    run_dir = write_run(tmp_path / "20260101-000000", {"qa": {"a": 1.0}})

    def refuse(_run_dir):
        raise PermissionError(13, "Permission denied", str(run_dir / "summary.md"))

    monkeypatch.setattr("parity.__main__.rebuild_run", refuse)
    assert main(["report", str(run_dir)]) == 2
    assert capsys.readouterr().err == (
        f"parity report: {run_dir / 'summary.md'}: Permission denied\n"
    )


def test_compare_to_a_file_in_a_missing_folder_is_one_line_naming_it(tmp_path, capsys):
    run_a = write_run(tmp_path / "20260101-000000", {"qa": {"a": 1.0}})
    run_b = write_run(tmp_path / "20260102-000000", {"qa": {"a": 0.0}})
    out = tmp_path / "missing" / "d.html"
    assert main(["compare", str(run_a), str(run_b), "--format", "html", "-o", str(out)]) == 2
    assert capsys.readouterr().err == f"parity compare: {out}: No such file or directory\n"
