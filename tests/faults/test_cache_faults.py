"""The response cache against its own errors (issue 27, C9 and C12).

A full disk and a read-only folder are simulated for real, in a child interpreter:

- full disk: a 1 MiB tmpfs mounted in a user and mount namespace (``unshare -Urm``, no root
  needed where user namespaces are allowed) and filled until ``ENOSPC``; and, everywhere, a
  file-size limit (``RLIMIT_FSIZE`` 0: no file may grow, writes fail with ``EFBIG``);
- read-only folder: that tmpfs remounted read-only (``EROFS``); and the folder made 0555
  (its files 0444) by
  an unprivileged process (the test's own user; when the tests run as root, whom 0555 does
  not stop, the child gives up root for uid 65534 once the cache is written).

Neither is a damaged file: the cache is turned off for the run with one warning naming the
folder and the fix, and its files stay as they were (rows written after the last checkpoint,
in the ``-wal``, included). Only a damaged file is moved aside, with its ``-wal`` and
``-shm``, and a move never lands on an earlier one.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from parity.fixtures.providers import Completion
from parity.record.cache import CacheRecoveryWarning, CacheUnavailableWarning, ResponseCache

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
ROWS = 40  # written and checkpointed (closed cleanly)
WAL_ROWS = 10  # written after them by a run that was killed: they live in the -wal only
DAMAGES = (b"not a database", b"still not one")  # two damaged files, one after the other


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


USERNS = _works(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"])
NO_USERNS = "user and mount namespaces are not allowed here (unshare -Urm failed)"


# --- what the child interpreter runs --------------------------------------------------------


def _seed(folder: Path, killed_writer: bool = True) -> None:
    """A healthy cache: ``ROWS`` rows closed cleanly (no -wal, no -shm), then, with
    ``killed_writer``, ``WAL_ROWS`` more from a run that was killed: its -wal and -shm are
    left behind, not checkpointed."""
    cache = ResponseCache(folder)
    for number in range(ROWS):
        cache.put(f"k{number}", Completion("x" * 300, 1, 1, 1.0))
    cache.close()
    if not killed_writer:
        return
    killed = (
        "import os, sys\nfrom parity.record.cache import ResponseCache\n"
        "from parity.fixtures.providers import Completion\n"
        "cache = ResponseCache(sys.argv[1])\n"
        f"for n in range({ROWS}, {ROWS + WAL_ROWS}):\n"
        "    cache.put(f'k{n}', Completion('y' * 300, 1, 1, 1.0))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", killed, str(folder)], check=True, cwd=REPO)


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*"))}


def _two_runs(folder: Path) -> dict[str, object]:
    """Two caches (two runs of one process, so the same second and pid) each look up and
    store an answer; what they warned, and what the folder holds afterwards."""
    said, stored, modes, errors = [], [], [], []
    for _ in range(2):
        cache = ResponseCache(folder)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                cache.get("k0")
                cache.put("new", Completion("z", 1, 1, 1.0))
                stored.append(cache.get("new") is not None)
            except Exception as exc:  # what an item would fail with
                errors.append(f"{type(exc).__name__}: {exc}")
        said += [f"{w.category.__name__}: {w.message}" for w in caught]
        modes.append(cache.mode)
        cache.close()
    files = _files(folder)
    return {"warnings": said, "stored": stored, "modes": modes, "errors": errors, "files": files}


def _rows(folder: Path) -> int:
    cache = ResponseCache(folder)
    found = len(cache.get_many([f"k{n}" for n in range(ROWS + WAL_ROWS)]))
    cache.close()
    return found


def _become_nobody(folder: Path) -> None:
    """Give ``folder`` to uid 65534 and become that user for good (root ignores 0555)."""
    for path in [folder, *folder.iterdir()]:
        os.chown(path, NOBODY, NOBODY)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def _make_writable(folder: Path, writable: bool) -> None:
    """Make ``folder`` and its files writable by their owner again, or read-only (0555 and
    0444), as ``chmod`` does."""
    folder.chmod(0o755 if writable else 0o555)
    for path in folder.iterdir():
        path.chmod(0o644 if writable else 0o444)


def child(how: str, folder_name: str, killed_writer: bool) -> None:
    """Seed a cache in ``folder``, break the disk ``how``, open it twice, repair the disk
    and count the rows left; print a JSON report."""
    import resource

    folder = Path(folder_name)
    _seed(folder, killed_writer)
    before = _files(folder)
    filler = folder / "filler"
    if how == "tmpfs-full":
        with contextlib.suppress(OSError), filler.open("wb") as out:
            while True:  # until ENOSPC
                out.write(b"\0" * 4096)
                out.flush()
    elif how == "fsize-limit":
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    elif how == "ro-mount":
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    elif how == "chmod-0555":
        if os.geteuid() == 0:
            _become_nobody(folder)
        _make_writable(folder, False)
    report = _two_runs(folder)
    if how == "tmpfs-full":
        filler.unlink()
    elif how == "fsize-limit":
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    elif how == "ro-mount":
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
    elif how == "chmod-0555":
        _make_writable(folder, True)
    expected = ROWS + (WAL_ROWS if killed_writer else 0)
    print(json.dumps({**report, "before": before, "rows_after": _rows(folder), "rows": expected}))


# --- the tests ----------------------------------------------------------------------------


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that an unprivileged child (uid 65534) can reach and owns: pytest's tmp_path
    sits under a 0700 folder of the test's user."""
    top = Path(tempfile.mkdtemp(prefix="parity-cache-"))
    top.chmod(0o755)
    folder = top / "cache"
    folder.mkdir()
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(top)


def _run_child(how: str, folder: Path, killed_writer: bool) -> dict:
    call = f"child({how!r}, {str(folder)!r}, {killed_writer})"
    command = [sys.executable, "-c", f"from {__name__} import child; {call}"]
    if how in ("tmpfs-full", "ro-mount"):
        mount = f'mount -t tmpfs -o size=1m tmpfs "{folder}" && exec "$@"'
        command = ["unshare", "-Urm", "sh", "-c", mount, "sh", *command]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("tmpfs-full", marks=pytest.mark.skipif(not USERNS, reason=NO_USERNS)),
        "fsize-limit",
        pytest.param("ro-mount", marks=pytest.mark.skipif(not USERNS, reason=NO_USERNS)),
        "chmod-0555",
    ],
)
@pytest.mark.parametrize("killed_writer", [False, True], ids=["closed", "wal-left"])
def test_a_full_disk_or_read_only_folder_turns_the_cache_off_and_keeps_every_row(
    shared_dir, how, killed_writer
):
    report = _run_child(how, shared_dir, killed_writer)
    assert report["errors"] == [], report
    assert report["rows_after"] == report["rows"], report  # the -wal's rows too
    said = report["warnings"]
    assert len(said) == 2 and all(w.startswith("CacheUnavailableWarning") for w in said), said
    assert str(shared_dir) in said[0] and "Fix:" in said[0] and "--parity-cache-dir" in said[0]
    assert report["modes"] == ["off", "off"] and report["stored"] == [False, False]
    files, before = report["files"], report["before"]
    assert not [name for name in files if ".corrupt" in name], files  # nothing moved aside
    assert files["responses.sqlite3"] == before["responses.sqlite3"] > 0
    wal = "responses.sqlite3-wal"
    assert files.get(wal, 0) >= before.get(wal, 0) > 0 or not killed_writer


def test_a_damaged_file_moves_aside_with_its_wal_and_a_second_move_keeps_the_first(
    tmp_path, monkeypatch
):
    """Another process (an xdist worker) still holds the cache open, so SQLite does not fold
    the -wal into the damaged file on close: the -wal must move with it."""
    monkeypatch.setattr("time.strftime", lambda *_: "20260101-000000")  # both in one second
    path = tmp_path / "responses.sqlite3"
    wals, holders = [], []
    for damage in DAMAGES:
        _seed(tmp_path)
        holders.append(sqlite3.connect(path))
        holders[-1].execute("SELECT count(*) FROM responses").fetchone()
        wals.append(Path(f"{path}-wal").read_bytes())
        path.write_bytes(damage * 100)
        cache = ResponseCache(tmp_path)
        with pytest.warns(CacheRecoveryWarning, match="moved it to"):
            assert cache.get("k0") is None
        cache.put("k0", Completion("fresh", 1, 1, 1.0))
        assert cache.get("k0").text == "fresh"
        cache.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    aside = sorted(p for p in tmp_path.iterdir() if ".corrupt-" in p.name)
    assert len(aside) == 2, list(tmp_path.iterdir())
    for folder, damage, wal in zip(aside, DAMAGES, wals, strict=True):
        assert (folder / "responses.sqlite3").read_bytes() == damage * 100
        assert (folder / "responses.sqlite3-wal").read_bytes() == wal  # moved, not deleted
    for holder in holders:
        holder.close()


def test_a_cache_another_process_holds_locked_turns_off_soon_and_says_so(tmp_path):
    """A foreign EXCLUSIVE lock (another run, an sqlite3 shell) costs one busy wait of a write,
    then the cache is off with a fix that names the lock, not the disk; nothing is moved aside
    (was: a 60 s wait per write, holding every sender thread, and a disk-space fix)."""
    cache = ResponseCache(tmp_path, "use", busy_timeout_s=0.3)
    cache.put("k", Completion(text="kept", input_tokens=1, output_tokens=1, latency_ms=1.0))
    cache.close()
    holder = sqlite3.connect(tmp_path / "responses.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = ResponseCache(tmp_path, "use", busy_timeout_s=0.3)
        assert locked.get("k").text == "kept"  # WAL: reading goes on beside a writer's lock
        with pytest.warns(CacheUnavailableWarning, match="locked for over 0.3 s") as caught:
            locked.put("k2", Completion(text="x", input_tokens=1, output_tokens=1, latency_ms=1))
            locked.put("k3", Completion(text="y", input_tokens=1, output_tokens=1, latency_ms=1))
        assert len(caught) == 1 and locked.mode == "off"
        assert "free disk space" not in str(caught[0].message)
    finally:
        holder.rollback()
        holder.close()
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []
    assert ResponseCache(tmp_path, "use").get("k").text == "kept"
