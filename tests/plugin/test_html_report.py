"""The HTML report page: built from a run folder's stored files alone (``rebuild``), equal to
what the run-finished hook writes, self-contained (no URL to fetch), untrusted example text
escaped (``</script>``, markup, U+2028/2029), and the browser's data kept small (a shared
context once, a prompt's context as a reference, very long texts cut)."""

from __future__ import annotations

import json
import re

from parity.report.html import browser_data as bd
from parity.report.html import tables
from parity.report.html.page import script_json
from parity.report.html.run_data import load_run
from parity.report.reporters import builtin_reporters
from parity.report.reporters.html_report import pytest_parity_run_finished, rebuild

HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)><!-- \u2028\u2029 &amp;"


def row(
    experiment, example_id, pred="Paris", context="A context shared by both sides. " * 3, **extra
):
    return {"id": example_id, "model": "m", "input_question": "Where?", "input_context": context,
            "pred": pred, "gold": ["Paris"], "input_tokens": 100, "output_tokens": 2, "latency_ms": 12.5,
            "cost_usd": 1e-5, "metrics": {"f1": float(pred == "Paris")}, "cached": False,
            "experiment_id": experiment, "example_index": 0,
            "prompt": [[{"role": "system", "content": "Answer."},
                        {"role": "user", "content": f"Context:\n{context}\nQuestion: Where?"}]],
            "raw_output": [pred], "measurements": {}, "metadata": {}, **extra}  # fmt: skip


def summary(experiment_id, **extra):
    return {"experiment_id": experiment_id, "model": "m", "mode": "baseline", "dataset": "hotpotqa",
            "task": "rag_qa", "n_examples": 1, "metrics": {"f1": {"mean": 1.0, "ci95_low": 0.2, "ci95_high": 1.0}},
            "latency_ms": {"p50": 12.5, "p95": 12.5}, "cost": {"mean_usd": 1e-5}, **extra}  # fmt: skip


def write_run(run_dir, rows_by_file, summaries):
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in rows_by_file.items():
        (run_dir / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    document = {"config": "c.yaml", "experiments": summaries, "verdicts": [], "gates": [],
                "gates_passed": True, "gate_counts": {}, "notes": []}  # fmt: skip
    (run_dir / "summary.json").write_text(json.dumps(document))
    return document


def test_the_html_reporter_is_a_builtin_reporter():
    assert "html_report" in builtin_reporters()


def test_rebuild_writes_the_page_the_hook_writes_from_the_stored_files_alone(tmp_path):
    document = write_run(tmp_path / "run", {"full.jsonl": [row("full", "e1")]}, [summary("full")])
    pytest_parity_run_finished(config=None, summary=document, run_dir=tmp_path / "run")
    written = (tmp_path / "run" / "report.html").read_text()
    (tmp_path / "run" / "report.html").unlink()
    assert rebuild(tmp_path / "run") == [tmp_path / "run" / "report.html"]
    assert (tmp_path / "run" / "report.html").read_text() == written
    assert '<figure class="plot">' in written and "e1" in written


def test_script_json_cannot_end_its_script_element_and_reads_back_unchanged():
    data = {"text": HOSTILE, "nan": float("nan")}
    text = script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"text": HOSTILE, "nan": None}


def test_untrusted_text_cannot_add_markup_to_the_page(tmp_path):
    hostile_id = "exp<b>bold</b>"
    rows = [row(hostile_id, HOSTILE, pred=HOSTILE, context=HOSTILE * 3)]
    write_run(tmp_path / "run", {"x.jsonl": rows}, [summary(hostile_id)])
    page = (rebuild(tmp_path / "run")[0]).read_text()
    assert page.count("</script>") == 2  # the data's element and the browser's, nothing else
    assert page.count("<script") == 2 and "<img" not in page and "<b>bold" not in page
    assert "\u2028" not in page and "\u2029" not in page
    data = re.search(r'<script type="application/json" id="parity-data">(.*?)</script>', page, re.S)
    parsed = json.loads(data.group(1))
    assert HOSTILE in parsed["texts"] and parsed["experiments"][0]["id"] == hostile_id


def test_the_page_fetches_nothing(tmp_path):
    write_run(tmp_path / "run", {"full.jsonl": [row("full", "e1", context="see https://example.com/a.png")]},
              [summary("full")])  # fmt: skip
    page = rebuild(tmp_path / "run")[0].read_text()
    assert not re.findall(r'(?:src|href|url)\s*[=(]\s*["\']?\s*(?:https?:)?//', page, re.I)
    assert "@import" not in page and "<link" not in page


def test_a_context_both_sides_share_is_stored_once_and_prompts_point_at_it(tmp_path):
    context = "A long context both experiments read, word after word. " * 20
    rows = {"full.jsonl": [row("full", "e1", context=context)],
            "squeezed.jsonl": [row("squeezed", "e1", context=context, measurements={"compression_ratio": 0.5})]}  # fmt: skip
    summaries = [summary("full"), summary("squeezed", comparison={"baseline": "full"})]
    write_run(tmp_path / "run", rows, summaries)
    data = bd.browser_data(load_run(tmp_path / "run"), summaries)
    assert sum(context in text for text in data["texts"]) == 1
    full, squeezed = data["rows"]
    assert full["c"] == squeezed["c"] and squeezed["cr"] == 0.5
    assert full["m"][1] == ["user", full["m"][1][1], bd.CONTEXT, full["m"][1][3]]
    assert data["texts"][full["m"][1][1]] == "Context:\n"
    assert data["experiments"] == [{"id": "full", "baseline": None, "metrics": ["f1"]},
                                   {"id": "squeezed", "baseline": 0, "metrics": ["f1"]}]  # fmt: skip


def test_a_very_long_text_is_cut_saying_which_raw_file_holds_it_whole():
    table = bd.StringTable()
    index = table.add("x" * (bd.MAX_CHARS + 500), "full.jsonl")
    assert table.texts[index] == "x" * bd.MAX_CHARS + "\n[… 500 more characters in full.jsonl]"
    assert table.add("short") == table.add("short") == 1


def test_rows_of_every_raw_file_are_read_once_by_experiment_and_example(tmp_path):
    first = row("lb", "e1", metadata={"subset": "qasper"})
    again = row("lb", "e1", pred="Lyon", metadata={"subset": "qasper"})  # a resumed run's rewrite
    other = row("lb", "e1", metadata={"subset": "2wikimqa"})
    write_run(tmp_path / "run", {"lb_qasper.jsonl": [first, again], "lb_2wikimqa.jsonl": [other],
                                 "setups.jsonl": [{"unrelated": True}]}, [summary("lb")])  # fmt: skip
    run = load_run(tmp_path / "run")
    assert [(r["metadata"]["subset"], r["pred"]) for r in run.rows["lb"]] == [
        ("2wikimqa", "Paris"),
        ("qasper", "Lyon"),
    ]
    assert run.files["lb"] == "lb_2wikimqa.jsonl"


def test_a_plot_without_data_says_why_instead_of_drawing_nothing(tmp_path):
    write_run(tmp_path / "run", {"full.jsonl": [row("full", "e1")]}, [summary("full")])
    page = rebuild(tmp_path / "run")[0].read_text()
    assert "no compressed experiment is paired with a baseline in this run" in page
    assert "needs two experiments on one dataset with a known cost per query" in page


def test_each_side_a_pair_lost_gets_a_row_saying_why(tmp_path):
    rows = {
        "full.jsonl": [row("full", "e1"), row("full", "e2")],
        "squeezed.jsonl": [row("squeezed", "e1")],
    }
    unpaired = {"e2": "failed on the candidate side", "e3": "skipped on both sides"}
    summaries = [
        summary("full"),
        summary("squeezed", comparison={"baseline": "full", "unpaired": unpaired}),
    ]
    write_run(tmp_path / "run", rows, summaries)
    data = bd.browser_data(load_run(tmp_path / "run"), summaries)
    stubs = [(r["e"], r["k"], data["texts"][r["x"]]) for r in data["rows"] if "x" in r]
    assert stubs == [(1, "e2", "failed on the candidate side"), (1, "e3", "skipped on both sides"),
                     (0, "e3", "skipped on both sides")]  # fmt: skip


def test_a_paired_verdict_shows_each_difference_its_gate_verdict_resources_and_flips():
    block = {"baseline": "full", "n_pairs": 12, "n_examples": 13,
             "metrics": {"f1": {"baseline": 0.6, "candidate": 0.55, "difference": -0.05, "ci_low": -0.1,
                                "ci_high": 0.0, "test": "paired t", "p_value": 0.04}},
             "resources": {"cost_usd": {"baseline": 0.011445, "candidate": 0.003796, "change": -0.668},
                           "latency_p50_ms": {"baseline": 20.7, "candidate": 10.8, "change": -0.478}},
             "verdicts": {"max_drop.f1": "non-inferior"}, "unpaired": {"e9": "failed on the candidate side"},
             "error_flips": {"candidate_wrong_baseline_right": {"wrong_label": {"count": 1, "examples": ["e7"]}}}}  # fmt: skip
    cells = re.findall(r"<td>(.*?)</td>", tables.comparison(block))
    assert cells == [
        "f1", "0.600", "0.550", "-0.050", "[-0.100, +0.000]", "paired t", "0.040", "non-inferior",
        "cost_usd", "$1.14e-02", "$3.80e-03", "-67%",
        "latency_p50_ms", "21", "11", "-48%",
        "e9", "failed on the candidate side",
        "candidate wrong baseline right", "wrong_label", "1", "e7",
    ]  # fmt: skip


def test_failed_gates_show_in_the_header_the_run_and_their_experiment(tmp_path):
    document = write_run(tmp_path / "run", {"full.jsonl": [row("full", "e1")]}, [summary("full")])
    gate = {"name": "full::threshold::f1", "experiment_id": "full", "status": "failed",
            "verdict": "not met", "observed": 0.4, "limit": 0.5, "ci_low": 0.3, "ci_high": 0.5, "message": "f1 0.400 < 0.5"}  # fmt: skip
    document |= {"gates": [gate], "gates_passed": False, "gate_counts": {"passed": 0, "failed": 1}}
    (tmp_path / "run" / "summary.json").write_text(json.dumps(document))
    page = rebuild(tmp_path / "run")[0].read_text()
    assert 'gates <span class="badge failed">failed</span> 1 failed' in page
    cells = (
        "<td>full::threshold::f1</td><td>failed</td><td>not met</td><td>0.400</td><td>0.500</td>"
    )
    assert page.count(cells) == 2  # the run's gates, and the experiment's own


def test_a_run_with_empty_and_unavailable_parts_still_renders(tmp_path):
    empty = summary("empty", n_examples=0, metrics={"f1": {"mean": None, "ci95_low": None, "ci95_high": None}},
                    latency_ms={"mean": None, "p50": None, "p95": None}, tco={"cost_per_query_usd": None})  # fmt: skip
    stored = summary("vs_stored", comparison={"baseline": "reports/old (stored run)", "unavailable": "its rows are gone"},
                     metrics={"macro_f1": {"mean": float("nan")}, "f1": {"mean": 0.5}})  # fmt: skip
    write_run(tmp_path / "run", {"vs_stored.jsonl": [row("vs_stored", "e1")]}, [empty, stored])
    page = rebuild(tmp_path / "run")[0].read_text()
    assert "no verdict: its rows are gone" in page and "<td>macro_f1</td><td>n/a</td>" in page
    data = re.search(r'id="parity-data">(.*?)</script>', page, re.S)
    assert "NaN" not in data.group(1)
    assert json.loads(data.group(1))["experiments"][1]["baseline"] is None  # not in this run


def test_each_wrong_row_carries_its_error_class(tmp_path):
    rows = [
        row("full", "right"),
        row("full", "wrong", pred="Lyon"),
        row("full", "partial", pred="Paris France"),
    ]
    write_run(tmp_path / "run", {"full.jsonl": rows}, [summary("full")])
    data = bd.browser_data(load_run(tmp_path / "run"), [summary("full")])
    assert {r["k"]: r.get("y") for r in data["rows"]} == {
        "right": None,
        "wrong": "wrong_label",
        "partial": "partial_span",
    }
