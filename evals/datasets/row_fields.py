"""The types a dataset row's fields must have, checked while the data loads (so at the dry
run, ``pytest --collect-only``): a row with ``"answer": null`` or a number where text belongs
is refused there, naming the file, row and field, instead of failing every item later."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from parity.config.errors import DataError
from parity.config.schema import Field

TEXT = Field((str,), example='"Paris"')
TEXTS = Field((list,), items=str, example='["Paris"]')
TEXT_OR_TEXTS = Field((str, list), items=str, example='"Paris"')
ID = Field((str, int), example='"5a8b57f2"')
INDEX = Field((int,), example="3")
MAPPING = Field((dict,), example="{...}")
LIST = Field((list,), example="[...]")

# What ``DatasetLoader.convert`` may raise on a row whose nested parts have the wrong shape.
_SHAPE_ERRORS = (AttributeError, IndexError, KeyError, TypeError, ValueError)


def row_place(origin: str, index: int, dataset: str) -> str:
    """How a message names a row: ``data/x.jsonl: row 3 of dataset 'hotpotqa'`` (from 1)."""
    return f"{origin}: row {index + 1} of dataset '{dataset}'"


def check_row(row: Mapping[str, Any], fields: Mapping[str, Field], place: str) -> None:
    """Refuse a row that lacks one of ``fields`` or holds a value of the wrong type."""
    missing = [name for name in fields if name not in row]
    if missing:
        raise DataError(
            f"{place} lacks field(s) {', '.join(missing)}; expected the fields {', '.join(fields)}"
            f" (the dataset's own layout). For rows of your own layout, map their keys with "
            "fields: {input: ..., expected: ..., context: ..., id: ...}; name: is then your label"
        )
    for name, spec in fields.items():
        if not spec.accepts(row[name]):
            raise _wrong_type(place, name, row[name], spec)


def convert_checked(convert: Callable[[], Any], row: Mapping[str, Any], place: str) -> Any:
    """``convert()``'s Example, refused with the row's place when the conversion trips over
    a wrongly shaped nested value or yields text fields that are not text."""
    try:
        example = convert()
    except _SHAPE_ERRORS as exc:
        raise DataError(
            f"{place} does not have the expected layout ({type(exc).__name__}: {exc}); "
            "fix the row or remove it"
        ) from None
    parts = [("question", example.question), ("context", example.context)]
    for name, value in [*parts, *(("answers", answer) for answer in example.answers)]:
        if not isinstance(value, str):
            field = next((key for key, raw in row.items() if raw is value), name)
            raise _wrong_type(place, field, value, TEXT)
    return example


def _wrong_type(place: str, name: str, value: Any, spec: Field) -> DataError:
    got = "null" if value is None else f"{type(value).__name__} {repr(value)[:60]}"
    return DataError(
        f"{place}: field '{name}' must be {spec.describe()}, got {got}; "
        f'fix the row (e.g. "{name}": {spec.example}) or remove it'
    )
