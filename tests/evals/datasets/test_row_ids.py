"""Rows of your own data without an id are named by a short hash of their content: stable
when rows move, distinct for equal rows, never a bare position that ``-k 3`` would match
inside ``llama3`` (issue 30)."""

from __future__ import annotations

import hashlib
import json
import re

from parity.evals.datasets.row_ids import content_id
from parity.evals.datasets.user_data import read_data_file, rows_to_examples
from parity.marked.own_data import load_own_data

ROWS = [{"q": f"Capital {n}?", "a": f"C{n}"} for n in range(4)]
FIELDS = {"input": "q", "expected": "a"}


def test_an_id_less_row_is_named_by_eight_hex_digits_of_its_contents_sha256():
    (example,) = rows_to_examples([{"input": "Capital of Peru?", "expected": "Lima"}], None, "r")
    canonical = '{"context":"","expected":["Lima"],"input":"Capital of Peru?"}'
    assert example.id == hashlib.sha256(canonical.encode()).hexdigest()[:8]
    assert re.fullmatch(r"[0-9a-f]{8}", example.id)


def test_content_ids_do_not_depend_on_the_rows_position():
    forward = [e.id for e in rows_to_examples(ROWS, FIELDS, "r")]
    backward = [e.id for e in rows_to_examples(ROWS[::-1], FIELDS, "r")]
    assert forward == backward[::-1]
    assert not set(forward) & {"0", "1", "2", "3"}
    assert len(set(forward)) == len(ROWS)


def test_identical_rows_get_distinct_ids_in_row_order():
    rows = [ROWS[0], ROWS[1], ROWS[0], ROWS[0]]
    ids = [e.id for e in rows_to_examples(rows, FIELDS, "r")]
    first = content_id("Capital 0?", ("C0",), "")
    assert ids == [first, content_id("Capital 1?", ("C1",), ""), f"{first}_2", f"{first}_3"]
    assert ids == [e.id for e in rows_to_examples(rows, FIELDS, "r")]  # deterministic


def test_a_given_id_is_kept_and_rows_without_one_beside_it_are_hashed():
    rows = [{**ROWS[0], "id": "q01"}, ROWS[1]]
    ids = [e.id for e in rows_to_examples(rows, FIELDS, "r")]  # `id`, the default key
    assert ids == ["q01", content_id("Capital 1?", ("C1",), "")]


def test_a_yaml_file_and_the_markers_own_data_path_name_rows_alike(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    from_file = [e.id for e in read_data_file(path, FIELDS).examples]
    from_marker = [e.id for e in load_own_data("rows.jsonl", FIELDS, tmp_path).examples]
    from_python = [e.id for e in load_own_data(ROWS, FIELDS, tmp_path).examples]
    assert from_file == from_marker == from_python
