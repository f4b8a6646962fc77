"""Where Parity writes: a directory checked at start-up, and one message for a write that
fails mid-run, each naming the path and the fix."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def fix_for(error: OSError, directory: Path, elsewhere: str) -> str:
    """The fix for ``error`` writing under ``directory``; ``elsewhere`` names the option that
    puts the files somewhere else (``--parity-report-dir DIR``)."""
    if error.errno in _FULL:
        return f"free space on the disk of {directory}, or give {elsewhere} on another disk"
    if error.errno in _READ_ONLY:
        return f"make {directory} writable, or give {elsewhere} a writable directory"
    return f"check {directory}, or give {elsewhere} another directory"


def unwritable(directory: Path) -> OSError | None:
    """Why files cannot be written in ``directory``, or None if they can; a directory that
    does not exist yet is judged by the nearest one above it that does (where it would be
    made). A file is really created and removed: permission bits alone do not tell (root
    ignores them; neither a read-only mount nor a full disk shows in them)."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        descriptor, probe = tempfile.mkstemp(prefix=".parity-probe-", dir=existing)
        try:
            os.write(descriptor, b"probe\n")
        finally:
            os.close(descriptor)
            os.unlink(probe)
    except OSError as exc:
        return exc
    return None


def cannot_write(
    directory: Path, what: str, elsewhere: str, error: OSError, other_fix: str = ""
) -> str:
    """The message for ``directory`` (which holds ``what``) not taking files; ``other_fix``
    is one more way out (``run without the cache: --parity-cache=off``)."""
    fix = fix_for(error, directory, elsewhere) + (f"; or {other_fix}" if other_fix else "")
    return (
        f"parity: cannot write the {what} in {directory}: {error.strerror or error}.\n  Fix: {fix}."
    )


def check_writable(directory: Path, what: str, elsewhere: str, other_fix: str = "") -> str | None:
    """:func:`cannot_write`'s message when files cannot be written in ``directory``; None
    when they can."""
    error = unwritable(directory)
    if error is None:
        return None
    return cannot_write(directory, what, elsewhere, error, other_fix)


def rows_not_written(path: Path, error: OSError) -> str:
    """The message that stops a run whose raw rows cannot be written to ``path``."""
    run_dir = path.parent
    return (
        f"parity: cannot write the raw rows to {path}: {error.strerror or error}. The run "
        "stops here; items whose rows were not written are failed, not passed.\n"
        f"  Fix: {fix_for(error, run_dir, '--parity-report-dir DIR')}; then "
        f"--parity-resume={run_dir} continues the run from the rows it kept."
    )
