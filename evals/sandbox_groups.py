"""One control group per sandboxed run: a memory and a process limit for all of its processes.

``RLIMIT_AS`` bounds one process and ``RLIMIT_NPROC`` counts a whole uid, so neither bounds a
run: a program that forks spreads its memory over its children, and a fork bomb in one run
takes the process slots of the next. A group per run bounds the total of every process in it.

cgroup v2 is used where this process may create a child group with the ``memory`` and
``pids`` controllers; else cgroup v1's ``memory`` and ``pids`` hierarchies, where writable.
:func:`open_group` returns None where neither is (an unprivileged user without delegation,
a read-only ``/sys/fs/cgroup``): the sandbox then falls back to per-process limits.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_names = itertools.count()
_names_lock = threading.Lock()


@dataclass(frozen=True)
class _Hierarchy:
    """Where this process's own group is, in one mounted hierarchy."""

    version: int  # 1 or 2
    controllers: frozenset[str]
    here: Path


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount root, mount point, fs type, super options) of every cgroup mount."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        dash = fields.index("-")
        fstype, options = fields[dash + 1], fields[dash + 3]
        if fstype in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4], fstype, set(options.split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """This process's group per hierarchy: ``"0"`` for v2, else the controller names."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        paths["0" if number == "0" else controllers] = path
    return paths


def _located(root: str, mount_point: str, path: str) -> Path | None:
    if not (path == root or path.startswith(root.rstrip("/") + "/")):
        return None  # our group is outside what this mount shows
    return Path(mount_point) / path[len(root) :].lstrip("/")


def _hierarchies() -> list[_Hierarchy]:
    own = _own_paths()
    found = []
    for root, mount_point, fstype, options in _mounts():
        if fstype == "cgroup2" and "0" in own:
            here = _located(root, mount_point, own["0"])
            if here is not None:
                controllers = set((here / "cgroup.controllers").read_text().split())
                found.append(_Hierarchy(2, frozenset(controllers & {"memory", "pids"}), here))
        elif fstype == "cgroup":
            wanted = options & {"memory", "pids"}
            key = next((k for k in own if k != "0" and wanted & set(k.split(","))), None)
            if key is not None:
                here = _located(root, mount_point, own[key])
                if here is not None:
                    found.append(_Hierarchy(1, frozenset(wanted), here))
    return found


class Group:
    """A control group (one directory per hierarchy) holding one run's processes."""

    def __init__(self, directories: list[Path], version: int) -> None:
        self.directories = directories
        self.version = version

    def enter(self) -> None:
        """Move the calling process into the group (in the child, before exec)."""
        for directory in self.directories:
            (directory / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        """Kill whatever still runs in the group, then remove it."""
        for directory in self.directories:
            _empty_and_remove(directory)


def _empty_and_remove(directory: Path) -> None:
    deadline = time.monotonic() + 5.0
    while True:
        try:
            killer = directory / "cgroup.kill"
            if killer.exists():
                killer.write_text("1")
            for pid in (directory / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.002)  # the killed processes are not reaped yet


def _write_limits(directory: Path, version: int, memory_bytes: int, processes: int) -> None:
    if version == 2:
        settings = [("memory.max", memory_bytes), ("memory.swap.max", 0), ("pids.max", processes)]
    else:
        settings = [
            ("memory.limit_in_bytes", memory_bytes),
            ("memory.memsw.limit_in_bytes", memory_bytes),  # swap counts too, where accounted
            ("pids.max", processes),
        ]
    for name, value in settings:
        target = directory / name
        if target.exists():
            target.write_text(str(value))


def _create(parents: list[Path], version: int, memory_bytes: int, processes: int) -> Group:
    with _names_lock:
        name = f"parity-sandbox-{os.getpid()}-{next(_names)}"
    group = Group([], version)
    try:
        for parent in parents:
            directory = parent / name
            directory.mkdir()
            group.directories.append(directory)
            _write_limits(directory, version, memory_bytes, processes)
    except OSError:
        group.close()
        raise
    return group


def _enable_v2(here: Path) -> bool:
    """Whether child groups of ``here`` get the memory and pids controllers (enabling them)."""
    control = here / "cgroup.subtree_control"
    if {"memory", "pids"} <= set(control.read_text().split()):
        return True
    try:
        control.write_text("+memory +pids")  # refused where this group holds processes
    except OSError:
        return False
    return True


@lru_cache(maxsize=1)
def _plan() -> tuple[int, tuple[Path, ...]] | None:
    """The hierarchy version and parent directories to create run groups in, or None."""
    try:
        hierarchies = _hierarchies()
    except (OSError, ValueError):
        return None
    for hierarchy in hierarchies:
        if hierarchy.version == 2 and hierarchy.controllers == {"memory", "pids"}:
            try:
                if _enable_v2(hierarchy.here) and _works(2, (hierarchy.here,)):
                    return 2, (hierarchy.here,)
            except OSError:
                continue
    v1 = {c: h.here for h in hierarchies if h.version == 1 for c in h.controllers}
    if {"memory", "pids"} <= v1.keys():
        parents = tuple(dict.fromkeys([v1["memory"], v1["pids"]]))
        if _works(1, parents):
            return 1, parents
    return None


def _works(version: int, parents: tuple[Path, ...]) -> bool:
    """A trial group can be made and given both limits."""
    try:
        group = _create(list(parents), version, 64 * 1024 * 1024, 4)
    except OSError:
        return False
    needed = ("memory.max", "pids.max") if version == 2 else ("memory.limit_in_bytes", "pids.max")
    complete = all(any((d / n).exists() for d in group.directories) for n in needed)
    group.close()
    return complete


def open_group(memory_bytes: int, processes: int) -> Group | None:
    """A new group bounding its processes' total memory and count, or None where this
    machine does not let this process make one."""
    plan = _plan()
    if plan is None:
        return None
    version, parents = plan
    return _create(list(parents), version, memory_bytes, processes)


def groups_unavailable_reason() -> str | None:
    """Why runs cannot get a control group here (None when they can)."""
    if _plan() is not None:
        return None
    return (
        "no writable cgroup v2 group with the memory and pids controllers and no writable "
        "cgroup v1 memory and pids hierarchies (run as root, or delegate a cgroup to this user)"
    )
