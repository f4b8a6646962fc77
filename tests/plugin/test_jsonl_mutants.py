"""The row writer and reader at their edges (issue 35's mutants): line numbers, blank and bad
lines, where a NaN sits, a lone surrogate, the file's mode, one descriptor per file, short
writes and a reopened file that already ends its last line."""

from __future__ import annotations

import math
import os

import pytest

import parity.record.raw_writer
from parity.record.jsonl import JsonlError, encode_line, parse_jsonl, read_jsonl
from parity.record.raw_writer import RawResultWriter


def test_lines_are_numbered_from_one_and_blank_lines_are_skipped():
    lines = parse_jsonl(b'{"a": 1}\n  \n\n{"b": 2}\n', "rows.jsonl")
    assert [(line.number, line.value) for line in lines] == [(1, {"a": 1}), (4, {"b": 2})]
    assert [line.value for line in parse_jsonl('{"c": "\u2028"}\n', "t")] == [{"c": "\u2028"}]


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b'{"a": 1}\n{"b": \xff}\n', "not UTF-8"), (b'{"a": 1}\n{"b": \n', "not valid JSON")],
)
def test_a_bad_line_is_named_or_skipped(tmp_path, data, reason):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(data)
    with pytest.raises(JsonlError, match=f"rows.jsonl:2: {reason} ") as caught:
        read_jsonl(path)
    assert (caught.value.path, caught.value.number, caught.value.reason) == (path, 2, reason)
    assert [line.value for line in read_jsonl(path, skip_bad=True)] == [{"a": 1}]


def test_a_nan_is_named_by_its_path_through_lists_and_strings():
    with pytest.raises(ValueError, match=r"row field a\.1\.x \(nan\) is not a finite number"):
        encode_line({"s": "text", "a": ["word", {"x": math.nan}]})
    with pytest.raises(ValueError, match=r"row field n \(-inf\)"):
        encode_line({"n": -math.inf})


def test_text_stays_utf8_and_a_lone_surrogate_is_kept_escaped():
    assert encode_line({"a": "é"}) == '{"a": "é"}\n'.encode()
    line = encode_line({"a": "\ud800", "b": "é"})
    assert line == b'{"a": "\\ud800", "b": "\\u00e9"}\n'
    assert parse_jsonl(line, "t")[0].value == {"a": "\ud800", "b": "é"}


def test_files_get_the_suffix_the_mode_and_their_folders(tmp_path):
    writer = RawResultWriter(tmp_path / "run" / "raw", suffix=".ndjson")
    assert writer.path_for("exp") == tmp_path / "run" / "raw" / "exp.ndjson"
    writer.append("exp", {"id": "1"})
    writer.close()
    umask = os.umask(0)
    os.umask(umask)
    mode = (tmp_path / "run" / "raw" / "exp.ndjson").stat().st_mode & 0o777
    assert mode == 0o644 & ~umask


def test_one_descriptor_per_file_until_closed_then_reopened(tmp_path):
    writer = RawResultWriter(tmp_path)
    writer.append("exp", {"id": "1"})
    first = writer._files["exp"]
    writer.append("exp", {"id": "2"})
    assert writer._files == {"exp": first}
    writer.close()
    assert writer._files == {}
    with pytest.raises(OSError):
        os.fstat(first)  # closed
    writer.append("exp", {"id": "3"})
    writer.close()
    assert (tmp_path / "exp.jsonl").read_text().splitlines() == [
        '{"id": "1"}', '{"id": "2"}', '{"id": "3"}',
    ]  # fmt: skip


def test_a_file_whose_last_line_is_whole_gets_no_blank_line(tmp_path):
    path = tmp_path / "exp.jsonl"
    path.write_text('{"id": "1"}\n{"id": "2"}\n')
    writer = RawResultWriter(tmp_path)
    writer.append("exp", {"id": "3"})
    writer.close()
    assert path.read_text() == '{"id": "1"}\n{"id": "2"}\n{"id": "3"}\n'


class ShortWrites:
    """``os`` as the writer sees it, where each ``write`` takes at most 5 bytes (a disk
    filling up, a signal arriving mid-write)."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    @staticmethod
    def write(fd: int, data: bytes) -> int:
        return os.write(fd, data[:5])


def test_a_short_write_is_followed_by_the_rest_of_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(parity.record.raw_writer, "os", ShortWrites())
    writer = RawResultWriter(tmp_path)
    writer.append("exp", {"id": "1", "pred": "a longer answer"})
    writer.append("exp", {"id": "2"})
    writer.close()
    assert (tmp_path / "exp.jsonl").read_text() == (
        '{"id": "1", "pred": "a longer answer"}\n{"id": "2"}\n'
    )
