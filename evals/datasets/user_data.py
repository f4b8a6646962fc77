"""Your own data: the rows of a JSONL, JSON, CSV or Parquet file, of a Hugging Face dataset,
or given in Python, turned into :class:`Example` objects by a field mapping.

One reader and one set of messages for both ways of naming your data: a YAML experiment's
``dataset: {path: ..., fields: ...}`` (or ``hub:``) and ``@pytest.mark.parity(dataset=...,
fields=...)``. ``input`` is the question, ``expected`` the reference answer(s), ``context``
(text, or a list of passages joined one per line) and ``id`` are optional (a row without an id
is named by a short hash of its content, :mod:`parity.evals.datasets.row_ids`); every other key
stays in ``example.metadata``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from parity.config.errors import DataError
from parity.config.registry import closest
from parity.evals.datasets.base import (
    DatasetLoader,
    Example,
    LoadedDataset,
    missing_file,
    read_rows_and_lines,
)
from parity.evals.datasets.joining import join_passages
from parity.evals.datasets.row_ids import ContentIds

# Each role names the key (column) of a row that holds it; by default the role's own name.
FIELD_ROLES = ("input", "expected", "context", "id")
REQUIRED_ROLES = ("input", "expected")
FILE_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
_SCALARS = (str, int, float)
# Keys that usually hold each role in public datasets, for the fix a message suggests.
_USUAL_KEYS = {
    "input": ("question", "query", "prompt", "text", "instruction"),
    "expected": ("answer", "answers", "gold", "label", "target", "output", "reference"),
    "context": ("passage", "passages", "document", "documents", "ctx", "contexts"),
    "id": ("_id", "qid", "uid", "question_id", "example_id"),
}


def field_mapping(fields: Mapping[str, Any] | None) -> dict[str, str]:
    """Each role's key: the defaults (``input`` -> ``input``...) overridden by ``fields``."""
    mapping = {role: role for role in FIELD_ROLES}
    for role, key in (fields or {}).items():
        if role not in FIELD_ROLES:
            hint = closest(str(role), list(FIELD_ROLES))
            raise DataError(
                f"fields: unknown role '{role}'; valid roles are {', '.join(FIELD_ROLES)}, "
                "each mapped to the key of your rows that holds it, e.g. input: question",
                fix=f"did you mean '{hint}'?" if hint else None,
            )
        if not isinstance(key, str) or not key:
            raise DataError(f"fields: '{role}' must name a key of your rows (text), got {key!r}")
        mapping[role] = key
    return mapping


def rows_to_examples(
    rows: Iterable[Any],
    fields: Mapping[str, Any] | None,
    origin: str,
    lines: list[int] | None = None,
) -> list[Example]:
    """Convert ``rows`` (mappings) with the field mapping. Every message names ``origin``,
    the row (and its line, given ``lines``), the key and the fix. A row without an id gets
    its content's hash (:class:`ContentIds`)."""
    mapping = field_mapping(fields)
    explicit = set(fields or {})
    content_ids = ContentIds()
    examples: list[Example] = []
    first_place: dict[str, str] = {}
    for index, row in enumerate(rows):
        place = (
            f"{origin}:{lines[index]} (row {index + 1})" if lines else f"{origin}: row {index + 1}"
        )
        example = _example(row, content_ids, mapping, explicit, place)
        earlier = first_place.setdefault(example.id, place)
        if earlier is not place:
            raise DataError(
                f"{place}: the id {example.id!r} appears twice (first at {earlier}); ids must "
                f"be unique: give every row its own '{mapping['id']}'"
            )
        examples.append(example)
    if not examples:
        raise DataError(f"{origin}: no rows to evaluate; add at least one row")
    return examples


def _example(
    row: Any, content_ids: ContentIds, mapping: Mapping[str, str], explicit: set[str], place: str
) -> Example:
    if not isinstance(row, Mapping):
        raise DataError(
            f"{place}: expected a mapping of keys to values, got {type(row).__name__}; "
            'give every row as an object such as {"input": ..., "expected": ...}'
        )
    keys = ", ".join(map(str, row)) or "none"
    _refuse_blank(row, mapping, place)
    missing = [role for role in REQUIRED_ROLES if row.get(mapping[role]) in (None, "")]
    absent = [role for role in FIELD_ROLES if role in explicit and mapping[role] not in row]
    if missing or absent:
        roles = missing or absent
        named = ", ".join(f"'{mapping[role]}' (fields.{role})" for role in roles)
        example = ", ".join(f"{role}: {_guess(role, mapping[role], row)}" for role in roles)
        raise DataError(
            f"{place} has no value for {named}; the row's keys are: {keys}. Fix: map each "
            f"role to the key that holds it, e.g. fields: {{{example}}}"
        )
    question = _scalar(row[mapping["input"]], place, mapping, "input")
    context = _context(row.get(mapping["context"]), place, mapping)
    answers = _expected(row[mapping["expected"]], place, mapping)
    given = _scalar(row.get(mapping["id"]), place, mapping, "id")
    return Example(
        id=given or content_ids.next_id(question, answers, context),
        question=question,
        context=context,
        answers=answers,
        metadata={k: v for k, v in row.items() if k not in set(mapping.values())},
    )


def _refuse_blank(row: Mapping[Any, Any], mapping: Mapping[str, str], place: str) -> None:
    """A required key the row holds but leaves null or empty: the mapping is right, the
    row is not, so the fix is to fill the value in or remove the row."""
    blank = [
        role for role in REQUIRED_ROLES if mapping[role] in row and row[mapping[role]] in (None, "")
    ]
    if blank:
        named = ", ".join(
            f"'{mapping[role]}' (fields.{role}) is "
            + ("null" if row[mapping[role]] is None else "empty")
            for role in blank
        )
        raise DataError(f"{place}: {named}. Fix: fill it in or remove the row")


def _guess(role: str, key: str, row: Mapping[Any, Any]) -> str:
    """The row's key that most likely holds ``role``, for the example in a message."""
    keys = [str(k) for k in row]
    usual = [k for k in keys if k.lower() in _USUAL_KEYS[role]]
    return closest(key, keys) or closest(role, keys) or (usual[0] if usual else "<key>")


def _wrong(place: str, mapping: Mapping[str, str], role: str, wanted: str, value: Any) -> DataError:
    return DataError(
        f"{place}: '{mapping[role]}' (fields.{role}) must be {wanted}, got "
        f"{type(value).__name__} {repr(value)[:60]}; fix the row or map fields.{role} to "
        "another key"
    )


def _scalar(value: Any, place: str, mapping: Mapping[str, str], role: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise _wrong(place, mapping, role, "text or a number", value)
    return str(value)


def _context(value: Any, place: str, mapping: Mapping[str, str]) -> str:
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, str) for v in value):
            raise _wrong(place, mapping, "context", "text or a list of texts", value)
        return join_passages(value)
    return _scalar(value, place, mapping, "context")


def _expected(value: Any, place: str, mapping: Mapping[str, str]) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        if not value or not all(isinstance(v, _SCALARS) and not isinstance(v, bool) for v in value):
            raise _wrong(
                place, mapping, "expected", "an answer or a non-empty list of answers", value
            )
        return tuple(str(v) for v in value)
    return (_scalar(value, place, mapping, "expected"),)


def read_data_file(path: Path, fields: Mapping[str, Any] | None) -> LoadedDataset:
    """The examples of your own JSONL, JSON, CSV or Parquet file."""
    if not path.is_file():
        raise missing_file(path)
    if path.suffix not in FILE_SUFFIXES:
        raise DataError(
            f"{path}: Parity reads {', '.join(FILE_SUFFIXES)} files, not "
            f"'{path.suffix or 'a file without a suffix'}'; save your rows in one of those formats"
        )
    rows, lines = read_rows_and_lines(path)
    return LoadedDataset(rows_to_examples(rows, fields, str(path), lines), f"file {path}")


def read_hub_dataset(
    hub: str, split: str | None, subset: str | None, fields: Mapping[str, Any] | None
) -> LoadedDataset:
    """The examples of any Hugging Face dataset through ``datasets.load_dataset``: a Hub id
    (read from the local cache when the Hub cannot be reached or ``HF_DATASETS_OFFLINE=1``)
    or a local dataset folder. Without ``split``, the dataset must have exactly one."""
    try:
        import datasets
    except ImportError:
        raise DataError(
            "dataset.hub needs the 'datasets' package; pip install 'parity-evals[hub]' "
            "(or pip install datasets), or point dataset.path at a local file"
        ) from None
    name = hub + (f" ({subset})" if subset else "")
    try:
        data = datasets.load_dataset(hub, subset, split=split)
    except Exception as exc:
        raise DataError(
            f"could not load the Hugging Face dataset {name}"
            + (f" split '{split}'" if split else "")
            + f": {str(exc)[:300]}. Fix: check the id, subset and split; offline, load it "
            "once online so that it is cached, or use dataset.path with a local file"
        ) from None
    if split is None:
        splits = list(data)
        if len(splits) != 1:
            raise DataError(
                f"the Hugging Face dataset {name} has the splits {', '.join(splits)}; "
                "choose one with dataset.split"
            )
        split, data = splits[0], data[splits[0]]
    origin = f"{name} split '{split}'"
    return LoadedDataset(rows_to_examples(data, fields, origin), origin)


class OwnData(DatasetLoader):
    """Your own rows, from ``dataset.path`` or ``dataset.hub``, mapped by ``fields``. It is
    not registered: a YAML experiment's ``dataset.name`` is only your label for them."""

    name: ClassVar[str] = "your own data"
    hub_id: ClassVar[str] = ""
    default_split: ClassVar[str] = ""
    shot_split: ClassVar[str | None] = None  # shots come from the rows not evaluated

    def __init__(self, fields: Mapping[str, Any] | None, hub: str | None = None) -> None:
        self.fields = dict(fields or {})
        self.hub = hub

    def load(
        self, split: str | None, source: str, path: str | None, subset: str | None = None
    ) -> LoadedDataset:
        """Your file's examples (``path``), else the Hugging Face dataset's."""
        if path:
            return read_data_file(Path(path), self.fields)
        if self.hub:
            return read_hub_dataset(self.hub, split, subset, self.fields)
        raise DataError("your own data needs dataset.path (a file) or dataset.hub")
