"""Parity's one JSON Lines format: how a row becomes a line, and how a file becomes rows.

A line ends at ``"\\n"`` and nowhere else. The writer escapes the other characters that some
readers take for a line break (U+0085, U+2028, U+2029: ``str.splitlines`` splits on them,
JSON does not escape them), so a row holding any text stays one line for every reader; the
reader splits on ``"\\n"`` only, so a valid JSONL file written by anyone else (which may hold
those characters raw inside strings) is read as its author meant.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Line breaks to ``str.splitlines`` that JSON leaves raw inside strings (it escapes < U+0020).
_RAW_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_ASCII_ENCODER = json.JSONEncoder(allow_nan=False)  # escapes every non-ASCII character


class JsonlError(ValueError):
    """A line of a JSONL file that is not one JSON value."""

    def __init__(self, path: Path | str, number: int, reason: str, detail: str) -> None:
        super().__init__(f"{path}:{number}: {reason} ({detail})")
        self.path = path
        self.number = number
        self.reason = reason  # "not UTF-8" or "not valid JSON"


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One decoded line: its 1-based ``number`` in the file, and its JSON ``value``."""

    number: int
    value: Any


def encode_line(row: Mapping[str, Any]) -> bytes:
    """``row`` as one UTF-8 JSON line ending in ``"\\n"``.

    A lone surrogate (not UTF-8) is written as its JSON escape and read back as it was.
    Raises ValueError naming the field when a number is NaN or infinite: JSON has no such
    values, and a bare ``NaN`` would make the line unreadable to strict readers."""
    try:
        text = _ENCODER.encode(row)
    except ValueError:
        raise ValueError(
            f"row field {_non_finite(row) or '?'} is not a finite number; JSON cannot hold "
            "NaN or infinity, so the row is not written"
        ) from None
    for char, escaped in _RAW_BREAKS.items():
        if char in text:  # only ever inside a string: JSON's own syntax is ASCII
            text = text.replace(char, escaped)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a "\ud800" escape): kept escaped
        return (_ASCII_ENCODER.encode(row) + "\n").encode("ascii")


def _non_finite(value: Any, where: str = "") -> str | None:
    """The dotted path of the first NaN or infinity in ``value`` (None when there is none)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where or 'value'} ({value})"
    if isinstance(value, Mapping):
        items: Iterator[tuple[str, Any]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        found = _non_finite(item, f"{where}.{key}" if where else key)
        if found is not None:
            return found
    return None


def parse_jsonl(data: bytes | str, path: Path | str, skip_bad: bool = False) -> list[JsonLine]:
    """The JSON values of ``data``, one per ``"\\n"``-ended line; blank lines are skipped.

    A line that is not UTF-8 or not one JSON value raises :class:`JsonlError` naming
    ``path`` and the line, or is skipped with ``skip_bad`` (a row cut short when a run was
    killed mid-write)."""
    lines: list[JsonLine] = []
    raw_lines: Sequence[bytes | str] = (
        data.split(b"\n") if isinstance(data, bytes) else data.split("\n")
    )
    for number, raw in enumerate(raw_lines, 1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            if not text.strip():
                continue
            lines.append(JsonLine(number, json.loads(text)))
        except UnicodeDecodeError as exc:
            if not skip_bad:
                raise JsonlError(path, number, "not UTF-8", exc.reason) from None
        except json.JSONDecodeError as exc:
            if not skip_bad:
                raise JsonlError(path, number, "not valid JSON", exc.msg) from None
    return lines


def read_jsonl(path: Path, skip_bad: bool = False) -> list[JsonLine]:
    """The JSON values of the JSONL file at ``path`` (see :func:`parse_jsonl`)."""
    return parse_jsonl(path.read_bytes(), path, skip_bad)
