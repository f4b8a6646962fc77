"""The dataset interface: load real rows from a local file, the shipped sample, or the Hub."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from parity.config.errors import DataError, MissingDataFile
from parity.config.registry import Registry
from parity.config.schema import Field
from parity.config.suggest import suggest_file
from parity.evals.datasets.row_fields import check_row, convert_checked, row_place
from parity.record.jsonl import JsonlError, parse_jsonl

SHIPPED_DATA = resources.files("parity.evals") / "data"
_EXTRA_CELLS = "\x00extra"


@dataclass(frozen=True, slots=True)
class Example:
    """One evaluation example, independent of the dataset it came from."""

    id: str
    question: str
    context: str
    answers: tuple[str, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedDataset:
    """The examples of one split and where they came from (shown in reports)."""

    examples: list[Example]
    source: str
    note: str = ""


class DatasetLoader:
    """Base class of a dataset loader; subclasses name their files and convert one row.

    A loader reads, in this order of preference: ``dataset.path`` (a local ``.jsonl`` or
    ``.json`` file in the Hub layout), the Hub through ``datasets.load_dataset`` when
    ``dataset.source`` is ``hub``, or the real sample shipped in ``parity/evals/data``.
    """

    name: ClassVar[str]
    hub_id: ClassVar[str]
    hub_config: ClassVar[str | None] = None
    default_split: ClassVar[str]
    shot_split: ClassVar[str | None] = "train"
    shipped: ClassVar[Mapping[str, str]] = {}
    # The fields every row must have, with their types (row_fields.TEXT, ID...).
    required_fields: ClassVar[Mapping[str, Field]] = {}
    subsets: ClassVar[tuple[str, ...]] = ()
    expected_rows: ClassVar[Mapping[str, int]] = {}
    # The loader's own ``dataset:`` keys, checked like the core ones.
    option_fields: ClassVar[Mapping[str, Field]] = {}

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        """Turn one raw row (Hub layout) into an :class:`Example`."""
        raise NotImplementedError

    def select(self, examples: list[Example], seed: int) -> list[Example]:
        """Dataset-specific selection before sampling (CUAD balances present/absent)."""
        return examples

    def label_names(self) -> list[str]:
        """The label set of a classification dataset (empty otherwise)."""
        return []

    def shipped_splits(self) -> list[str]:
        """Splits for which a real sample ships with Parity."""
        return sorted(self.shipped)

    def load(
        self, split: str | None, source: str, path: str | None, subset: str | None = None
    ) -> LoadedDataset:
        """Load every example of ``split`` from ``path``, the Hub, or the shipped sample."""
        split = split or self.default_split
        if subset is not None and subset not in self.subsets:
            valid = ", ".join(self.subsets) if self.subsets else "none (remove dataset.task)"
            raise DataError(f"dataset '{self.name}' has no task '{subset}'; valid: {valid}")
        if self.subsets and subset is None and not path:
            return self._load_all_subsets(split, source, path)
        if path:
            rows = read_rows(Path(path))
            return LoadedDataset(self._convert_all(rows, str(path)), f"file {path}")
        if source == "hub":
            rows = self._hub_rows(split, subset)
            self._check_row_count(rows, split)
            return LoadedDataset(self._convert_all(rows, self.hub_id), self.hub_id)
        if source == "auto" and _hub_reachable():
            try:
                rows = self._hub_rows(split, subset)
            except DataError as exc:
                fallback = f"{self.name}: the Hub was not reachable ({str(exc)[:120]}); "
            else:
                self._check_row_count(rows, split)
                return LoadedDataset(self._convert_all(rows, self.hub_id), self.hub_id)
        else:
            fallback = f"{self.name}: "
        key = f"{subset}/{split}" if subset else split
        if key not in self.shipped:
            raise DataError(
                f"dataset '{self.name}' ships no sample for '{key}' "
                f"(shipped: {', '.join(self.shipped_splits()) or 'none'}); "
                "set dataset.source: hub or dataset.path to read the full split"
            )
        shipped = SHIPPED_DATA / self.shipped[key]
        rows = read_rows(Path(str(shipped)))
        return LoadedDataset(
            self._convert_all(rows, f"shipped {self.shipped[key]}"),
            f"shipped sample {self.shipped[key]}",
            note=f"{fallback}using the shipped real sample of {len(rows)} rows ({key}) from {self.hub_id}",
        )

    def _load_all_subsets(self, split: str, source: str, path: str | None) -> LoadedDataset:
        examples: list[Example] = []
        notes: list[str] = []
        for subset in self.subsets:
            try:
                part = self.load(split, source, path, subset)
            except DataError as exc:
                if source == "hub" or path:
                    raise
                notes.append(f"{self.name}/{subset}: skipped, {exc}")
                continue
            examples += part.examples
            notes += [part.note] if part.note else []
        if not examples:
            raise DataError(f"dataset '{self.name}': no task could be loaded ({'; '.join(notes)})")
        return LoadedDataset(
            examples, f"{self.name} ({len(self.subsets)} tasks)", note="; ".join(notes)
        )

    def _check_row_count(self, rows: list[Mapping[str, Any]], split: str) -> None:
        expected = self.expected_rows.get(split)
        if expected is not None and len(rows) != expected:
            raise DataError(
                f"{self.hub_id} split '{split}' has {len(rows)} rows, expected {expected}: "
                "the download looks truncated or stale; clear the datasets cache and retry"
            )

    def _hub_rows(self, split: str, subset: str | None = None) -> list[Mapping[str, Any]]:
        try:
            import datasets
        except ImportError as exc:
            raise DataError(
                f"dataset.source: hub needs the 'datasets' package ({exc}); "
                "pip install datasets, or use the shipped sample (source: shipped)"
            ) from None
        try:
            data = datasets.load_dataset(self.hub_id, subset or self.hub_config, split=split)
        except Exception as exc:
            raise DataError(
                f"could not load {self.hub_id} split '{split}' from the Hugging Face Hub: {exc}"
            ) from None
        return list(data)

    def _convert_all(self, rows: Iterable[Mapping[str, Any]], origin: str) -> list[Example]:
        examples = []
        for index, row in enumerate(rows):
            place = row_place(origin, index, self.name)
            check_row(row, self.required_fields, place)
            examples.append(convert_checked(partial(self.convert, row, index), row, place))
        return examples


def _hub_reachable() -> bool:
    """False when the user asked for offline mode (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)."""
    return not any(
        os.environ.get(v, "0") not in ("", "0") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def read_rows(path: Path) -> list[Mapping[str, Any]]:
    """Read a JSONL file (one object per line), a JSON file holding a list of objects, a
    CSV file with a header row, or a Parquet file."""
    return read_rows_and_lines(path)[0]


def read_rows_and_lines(path: Path) -> tuple[list[Mapping[str, Any]], list[int] | None]:
    """:func:`read_rows`, with the line each row starts on (JSONL and CSV; None for JSON and
    Parquet), so a message about a row can name its line."""
    if not path.is_file():
        raise missing_file(path)
    if path.suffix == ".parquet":
        return _parquet_rows(path), None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-encode the file as UTF-8"
        ) from None
    if path.suffix == ".csv":
        return _csv_rows(path, text)
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno}); "
                "fix the file there"
            ) from None
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise DataError(f"{path}: expected a JSON list of objects (one per row)")
        return data, None
    located = list(_jsonl_rows(path, text))
    return [row for _, row in located], [number for number, _ in located]


def missing_file(path: Path) -> DataError:
    """Why ``path`` cannot be read; a missing file names the file of the closest name in
    its folder, which the error's fix suggests."""
    folder = path.parent
    if not folder.is_dir():
        return MissingDataFile(
            path, f"data file {path} does not exist (nor does its folder {folder})", None
        )
    if path.exists():
        return DataError(f"data file {path} is not a file")
    found = suggest_file(path)
    if found is None:
        return MissingDataFile(
            path,
            f"data file {path} does not exist (its folder holds no file of a close name)",
            None,
        )
    return MissingDataFile(path, f"data file {path} does not exist", found)


def _parquet_rows(path: Path) -> list[Mapping[str, Any]]:
    """A Parquet file's rows, through pyarrow (installed with ``datasets``)."""
    try:
        parquet = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise DataError(
            f"{path}: reading Parquet needs pyarrow; pip install pyarrow "
            "(or parity-evals[hub]), or save the rows as JSONL"
        ) from None
    try:
        rows: list[Mapping[str, Any]] = parquet.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow.ArrowInvalid and its relatives: not a Parquet file
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    return rows


def _csv_rows(path: Path, text: str) -> tuple[list[Mapping[str, Any]], list[int]]:
    """A CSV file's rows as mappings from its header's names, with the line each starts on;
    a row with more or fewer cells than the header is an error naming its line."""
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA_CELLS)
    if not reader.fieldnames:
        raise DataError(f"{path}: empty CSV file; expected a header row naming the columns")
    rows: list[Mapping[str, Any]] = []
    lines: list[int] = []
    end = reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if _EXTRA_CELLS in row or None in row.values():
            raise DataError(
                f"{path}:{end}: {len(reader.fieldnames)} columns in the header but "
                "a different number in this row; quote cells that contain commas"
            )
        rows.append(row)
        lines.append(start)
    return rows, lines


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """A JSONL file's objects with their line numbers: lines end at ``"\\n"`` only, so U+2028
    inside a string is text."""
    try:
        lines = parse_jsonl(text, path)
    except JsonlError as exc:
        raise DataError(f"{exc}; fix or remove that line") from None
    for line in lines:
        if not isinstance(line.value, dict):
            raise DataError(f"{path}:{line.number}: expected a JSON object per line")
        yield line.number, line.value


DATASETS: Registry[DatasetLoader] = Registry("dataset")


def register_dataset(cls: type[DatasetLoader]) -> type[DatasetLoader]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    DATASETS.register(cls.name)(cls())
    return cls
