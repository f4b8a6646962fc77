"""Raw rows: appended as they arrive, and a torn last line never swallows the next row."""

import json

from parity.record.raw_writer import RawResultWriter


def test_rows_are_appended_one_per_line(tmp_path):
    writer = RawResultWriter(tmp_path)
    writer.append("exp", {"id": "1"})
    writer.append("exp", {"id": "2"})
    writer.close()
    lines = (tmp_path / "exp.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["1", "2"]


def test_a_line_cut_short_by_a_crash_is_ended_before_the_next_row(tmp_path):
    path = tmp_path / "exp.jsonl"
    path.write_text('{"id": "1"}\n{"id": "2", "pr')  # the crash cut the second row
    writer = RawResultWriter(tmp_path)
    writer.append("exp", {"id": "3"})
    writer.close()
    lines = path.read_text().splitlines()
    assert lines == ['{"id": "1"}', '{"id": "2", "pr', '{"id": "3"}']
    assert json.loads(lines[-1]) == {"id": "3"}


def test_rows_appended_from_32_threads_at_once_stay_whole(tmp_path):
    """Sender threads append without a lock around each write: every row stays one line."""
    import threading

    writer = RawResultWriter(tmp_path)
    padding = "x" * 3000  # rows longer than a pipe buffer's atomic size, as real rows are

    def append_rows(thread: int) -> None:
        for number in range(200):
            writer.append("exp", {"thread": thread, "number": number, "text": padding})

    threads = [threading.Thread(target=append_rows, args=(t,)) for t in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    rows = [json.loads(line) for line in (tmp_path / "exp.jsonl").read_text().splitlines()]
    assert len(rows) == 32 * 200
    assert {(r["thread"], r["number"]) for r in rows} == {
        (t, n) for t in range(32) for n in range(200)
    }
