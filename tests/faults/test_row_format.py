"""One line format for rows (issue 27, C7/D7): a row is one ``"\\n"``-ended line whatever
text it holds (U+2028, U+2029, U+0085, CR, NUL), every reader splits on ``"\\n"`` only, and a
NaN is refused rather than written as bare ``NaN``. Arbitrary answers, ids and keys survive
write -> kill -> resume with nothing lost and nothing twice."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.analysis.baselines import stored_records
from parity.evals.datasets.base import read_rows
from parity.record.jsonl import read_jsonl
from parity.record.raw_writer import RawResultWriter
from parity.record.record import EvalRecord, raw_row
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, api_config, clean_env, run_pytest

BREAKS = "\u2028\u2029\x85\r\x00\x1c\x0b"  # each a line break to str.splitlines, or a control


def test_a_row_holding_line_breaks_stays_one_line_for_every_reader(tmp_path):
    writer = RawResultWriter(tmp_path)
    rows = [{"id": str(n), "pred": f"a{char}b", char: n} for n, char in enumerate(BREAKS)]
    for row in rows:
        writer.append("exp", row)
    writer.close()
    text = (tmp_path / "exp.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line) for line in text.splitlines()] == rows  # even a splitlines reader
    assert [line.value for line in read_jsonl(tmp_path / "exp.jsonl")] == rows


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_row_holding_nan_is_refused_naming_the_field_and_nothing_is_written(tmp_path, bad):
    writer = RawResultWriter(tmp_path)
    with pytest.raises(ValueError, match=r"metrics\.f1 \((nan|inf|-inf)\) is not a finite number"):
        writer.append("exp", {"id": "1", "metrics": {"f1": bad}})
    writer.append("exp", {"id": "2"})
    writer.close()
    assert (tmp_path / "exp.jsonl").read_text() == '{"id": "2"}\n'


def _old_format(rows: list[dict]) -> str:
    """Rows as Parity wrote them before U+2028 was escaped (and as any JSONL writer may)."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def test_a_stored_baseline_whose_answers_hold_u2028_is_read(tmp_path):
    records = [
        EvalRecord("exp", str(n), n, "openai:gpt-4o", prediction=f"line\u2028{n}\u2029end")
        for n in range(3)
    ]
    (tmp_path / "exp.jsonl").write_text(_old_format([raw_row(r) for r in records]), "utf-8")
    stored = stored_records(tmp_path, {"experiment_id": "exp"})
    assert [r.prediction for r in stored] == [r.prediction for r in records]


def test_a_valid_jsonl_dataset_with_u2028_in_a_string_is_read(tmp_path):
    rows = [
        {"question": "one\u2028two", "answer": "x\u2029y\x85z"},
        {"question": "q", "answer": "a"},
    ]
    path = tmp_path / "data.jsonl"
    path.write_text(_old_format(rows), encoding="utf-8")
    assert read_rows(path) == rows


def test_a_jsonl_dataset_line_that_is_not_json_is_named(tmp_path):
    from parity.config.errors import DataError

    path = tmp_path / "data.jsonl"
    path.write_text('{"question": "q"}\n{"question": \n', encoding="utf-8")
    with pytest.raises(DataError, match=r"data\.jsonl:2: not valid JSON"):
        read_rows(path)


def _resume(writer_dir: Path, rows: list[dict]) -> None:
    """What ``--eval-resume`` does with a raw file: keep each id found, write the rest."""
    path = writer_dir / "exp.jsonl"
    kept = (
        {line.value["id"] for line in read_jsonl(path, skip_bad=True)} if path.exists() else set()
    )
    writer = RawResultWriter(writer_dir)
    for row in rows:
        if row["id"] not in kept:
            writer.append("exp", row)
    writer.close()


# Any code point, lone surrogates included (a model's JSON may hold a "\ud800" escape: such a
# row is written escaped), with the characters that break lines for str.splitlines drawn often.
texts = st.text(st.characters() | st.characters(categories=["Cs"]) | st.sampled_from(BREAKS))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    answers=st.dictionaries(
        texts.filter(bool),  # example ids
        st.tuples(texts, st.dictionaries(texts, json_values, max_size=3)),
        min_size=1,
        max_size=6,
    ),
    kill_at=st.floats(0, 1),
)
def test_any_answers_ids_and_keys_survive_write_kill_resume(tmp_path_factory, answers, kill_at):
    """Arbitrary Unicode (U+2028, U+2029, CR, NEL, NUL, any key) in answers, ids and row keys:
    a run killed at any byte, then resumed, holds every row exactly once, as written."""
    run_dir = tmp_path_factory.mktemp("run")
    rows = [{"id": id_, "pred": pred, "extra": extra} for id_, (pred, extra) in answers.items()]
    writer = RawResultWriter(run_dir)
    for row in rows:
        writer.append("exp", row)
    writer.close()
    path = run_dir / "exp.jsonl"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * kill_at)])  # killed mid-write, maybe mid-character
    _resume(run_dir, rows)
    found = [line.value for line in read_jsonl(path, skip_bad=True)]
    assert sorted(found, key=lambda r: r["id"]) == sorted(rows, key=lambda r: r["id"])
    # every line the writer wrote is one line to str.splitlines too (the torn one aside)
    whole = [line for line in path.read_text("utf-8", "replace").splitlines() if line]
    assert len(whole) - len(found) <= 1


N = 8
ODD = "\u2028\u2029\x85"


def test_u2028_answers_survive_a_kill_and_resume_once_each_and_no_key_is_stored(tmp_path):
    """C7: a run whose answers hold U+2028 is killed, then resumed: every finished row is taken
    (none sent again), every example has one row, and the key is in no file."""
    env = clean_env(OPENAI_API_KEY=SECRET)

    def reply(body):
        question = body["messages"][-1]["content"].split("Question:")[-1].split()[0]
        return f"{question}{ODD}line two"

    with FakeLLMServer("openai", reply=reply, latency_s=0.2) as server:
        config = api_config(tmp_path, server, num_examples=N, max_concurrency=1)
        command = [sys.executable, "-m", "pytest", "--pyargs", "parity.evals", "-p", "no:cacheprovider",
                   f"--eval-config={config}", "--eval-report-dir=run", "--eval-cache=off"]  # fmt: skip
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        raw = tmp_path / "run" / "api_exp.jsonl"
        deadline = time.time() + 60
        while time.time() < deadline and (not raw.exists() or raw.read_bytes().count(b"\n") < 3):
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kept = read_jsonl(raw, skip_bad=True)
        assert 3 <= len(kept) < N
        sent = len(server.requests)
        resumed = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-resume=run", "--eval-cache=off", env=env
        )
        output = resumed.stdout + resumed.stderr
        assert resumed.returncode == 0, output
        assert f"{len(kept)} resumed" in output
        assert len(server.requests) - sent == N - len(kept)  # no finished example sent again
    rows = [line.value for line in read_jsonl(raw, skip_bad=True)]
    assert sorted(row["id"] for row in rows) == sorted({row["id"] for row in rows})
    assert len(rows) == N and all(ODD in "".join(row["raw_output"]) for row in rows)
    assert len([ln for ln in raw.read_text().splitlines() if ln.strip()]) <= N + 1  # + torn
    summary = json.loads((tmp_path / "run" / "api_exp_summary.json").read_text())
    assert summary["n_examples"] == N
    for path in (tmp_path / "run").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text("utf-8", "replace"), path
