"""A ``@pytest.mark.parity`` test's data: a registered dataset's name, your own JSONL, JSON,
CSV or Parquet file with a field mapping, or a Python iterable of dicts.

Files and rows are read by :mod:`parity.evals.datasets.user_data`, the reader YAML
experiments use for ``dataset: {path: ..., fields: ...}``, with the same messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from parity.config.errors import DataError
from parity.evals.datasets import DATASETS
from parity.evals.datasets.base import LoadedDataset
from parity.evals.datasets.user_data import FILE_SUFFIXES, read_data_file, rows_to_examples


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
        if not path.suffix:
            hint = DATASETS.suggestion(text)
            raise DataError(
                f"dataset={text!r} is neither a registered dataset ({', '.join(DATASETS.names())}) "
                f"nor a {'/'.join(FILE_SUFFIXES)} file",
                fix=hint,
            )
        return read_data_file(path if path.is_absolute() else base_dir / path, fields)
    if isinstance(dataset, Mapping) or not isinstance(dataset, Iterable):
        raise DataError(
            f"dataset= must be a registered name, a file path or an iterable of dicts, "
            f"got {type(dataset).__name__}"
        )
    return LoadedDataset(
        rows_to_examples(list(dataset), fields, "dataset rows"), "rows given in the test"
    )
