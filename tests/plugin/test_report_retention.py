"""``reports/latest`` and ``--eval-keep-reports``: the newest run folder named, the oldest
pruned, and never anything Parity did not make (a folder or file of the user's, a symlink,
a look-alike name, a folder another running session holds)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.record.run_dirs import (
    LATEST_FILE,
    LATEST_LINK,
    RUN_MARK,
    RunDirLock,
    is_parity_run,
    parity_runs,
    point_latest,
    prune_runs,
    reserve_run_dir,
)


def make_runs(base: Path, *stamps: str) -> list[Path]:
    return [reserve_run_dir(base, stamp) for stamp in stamps]


def test_runs_are_ordered_by_start_then_suffix_and_the_oldest_pruned(tmp_path):
    made = make_runs(tmp_path, "20260101-000000", *["20260102-000000"] * 11, "20260103-000000")
    assert [p.name for p in parity_runs(tmp_path)][:3] == [
        "20260101-000000", "20260102-000000", "20260102-000000-2",
    ]  # fmt: skip
    assert parity_runs(tmp_path)[-2:] == [tmp_path / "20260102-000000-11", made[-1]]
    removed = prune_runs(tmp_path, 3, current=made[-1])
    assert removed == made[:10]
    assert parity_runs(tmp_path) == made[10:]


def test_keep_zero_keeps_all_and_the_current_run_is_never_pruned(tmp_path):
    made = make_runs(tmp_path, "20260101-000000", "20260101-000001", "20260101-000002")
    assert prune_runs(tmp_path, 0) == []
    assert prune_runs(tmp_path, 1, current=made[0]) == [made[1]]  # the clock went back
    assert parity_runs(tmp_path) == [made[0], made[2]]


def test_a_folder_another_session_holds_is_not_pruned(tmp_path):
    made = make_runs(tmp_path, "20260101-000000", "20260101-000001")
    held = RunDirLock(made[0])
    try:
        assert prune_runs(tmp_path, 1) == []
    finally:
        held.release()
    assert prune_runs(tmp_path, 1) == [made[0]]


def test_latest_is_a_relative_symlink_replaced_each_time(tmp_path):
    old, new = make_runs(tmp_path, "20260101-000000", "20260101-000001")
    assert point_latest(tmp_path, old) == tmp_path / LATEST_LINK
    assert point_latest(tmp_path, new) == tmp_path / LATEST_LINK
    assert os.readlink(tmp_path / LATEST_LINK) == new.name
    assert (tmp_path / LATEST_LINK / RUN_MARK).is_file()
    assert parity_runs(tmp_path) == [old, new]  # the link is no run of its own
    assert sorted(p.name for p in tmp_path.iterdir()) == [old.name, new.name, LATEST_LINK]


def test_without_symlinks_latest_is_a_text_file(tmp_path, monkeypatch):
    (run,) = make_runs(tmp_path, "20260101-000000")

    def no_symlinks(*args, **kwargs):
        raise OSError("symlinks are not supported here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    assert point_latest(tmp_path, run) == tmp_path / LATEST_FILE
    assert (tmp_path / LATEST_FILE).read_text() == f"{run.name}\n"
    assert not (tmp_path / LATEST_LINK).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [run.name, LATEST_FILE]


def test_a_latest_of_the_users_is_never_replaced(tmp_path):
    (run,) = make_runs(tmp_path, "20260101-000000")
    (tmp_path / LATEST_LINK).mkdir()
    (tmp_path / LATEST_LINK / "mine.txt").write_text("mine")
    assert point_latest(tmp_path, run) == tmp_path / LATEST_FILE  # beside it instead
    assert (tmp_path / LATEST_LINK / "mine.txt").read_text() == "mine"
    (tmp_path / LATEST_FILE).unlink()
    (tmp_path / LATEST_FILE).mkdir()
    assert point_latest(tmp_path, run) is None
    assert (tmp_path / LATEST_LINK / "mine.txt").read_text() == "mine"


# What may stand in reports/ beside Parity's runs: none of it is ever pruned.
FOREIGN_KINDS = (
    "timestamped folder without the mark",
    "timestamped file",
    "marked folder, other name",
    "symlink to a marked folder",
    "folder whose mark is a folder",
    "folder whose mark is a symlink",
)
# Few distinct start times, so that runs share them and take -N suffixes.
STARTS = st.builds(lambda day, second: f"202601{day:02d}-0000{second:02d}",
                   st.integers(1, 3), st.integers(0, 2))  # fmt: skip
NAMES = st.builds(lambda start, suffix: start + (f"-{suffix}" if suffix > 1 else ""),
                  STARTS, st.integers(1, 12))  # fmt: skip


def make_foreign(base: Path, kind: str, name: str, outside: Path) -> Path:
    path = base / name
    if kind == "timestamped folder without the mark":
        path.mkdir()
        (path / "summary.json").write_text("{}")
    elif kind == "timestamped file":
        path.write_text("notes")
    elif kind == "marked folder, other name":
        path = base / f"my-{name}"
        path.mkdir()
        (path / RUN_MARK).write_text("")
    elif kind == "symlink to a marked folder":
        target = outside / name
        target.mkdir()
        (target / RUN_MARK).write_text("")
        path.symlink_to(target, target_is_directory=True)
    elif kind == "folder whose mark is a folder":
        path.mkdir()
        (path / RUN_MARK).mkdir()
    else:
        path.mkdir()
        (outside / f"mark-{name}").write_text("")
        (path / RUN_MARK).symlink_to(outside / f"mark-{name}")
    return path


def snapshot(path: Path) -> list[str]:
    """Every entry under ``path`` (links not followed)."""
    if path.is_symlink() or path.is_file():
        return [str(path)]
    return [str(path), *(str(p) for p in sorted(path.rglob("*")))]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ours=st.lists(STARTS, max_size=8),
    foreign=st.lists(st.tuples(st.sampled_from(FOREIGN_KINDS), NAMES), max_size=8),
    keep=st.integers(0, 10),
)
def test_pruning_never_deletes_what_parity_did_not_make(tmp_path, ours, foreign, keep):
    root = tmp_path / "case"
    shutil.rmtree(root, ignore_errors=True)
    base, outside = root / "reports", root / "outside"
    base.mkdir(parents=True)
    outside.mkdir()
    theirs = []
    for kind, name in foreign:
        if not os.path.lexists(base / name) and not os.path.lexists(base / f"my-{name}"):
            theirs.append(make_foreign(base, kind, name, outside))
    made = [reserve_run_dir(base, stamp) for stamp in ours]
    before = {str(p): snapshot(p) for p in theirs}
    outside_before = snapshot(outside)
    removed = prune_runs(base, keep)
    for path in theirs:
        assert snapshot(path) == before[str(path)], path
    assert snapshot(outside) == outside_before
    assert all(not is_parity_run(path) for path in theirs)
    kept = parity_runs(base)
    assert set(removed) | set(kept) == set(made) and not set(removed) & set(kept)
    assert len(kept) == (len(made) if keep == 0 else min(keep, len(made)))
    if removed and kept:  # the oldest went, by start time and then suffix
        assert max(map(start_order, removed)) < min(map(start_order, kept))


def start_order(path: Path) -> tuple[str, int]:
    """A run folder's start time, then its ``-N`` suffix (``-10`` after ``-9``)."""
    return path.name[:15], int(path.name[16:] or 1)


@pytest.mark.parametrize("name", ["latest", "LATEST", "20260101-000000.bak", "2026010-000000"])
def test_look_alike_names_are_not_runs(tmp_path, name):
    path = tmp_path / name
    path.mkdir()
    (path / RUN_MARK).write_text("")
    assert not is_parity_run(path) and parity_runs(tmp_path) == []
