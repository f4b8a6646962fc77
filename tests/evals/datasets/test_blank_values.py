"""A row whose mapped key holds null or "" is told so, with its row and line, and the fix
to fill it in or remove the row: not to map a key that is already mapped."""

from __future__ import annotations

import pytest

from parity.config.errors import DataError
from parity.evals.datasets.user_data import rows_to_examples

FIELDS = {"input": "q", "expected": "a"}


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ({"id": "b1", "q": "Capital of France?", "a": None}, "'a' (fields.expected) is null"),
        ({"id": "b1", "q": "", "a": "Paris"}, "'q' (fields.input) is empty"),
    ],
)
def test_a_blank_value_names_its_row_and_the_fix(row, said):
    good = {"id": "b0", "q": "Capital of Italy?", "a": "Rome"}
    with pytest.raises(DataError) as raised:
        rows_to_examples([good, row], FIELDS, "data/x.jsonl", [1, 2])
    message = str(raised.value)
    assert f"data/x.jsonl:2 (row 2): {said}" in message
    assert "Fix: fill it in or remove the row" in message
    assert "map each role" not in message


def test_a_key_the_row_lacks_is_still_told_to_map_it():
    with pytest.raises(DataError, match="map each role"):
        rows_to_examples([{"question": "Capital?", "a": "Paris"}], FIELDS, "x.jsonl", [1])
