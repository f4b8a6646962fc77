"""A user's own evaluation data for a ``@pytest.mark.parity`` test: a registered dataset's
name, a JSONL/JSON/CSV file with a field mapping, or a Python iterable of dicts.

Rows become :class:`~parity.evals.datasets.Example` objects: ``input`` is the question,
``expected`` the reference answer(s), ``context`` and ``id`` optional; every other column
stays in ``example.metadata``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from parity.config.errors import DataError
from parity.evals.datasets import DATASETS, Example
from parity.evals.datasets.base import LoadedDataset, read_rows

# The marker's ``fields`` keys, each naming the column that holds it (defaults: same name).
FIELD_ROLES = ("input", "expected", "context", "id")
REQUIRED_ROLES = ("input", "expected")
FILE_SUFFIXES = (".jsonl", ".json", ".csv")


def field_mapping(fields: Mapping[str, str] | None) -> dict[str, str]:
    """Each role's column name: the defaults overridden by the marker's ``fields``."""
    mapping = {role: role for role in FIELD_ROLES}
    for role, column in (fields or {}).items():
        if role not in FIELD_ROLES:
            raise DataError(
                f"fields: unknown role '{role}'; valid roles are {', '.join(FIELD_ROLES)} "
                "(each maps to the column that holds it, e.g. fields={'input': 'question'})"
            )
        if not isinstance(column, str):
            raise DataError(f"fields: '{role}' must name a column (a string), got {column!r}")
        mapping[role] = column
    return mapping


def _expected(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        if not value or not all(isinstance(v, (str, int, float)) for v in value):
            raise DataError(f"{where}: the expected answers must be a non-empty list of strings")
        return tuple(str(v) for v in value)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return (str(value),)
    raise DataError(
        f"{where}: the expected answer must be a string or a list of strings, got {value!r}"
    )


def rows_to_examples(
    rows: Iterable[Any], fields: Mapping[str, str] | None, origin: str
) -> list[Example]:
    """Convert ``rows`` (mappings) with the field mapping; errors name ``origin`` and the row."""
    mapping = field_mapping(fields)
    examples = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        where = f"{origin}: row {index + 1}"
        if not isinstance(row, Mapping):
            raise DataError(
                f"{where}: expected a mapping of column names to values, got {type(row).__name__}"
            )
        missing = [mapping[r] for r in REQUIRED_ROLES if row.get(mapping[r]) in (None, "")]
        if missing:
            columns = ", ".join(map(str, row)) or "none"
            raise DataError(
                f"{where} has no value for {', '.join(repr(m) for m in missing)} (its columns: "
                f"{columns}); map your columns with fields={{'input': ..., 'expected': ...}}"
            )
        example_id = str(row.get(mapping["id"]) or index)
        if example_id in seen:
            raise DataError(f"{where}: the id {example_id!r} appears twice; ids must be unique")
        seen.add(example_id)
        roles = {mapping[role] for role in FIELD_ROLES}
        examples.append(
            Example(
                id=example_id,
                question=str(row[mapping["input"]]),
                context=str(row.get(mapping["context"]) or ""),
                answers=_expected(row[mapping["expected"]], where),
                metadata={k: v for k, v in row.items() if k not in roles},
            )
        )
    if not examples:
        raise DataError(f"{origin}: no rows to evaluate")
    return examples


def load_own_data(
    dataset: Any,
    fields: Mapping[str, str] | None,
    base_dir: Path,
    split: str | None = None,
    source: str = "auto",
) -> LoadedDataset:
    """The examples ``dataset`` names: a registered dataset, a file (relative paths resolve
    against ``base_dir``, the test file's folder) or an iterable of dicts."""
    if isinstance(dataset, (str, Path)):
        text = str(dataset)
        if isinstance(dataset, str) and text in DATASETS.names():
            if fields:
                raise DataError(
                    f"fields= applies to your own files and rows; dataset '{text}' is a "
                    "registered dataset with its own layout"
                )
            return DATASETS.get(text).load(split, source, None)
        path = Path(text)
        if not path.is_absolute():
            path = base_dir / path
        if path.suffix not in FILE_SUFFIXES:
            raise DataError(
                f"dataset={text!r} is neither a registered dataset ({', '.join(DATASETS.names())}) "
                f"nor a {'/'.join(FILE_SUFFIXES)} file"
            )
        return LoadedDataset(rows_to_examples(read_rows(path), fields, str(path)), f"file {path}")
    if isinstance(dataset, Mapping) or not isinstance(dataset, Iterable):
        raise DataError(
            f"dataset= must be a registered name, a file path or an iterable of dicts, "
            f"got {type(dataset).__name__}"
        )
    return LoadedDataset(
        rows_to_examples(list(dataset), fields, "dataset rows"), "rows given in the test"
    )
