"""``python -m parity report RUN_DIR``: a stored run's files written again from its raw rows
and summaries, by every built-in reporter that can (a module defining
``rebuild(run_dir) -> list[Path]``)."""

from __future__ import annotations

from pathlib import Path

from parity.report.reporters import builtin_reporters
from parity.report.stored_runs import load_run


def rebuild_run(run_dir: Path) -> list[Path]:
    """Rebuild the files of the run stored at ``run_dir`` (NotARunFolder when it is none);
    return the files written, reporter by reporter in name order."""
    run = load_run(run_dir)
    written: list[Path] = []
    for _, module in sorted(builtin_reporters().items()):
        rebuild = getattr(module, "rebuild", None)
        if callable(rebuild):
            written += rebuild(run.path)
    return written
