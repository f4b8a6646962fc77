"""Files saved with a UTF-8 byte order mark (Excel's "CSV UTF-8", Notepad) are read as
without it: the first column is ``id``, not ``\\ufeffid``."""

from __future__ import annotations

import pytest

from parity.evals.datasets.base import read_rows_and_lines
from parity.evals.datasets.user_data import read_data_file

BOM = "\ufeff"
CONTENTS = {
    "csv": "id,q,a\nc1,Capital of France?,Paris\n",
    "jsonl": '{"id": "c1", "q": "Capital of France?", "a": "Paris"}\n',
    "json": '[{"id": "c1", "q": "Capital of France?", "a": "Paris"}]',
}


@pytest.mark.parametrize("suffix", sorted(CONTENTS))
def test_the_byte_order_mark_is_not_part_of_the_first_key(tmp_path, suffix):
    path = tmp_path / f"rows.{suffix}"
    path.write_text(BOM + CONTENTS[suffix], encoding="utf-8")
    rows, _ = read_rows_and_lines(path)
    assert list(rows[0]) == ["id", "q", "a"]
    loaded = read_data_file(path, {"input": "q", "expected": "a"})
    assert [example.id for example in loaded.examples] == ["c1"]
