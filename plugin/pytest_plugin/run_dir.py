"""The run directory: its name, made once before any request and locked for the session,
checked for an earlier run's rows, and removed at the end if the run wrote nothing there;
else ``reports/latest`` names the newest run and the oldest beyond ``--parity-keep-reports``
are pruned."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from parity.cases.smoke import SMOKE_DIR
from parity.pytest_plugin.inspection import inspecting
from parity.pytest_plugin.state import ParityState
from parity.record.caches import cache_problem
from parity.record.run_dirs import (
    RUN_MARK,
    RunDirInUse,
    RunDirLock,
    is_parity_run,
    parity_runs,
    point_latest,
    prune_runs,
    reserve_run_dir,
)
from parity.record.writable import cannot_write, check_writable


def run_dir_for(config: pytest.Config) -> Path:
    """The run directory of a serial run or xdist controller (its name only, for a new run)."""
    option = config.getoption("eval_report_dir")
    base = config.rootpath / "reports"
    if config.getoption("eval_smoke"):
        base = base / SMOKE_DIR
    resume = config.getoption("eval_resume")
    if resume and resume != "latest":
        return Path(resume)
    if option:
        return Path(option)
    if resume == "latest":
        runs = sorted(p for p in base.glob("[0-9]*-[0-9]*") if p.is_dir()) if base.is_dir() else []
        if not runs:
            raise pytest.UsageError(f"--parity-resume: no earlier run under {base} to resume")
        return runs[-1]
    # A name only: prepare_run_dir creates it (or the first free ``-N`` after it).
    return base / _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def prepare_run_dir(state: ParityState) -> None:
    """Start-up, once per run, in the serial process or the xdist controller, before any
    request: make the run directory (a new one atomically, never one another run has), hold
    its lock for the session, and check that it takes files and that the cache can be used
    (its folder takes files, or its Redis server answers). Each failure is one usage error
    naming the directory or server and the fix."""
    if state.run_dir_ready:
        return
    state.run_dir_ready = True
    config = state.config
    what, elsewhere = "raw rows and summaries", "--parity-report-dir DIR"
    try:
        if config.getoption("eval_resume") is None and not config.getoption("eval_report_dir"):
            base = state.run_dir.parent
            state.made_reports_dir = not base.exists()
            state.run_dir = reserve_run_dir(base, state.run_dir.name)
            state.made_run_dir = True
        else:
            state.run_dir.mkdir(parents=True, exist_ok=True)
        state.run_dir_lock = RunDirLock(state.run_dir)
    except RunDirInUse as held:
        raise pytest.UsageError(
            f"parity: {state.run_dir} is in use by another Parity run (pid {held}); two runs "
            "never share a report directory.\n"
            "  Fix: wait for that run to end, or give this one another --parity-report-dir."
        ) from None
    except OSError as exc:
        raise pytest.UsageError(cannot_write(state.run_dir, what, elsewhere, exc)) from None
    problems = [
        check_writable(state.run_dir, what, elsewhere),
        cache_problem(config.getoption("eval_cache"), state.cache_dir()),
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise pytest.UsageError("\n".join(found))


def release_run_dir(state: ParityState) -> None:
    """Drop the run directory's lock; remove the directory (and ``reports/``) if this run
    made it and wrote nothing there (an xdist run without eval items). A run directory of
    Parity's own that stays is then the newest ``reports/latest`` can name, and the oldest
    beyond ``--parity-keep-reports`` are removed (by the serial process or xdist controller
    alone: only it holds the lock)."""
    if state.run_dir_lock is None:
        return
    state.run_dir_lock.release()
    state.run_dir_lock = None
    if state.made_run_dir and _remove_if_unused(state):
        return
    if is_parity_run(state.run_dir):
        base = state.run_dir.parent
        prune_runs(base, state.config.getoption("eval_keep_reports"), state.run_dir)
        runs = parity_runs(base)
        if runs:
            point_latest(base, runs[-1])


def _remove_if_unused(state: ParityState) -> bool:
    """Remove the run directory this run made, and ``reports/`` if it made that too, when
    nothing was written there but Parity's mark. True if the run directory was removed."""
    if any(path.name != RUN_MARK for path in state.run_dir.iterdir()):
        return False
    (state.run_dir / RUN_MARK).unlink(missing_ok=True)
    state.run_dir.rmdir()
    base = state.run_dir.parent
    if state.made_reports_dir and not any(base.iterdir()):
        base.rmdir()
    return True


def refuse_earlier_rows(config: pytest.Config, run_dir: Path) -> None:
    """A new run's directory must not hold an earlier run's raw rows: a serial run would
    append to them and xdist workers would take them as this run's results."""
    if config.getoption("eval_resume") is not None or inspecting(config):
        return
    earlier = sorted(run_dir.glob("*.jsonl")) if run_dir.is_dir() else []
    if earlier:
        raise pytest.UsageError(
            f"--parity-report-dir {run_dir} already holds an earlier run's raw rows "
            f"({earlier[0].name}).\n"
            f"  Fix: --parity-resume={run_dir} continues that run, keeping its finished rows; "
            "or give a new directory (or remove this one)."
        )
