"""``report.html`` end to end: a real run through pytest (a compressed pair and a
classification task against a local OpenAI-wire server) writes the page, and headless
Chromium renders it from ``file://``: plots drawn, the example browser filled by its
JavaScript with baseline and candidate side by side, no console error, no request beyond
the file itself, and hostile example text shown as text. Screenshots are kept."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from parity.cases.cases import build_plan
from parity.config.config import parse_config
from parity.report.reporters.html_report import rebuild
from tests.support.chromium import chromium_binary, load_page
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, read_jsonl, run_pytest, write_yaml

SCREENSHOT = Path("/tmp/report_screenshot.png")  # the one the README shows
PRICE = {"input_per_1m_tokens": 1.0, "output_per_1m_tokens": 2.0}
LABELS = ["card_arrival", "card_linking", "exchange_rate", "not a label"]
FIGURES = "[...document.querySelectorAll('figure.plot svg')].map(s => s.closest('figure').querySelector('figcaption').textContent)"
ROWS = "document.querySelectorAll('#rows tbody tr').length"
OPEN_SQUEEZED = ("(() => { const tr = [...document.querySelectorAll('#rows tbody tr')]"
                 ".find(t => t.cells[0].textContent === 'squeezed'); tr.click();"
                 " return [...document.querySelectorAll('#detail .side h4')].map(h => h.textContent); })()")  # fmt: skip
FILTER_B77_WRONG = ("(() => { document.getElementById('f-flip').value = '';"
                    " const e = document.getElementById('f-exp'); e.value = '2';"
                    " e.dispatchEvent(new Event('change')); const m = document.getElementById('f-max');"
                    " m.value = '0'; m.dispatchEvent(new Event('change'));"
                    " return [document.getElementById('count').textContent,"
                    " [...document.querySelectorAll('#rows tbody tr')].map(t => t.cells[0].textContent + ' ' + t.cells[2].textContent)]; })()")  # fmt: skip

SQUEEZED_WORSE = ("(() => { const e = document.getElementById('f-exp'); e.value = '1';"
                  " e.dispatchEvent(new Event('change')); const f = document.getElementById('f-flip');"
                  " f.value = 'worse'; f.dispatchEvent(new Event('change'));"
                  " return document.getElementById('count').textContent; })()")  # fmt: skip

WRONG_LABEL = ("(() => { for (const [id, v] of [['f-exp', ''], ['f-max', ''], ['f-flip', ''],"
               " ['f-class', 'wrong_label']]) { const e = document.getElementById(id); e.value = v;"
               " e.dispatchEvent(new Event('change')); }"
               " return document.getElementById('count').textContent; })()")  # fmt: skip

needs_chromium = pytest.mark.skipif(
    chromium_binary() is None,
    reason="no chromium binary on PATH (Debian: apt-get install chromium)",
)


def answers(plan):
    """A model right on about two thirds of the examples (which ones depends on the prompt,
    so a compressed context flips some): the gold label or answer, else a wrong one."""
    golds = [(case.example.question, case.example.answers[0]) for case in plan.cases]

    def reply(body):
        prompt = body["messages"][-1]["content"]
        rng = random.Random(prompt)
        gold = next((answer for question, answer in golds if question and question in prompt), "")
        if rng.random() < 0.65:
            return gold
        return rng.choice(LABELS) if "Labels:" in body["messages"][0]["content"] else "yes"

    return reply


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    with FakeLLMServer("openai") as server:
        model = {
            "name": "openai-compatible:m",
            "base_url": server.url,
            "max_concurrency": 4,
            "pricing": PRICE,
        }
        full = {
            "id": "full",
            "model": model,
            "task": {"name": "rag_qa"},
            "metrics": ["exact_match", "f1"],
            "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 8, "seed": 2},
            "thresholds": {"f1": 0.2},
        }
        squeezed = {
            **full,
            "id": "squeezed",
            "baseline": "full",
            "model": {
                **model,
                "mode": "compressed",
                "compression": {"method": "extractive", "rate": 0.3, "ranker": "bm25"},
            },
        }
        b77 = {"id": "b77", "model": model, "task": {"name": "classification"}, "metrics": ["accuracy"],
               "thresholds": {"accuracy": 0.2},
               "dataset": {"name": "banking77", "source": "shipped", "num_examples": 8}}  # fmt: skip
        server.reply = answers(build_plan(parse_config([full, squeezed, b77], "c.yaml")))
        config = write_yaml(tmp / "c.yaml", [full, squeezed, b77])
        result = run_pytest(
            tmp, f"--eval-config={config}", "--eval-report-dir=run", env=clean_env()
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return tmp / "run"


def test_a_run_writes_report_html_with_its_plots_rows_and_gates(run_dir):
    page = (run_dir / "report.html").read_text()
    assert 'gates <span class="badge passed">passed</span> 3 passed' in page
    for title in ("exact_match vs cost per query: hotpotqa", "Score difference vs compression ratio",
                  "Confusion matrix", "exact_match score histogram", "Latency histogram"):  # fmt: skip
        assert f"<figcaption>{title}</figcaption><svg" in page, title
    for row in read_jsonl(run_dir / "squeezed.jsonl"):
        assert json.dumps(row["id"]) in page


@needs_chromium
def test_chromium_renders_the_plots_and_the_example_browser_offline(run_dir, tmp_path):
    checks = [FIGURES, ROWS, OPEN_SQUEEZED, SQUEEZED_WORSE, FILTER_B77_WRONG, WRONG_LABEL]
    load = load_page(run_dir / "report.html", checks, tmp_path / "profile")
    assert load.errors == []
    assert load.requests == [(run_dir / "report.html").resolve().as_uri()]  # nothing else fetched
    figures = load.values[FIGURES]
    assert {"exact_match vs cost per query: hotpotqa", "Score difference vs compression ratio",
            "Confusion matrix", "exact_match per experiment and condition: hotpotqa"} <= set(figures)  # fmt: skip
    assert load.values[ROWS] == 24  # 3 experiments x 8 examples, one page
    assert load.values[OPEN_SQUEEZED] == ["baseline: full", "candidate: squeezed"]
    full = {row["id"]: row["metrics"]["exact_match"] for row in read_jsonl(run_dir / "full.jsonl")}
    worse = [
        r
        for r in read_jsonl(run_dir / "squeezed.jsonl")
        if r["metrics"]["exact_match"] < full[r["id"]]
    ]
    assert load.values[SQUEEZED_WORSE] == f"{len(worse)} of 24 examples"
    assert worse  # the filter is checked on something
    count, shown = load.values[FILTER_B77_WRONG]
    assert count == f"{len(shown)} of 24 examples" and shown
    assert all(text == "b77 0.000" for text in shown)  # the metric list now holds accuracy
    summaries = json.loads((run_dir / "summary.json").read_text())["experiments"]
    wrong = sum(s.get("error_classes", {}).get("wrong_label", 0) for s in summaries)
    assert load.values[WRONG_LABEL] == f"{wrong} of 24 examples" and wrong  # as the summaries count
    shot = tmp_path / "report.png"
    shot.write_bytes(
        load_page(run_dir / "report.html", [], tmp_path / "profile2", height=1500).screenshot
    )
    shutil.copyfile(shot, SCREENSHOT)
    (tmp_path / "browser.png").write_bytes(load.screenshot)
    print(
        f"screenshots: {shot} (also {SCREENSHOT}), {tmp_path / 'browser.png'}; load {load.load_ms:.0f} ms"
    )


HOSTILE = "</script><script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'> \u2028\u2029 <!--"


@needs_chromium
def test_hostile_example_text_is_shown_as_text(run_dir, tmp_path):
    stored = tmp_path / "run"
    shutil.copytree(run_dir, stored)
    rows = read_jsonl(stored / "full.jsonl")
    first = min(rows, key=lambda row: row["example_index"])  # the browser's first row
    first |= {
        "pred": HOSTILE,
        "input_context": HOSTILE + first["input_context"],
        "raw_output": [HOSTILE],
    }
    (stored / "full.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rebuild(stored)
    opened = "(document.querySelector('#rows tbody tr').click(), document.getElementById('detail').textContent)"
    load = load_page(stored / "report.html", ["window.pwned", "document.querySelectorAll('img').length", opened],
                     tmp_path / "profile")  # fmt: skip
    assert load.errors == [] and load.values["window.pwned"] is None
    assert load.values["document.querySelectorAll('img').length"] == 0
    assert HOSTILE in load.values[opened]


@needs_chromium
def test_an_example_a_pair_lost_is_listed_with_why_and_found_by_the_errors_filter(
    run_dir, tmp_path
):
    stored = tmp_path / "run"
    shutil.copytree(run_dir, stored)
    rows = read_jsonl(stored / "squeezed.jsonl")
    lost = rows.pop()
    (stored / "squeezed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    document = json.loads((stored / "summary.json").read_text())
    document["experiments"][1]["comparison"]["unpaired"] = {
        lost["id"]: "failed on the candidate side"
    }
    (stored / "summary.json").write_text(json.dumps(document))
    rebuild(stored)
    errors = ("(() => { const f = document.getElementById('f-error'); f.checked = true;"
              " f.dispatchEvent(new Event('change')); document.querySelector('#rows tbody tr').click();"
              " return [document.getElementById('count').textContent,"
              " [...document.querySelectorAll('#detail .side')].map(s => s.textContent)]; })()")  # fmt: skip
    load = load_page(stored / "report.html", [errors], tmp_path / "profile")
    count, (baseline, candidate) = load.values[errors]
    assert load.errors == [] and count == "1 of 24 examples"
    assert baseline.startswith("baseline: full") and lost["pred"] in baseline
    assert candidate == "candidate: squeezederrorfailed on the candidate side"


@needs_chromium
def test_the_browser_check_catches_an_uncaught_error_a_console_error_and_a_request(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://parity.invalid/x.png">'
                    '<script>console.error("logged"); throw new Error("boom");</script></body></html>')  # fmt: skip
    load = load_page(page, ["document.body.childElementCount"], tmp_path / "profile")
    assert any("boom" in error for error in load.errors) and "logged" in load.errors
    assert "http://parity.invalid/x.png" in load.requests
