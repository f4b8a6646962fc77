"""Your own data for @pytest.mark.parity: files (JSONL, JSON, CSV, Parquet) with a field
mapping, rows given in Python, registered datasets; and one clear message for each kind of bad
input, the same as a YAML experiment's (one reader: parity.evals.datasets.user_data)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from parity.config.errors import DataError
from parity.evals.datasets.base import read_rows
from parity.evals.datasets.row_ids import content_id
from parity.evals.datasets.user_data import rows_to_examples
from parity.marked.own_data import load_own_data


def test_a_csv_file_is_read_with_its_header_and_quoted_commas(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text('qid,prompt,gold\n1,"Paris, or Lyon?",Paris\n2,Two plus two,4\n')
    loaded = load_own_data(
        "cases.csv", {"input": "prompt", "expected": "gold", "id": "qid"}, tmp_path
    )
    assert [(e.id, e.question, e.answers) for e in loaded.examples] == [
        ("1", "Paris, or Lyon?", ("Paris",)),
        ("2", "Two plus two", ("4",)),
    ]
    assert loaded.source == f"file {path}"


def test_a_csv_row_with_a_different_number_of_cells_names_its_line(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("input,expected\na,b\nc,d,e\n")
    with pytest.raises(DataError, match=r"cases\.csv:3: 2 columns in the header"):
        read_rows(path)


def test_jsonl_rows_keep_their_other_columns_as_metadata_and_lists_as_references(tmp_path):
    rows = [
        {"input": "q", "expected": ["a", "b"], "context": "ctx", "id": "x", "topic": "geo"},
        {"input": "r", "expected": 3},
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    first, second = load_own_data("d.jsonl", None, tmp_path).examples
    assert (first.id, first.answers, first.context, dict(first.metadata)) == (
        "x", ("a", "b"), "ctx", {"topic": "geo"},
    )  # fmt: skip
    assert (second.answers, second.context) == (("3",), "")
    assert second.id == content_id("r", ("3",), "")  # no id: its content's hash


def test_rows_given_in_python_are_examples_too():
    loaded = load_own_data(({"input": f"q{i}", "expected": "a"} for i in range(3)), None, None)
    assert [e.question for e in loaded.examples] == ["q0", "q1", "q2"]


@pytest.mark.parametrize(
    ("rows", "fields", "message"),
    [
        ([{"question": "q", "answer": "a"}], None,
         r"dataset rows: row 1 has no value for 'input' \(fields\.input\), 'expected' \(fields"
         r"\.expected\); the row's keys are: question, answer\. Fix: map each role to the key "
         r"that holds it, e.g. fields: \{input: question, expected: answer\}"),
        ([{"input": "q", "expected": "a", "id": 1}, {"input": "r", "expected": "b", "id": 1}],
         None, r"row 2: the id '1' appears twice \(first at dataset rows: row 1\)"),
        (["just a string"], None, r"row 1: expected a mapping"),
        ([{"input": "q", "expected": {"a": 1}}], None,
         r"row 1: 'expected' \(fields\.expected\) must be text or a number, got dict"),
        ([{"input": "q", "expected": "a"}], {"answer": "x"}, r"fields: unknown role 'answer'"),
        ([], None, r"dataset rows: no rows to evaluate"),
    ],
)  # fmt: skip
def test_bad_rows_get_one_message_naming_the_row(rows, fields, message):
    with pytest.raises(DataError, match=message):
        rows_to_examples(rows, fields, "dataset rows")


def test_a_relative_path_resolves_against_the_test_files_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.json").write_text(json.dumps([{"input": "q", "expected": "a"}]))
    assert len(load_own_data("d.json", None, tmp_path / "sub").examples) == 1
    with pytest.raises(DataError, match=r"data file .*missing\.jsonl does not exist"):
        load_own_data("missing.jsonl", None, tmp_path)


def test_a_name_that_is_neither_a_dataset_nor_a_file_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"'hotpot' is neither a registered dataset \(.*hotpotqa"):
        load_own_data("hotpot", None, tmp_path)


def test_a_registered_dataset_loads_its_shipped_sample_and_refuses_a_field_mapping(tmp_path):
    loaded = load_own_data("hotpotqa", None, tmp_path, "validation", "shipped")
    assert len(loaded.examples) == 32
    with pytest.raises(DataError, match="fields= applies to your own files"):
        load_own_data("hotpotqa", {"input": "q"}, tmp_path)


def test_a_parquet_file_and_a_close_file_name_share_the_yaml_readers_handling(tmp_path):
    pq.write_table(
        pa.Table.from_pylist([{"q": "Capital of Peru?", "a": "Lima"}]), tmp_path / "c.parquet"
    )
    (example,) = load_own_data("c.parquet", {"input": "q", "expected": "a"}, tmp_path).examples
    assert (example.question, example.answers) == ("Capital of Peru?", ("Lima",))
    with pytest.raises(DataError, match=r"c\.parquets does not exist$") as info:
        load_own_data("c.parquets", None, tmp_path)
    assert info.value.fix_for("dataset=", tmp_path / "test_x.py").startswith(  # type: ignore[attr-defined]
        "did you mean c.parquet?"
    )
