"""File names made from data: a subset (task) name becomes part of a raw file's name."""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_NAME_PART = 64  # characters of a subset name kept in a file name


def safe_name_part(text: str) -> str:
    """``text`` as part of a file name: unchanged when it is a plain name (letters, digits,
    ``_.-``, up to ``MAX_NAME_PART`` characters, no leading dot), else its safe characters
    plus a short hash of the whole, so that no two different names share a file by accident
    and none reaches outside the run directory (``a/b``, ``..``)."""
    cleaned = _UNSAFE.sub("_", text).lstrip(".")
    if cleaned == text and 0 < len(text) <= MAX_NAME_PART:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[:MAX_NAME_PART]}-{digest}"


def raw_file_stem_of(experiment_id: str, subset: object) -> str:
    """``{experiment_id}``, or ``{experiment_id}_{task}`` for multi-task datasets (LongBench);
    the task comes from the data, so it is made a safe file name first."""
    return f"{experiment_id}_{safe_name_part(str(subset))}" if subset else experiment_id
