"""Your own data's one reader: JSONL, JSON, CSV and Parquet files and Hugging Face datasets
become Examples through a field mapping; each bad input gets one message naming the file,
the row (and line), the key and the fix."""

from __future__ import annotations

import csv
import json
import re
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.config.errors import DataError
from parity.evals.datasets import Example
from parity.evals.datasets.user_data import OwnData, read_data_file, read_hub_dataset

FIELDS = {"input": "q", "expected": "a", "context": "ctx", "id": "id"}
FORMATS = ("jsonl", "json", "csv", "parquet")


def write_rows(path: Path, rows: list[dict]) -> Path:
    """``rows`` in the format ``path``'s suffix names, as a user's tool would save them."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


CAPITALS = [
    {"id": "q01", "q": "Capital of France?", "a": "Paris", "ctx": "France is in Europe."},
    {"id": "q02", "q": "Capital of Japan?", "a": "Tokyo", "ctx": "Japan is in Asia."},
]


@pytest.mark.parametrize("suffix", FORMATS)
def test_each_format_reads_into_examples_with_the_field_mapping(tmp_path, suffix):
    path = write_rows(tmp_path / f"capitals.{suffix}", CAPITALS)
    loaded = read_data_file(path, FIELDS)
    assert loaded.examples == [
        Example("q01", "Capital of France?", "France is in Europe.", ("Paris",), {}),
        Example("q02", "Capital of Japan?", "Japan is in Asia.", ("Tokyo",), {}),
    ]
    assert loaded.source == f"file {path}"


def test_a_context_list_is_joined_one_passage_per_line_and_other_keys_are_metadata(tmp_path):
    rows = [{"q": "Largest city?", "a": ["Tokyo", "tokyo"], "ctx": ["Tokyo is a large city.",
             "Japan is in Asia."], "topic": "geo"}]  # fmt: skip
    path = write_rows(tmp_path / "d.jsonl", rows)
    (example,) = read_data_file(path, {"input": "q", "expected": "a", "context": "ctx"}).examples
    assert example.context == "Tokyo is a large city.\nJapan is in Asia."
    assert (example.answers, dict(example.metadata)) == (("Tokyo", "tokyo"), {"topic": "geo"})


def test_a_relative_path_resolves_against_the_config_through_own_data(tmp_path):
    write_rows(tmp_path / "capitals.csv", CAPITALS)
    loaded = OwnData(FIELDS).load(None, "auto", str(tmp_path / "capitals.csv"))
    assert [e.id for e in loaded.examples] == ["q01", "q02"]


def test_a_missing_field_names_the_file_line_key_and_lists_the_rows_keys(tmp_path):
    path = tmp_path / "capitals.jsonl"
    path.write_text('{"id": 1, "q": "x", "a": "y"}\n\n{"id": 2, "question": "x", "a": "y"}\n')
    with pytest.raises(DataError) as info:
        read_data_file(path, {"input": "q", "expected": "a"})
    assert str(info.value) == (
        f"{path}:3 (row 2) has no value for 'q' (fields.input); the row's keys are: id, "
        "question, a. Fix: map each role to the key that holds it, e.g. fields: {input: "
        "question}"
    )


def test_an_explicitly_mapped_optional_key_that_a_row_lacks_is_named(tmp_path):
    path = write_rows(tmp_path / "d.csv", [{"q": "x", "a": "y"}])
    with pytest.raises(DataError, match=r"d\.csv:2 \(row 1\) has no value for 'ctx' \(fields"
                       r"\.context\), 'id' \(fields\.id\); the row's keys are: q, a\."):  # fmt: skip
        read_data_file(path, FIELDS)


def test_a_missing_file_suggests_the_file_of_a_close_name_beside_it(tmp_path):
    write_rows(tmp_path / "capitals.jsonl", CAPITALS)
    with pytest.raises(DataError) as info:
        read_data_file(tmp_path / "capital.jsonl", FIELDS)
    assert str(info.value) == f"data file {tmp_path / 'capital.jsonl'} does not exist"
    assert info.value.beside == tmp_path / "capitals.jsonl"  # type: ignore[attr-defined]
    with pytest.raises(DataError, match="nor does its folder"):
        read_data_file(tmp_path / "nowhere" / "capitals.jsonl", FIELDS)


def test_a_bad_json_line_is_named_by_its_line_number(tmp_path):
    path = tmp_path / "capitals.jsonl"
    path.write_text('{"q": "x", "a": "y"}\n{"q": "x", "a": }\n')
    with pytest.raises(
        DataError, match=rf"^{re.escape(str(path))}:2: not valid JSON \(.*\); fix or"
    ):
        read_data_file(path, FIELDS)


def test_an_unsupported_suffix_names_the_formats_read(tmp_path):
    path = tmp_path / "capitals.tsv"
    path.write_text("q\ta\nx\ty\n")
    with pytest.raises(
        DataError, match=r"reads \.jsonl, \.json, \.csv, \.parquet files, not '\.tsv'"
    ):
        read_data_file(path, FIELDS)


def test_a_wrongly_typed_value_names_row_key_and_role(tmp_path):
    path = write_rows(tmp_path / "d.json", [{"q": {"text": "x"}, "a": "y"}])
    with pytest.raises(DataError, match=r"d\.json: row 1: 'q' \(fields\.input\) must be text or a "
                       r"number, got dict"):  # fmt: skip
        read_data_file(path, {"input": "q", "expected": "a"})


def test_a_hugging_face_dataset_is_read_through_load_dataset(tmp_path, monkeypatch):
    """``dataset.hub`` goes through the real ``datasets.load_dataset``: here on a local
    dataset folder (the Hub cannot be reached from the tests)."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "myorg" / "capitals"
    folder.mkdir(parents=True)
    write_rows(folder / "test.jsonl", CAPITALS)
    loaded = read_hub_dataset(str(folder), "test", None, FIELDS)
    assert [(e.id, e.answers) for e in loaded.examples] == [
        ("q01", ("Paris",)),
        ("q02", ("Tokyo",)),
    ]
    assert loaded.source == f"{folder} split 'test'"
    assert len(read_hub_dataset(str(folder), None, None, FIELDS).examples) == 2  # its one split
    write_rows(folder / "train.jsonl", CAPITALS)
    with pytest.raises(DataError, match=r"has the splits .*; choose one with dataset\.split"):
        read_hub_dataset(str(folder), None, None, FIELDS)
    with pytest.raises(DataError, match=r"could not load the Hugging Face dataset .* split 'dev'"):
        read_hub_dataset(str(folder), "dev", None, FIELDS)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)
_ROWS = st.lists(
    st.fixed_dictionaries({"id": _TEXT, "q": _TEXT, "a": _TEXT, "ctx": _TEXT}),
    min_size=1,
    max_size=5,
    unique_by=lambda row: row["id"],
)


@pytest.mark.parametrize("suffix", FORMATS)
@settings(max_examples=40, deadline=None)
@given(rows=_ROWS)
def test_rows_written_in_each_format_read_back_as_the_same_examples(suffix, rows):
    with tempfile.TemporaryDirectory() as folder:
        path = write_rows(Path(folder) / f"rows.{suffix}", rows)
        examples = read_data_file(path, FIELDS).examples
    assert examples == [Example(r["id"], r["q"], r["ctx"], (r["a"],), {}) for r in rows]
