"""The dataset interface: load real rows from a local file, the shipped sample, or the Hub."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from parity.errors import DataError
from parity.registry import Registry

SHIPPED_DATA = resources.files("parity.evals") / "data"


@dataclass(frozen=True)
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
    shipped: ClassVar[Mapping[str, str]] = {}
    required_fields: ClassVar[tuple[str, ...]] = ()

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        """Turn one raw row (Hub layout) into an :class:`Example`."""
        raise NotImplementedError

    def shipped_splits(self) -> list[str]:
        """Splits for which a real sample ships with Parity."""
        return sorted(self.shipped)

    def load(self, split: str | None, source: str, path: str | None) -> LoadedDataset:
        """Load every example of ``split`` from ``path``, the Hub, or the shipped sample."""
        split = split or self.default_split
        if path:
            rows = read_rows(Path(path))
            return LoadedDataset(self._convert_all(rows, str(path)), f"file {path}")
        if source == "hub":
            return LoadedDataset(self._convert_all(self._hub_rows(split), self.hub_id), self.hub_id)
        if split not in self.shipped:
            raise DataError(
                f"dataset '{self.name}' ships no sample for split '{split}' "
                f"(shipped: {', '.join(self.shipped_splits()) or 'none'}); "
                "set dataset.source: hub or dataset.path to read the full split"
            )
        shipped = SHIPPED_DATA / self.shipped[split]
        rows = read_rows(Path(str(shipped)))
        return LoadedDataset(
            self._convert_all(rows, f"shipped {self.shipped[split]}"),
            f"shipped sample {self.shipped[split]}",
            note=f"{self.name}: shipped real sample of {len(rows)} rows from {self.hub_id}",
        )

    def _hub_rows(self, split: str) -> list[Mapping[str, Any]]:
        try:
            import datasets
        except ImportError as exc:
            raise DataError(
                f"dataset.source: hub needs the 'datasets' package ({exc}); "
                "pip install datasets, or use the shipped sample (source: shipped)"
            ) from None
        try:
            data = datasets.load_dataset(self.hub_id, self.hub_config, split=split)
        except Exception as exc:
            raise DataError(
                f"could not load {self.hub_id} split '{split}' from the Hugging Face Hub: {exc}"
            ) from None
        return list(data)

    def _convert_all(self, rows: Iterable[Mapping[str, Any]], origin: str) -> list[Example]:
        examples = []
        for index, row in enumerate(rows):
            missing = [f for f in self.required_fields if f not in row]
            if missing:
                raise DataError(
                    f"{origin}: row {index} of dataset '{self.name}' lacks field(s) "
                    f"{', '.join(missing)}; expected the {self.hub_id} layout with fields "
                    f"{', '.join(self.required_fields)}"
                )
            examples.append(self.convert(row, index))
        return examples


def read_rows(path: Path) -> list[Mapping[str, Any]]:
    """Read a JSONL file (one object per line) or a JSON file holding a list of objects."""
    if not path.exists():
        raise DataError(f"data file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        if not isinstance(data, list):
            raise DataError(f"{path}: expected a JSON list of rows")
        return data
    return list(_jsonl_rows(path, text))


def _jsonl_rows(path: Path, text: str) -> Iterator[Mapping[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{number}: expected a JSON object per line")
        yield row


DATASETS: Registry[DatasetLoader] = Registry("dataset")


def register_dataset(cls: type[DatasetLoader]) -> type[DatasetLoader]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    DATASETS.register(cls.name)(cls())
    return cls
