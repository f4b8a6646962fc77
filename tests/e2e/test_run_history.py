"""Run history end to end: the same experiment run twice through pytest with two prompts
(the shipped ``rag_qa`` one, then ``examples/prompt_change``'s question-first one), then
``python -m parity compare`` names the examples that flipped, ``report`` rebuilds deleted
files, and ``reports/index.html`` lists both runs.

The model is a local OpenAI-wire server that reads only the first ``WINDOW`` characters of
the prompt and answers the gold of the question it finds there: the prompt's layout decides
which examples it gets right, as a short context window would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parity.cases.cases import build_plan
from parity.config.config import parse_config
from tests.conftest import REPO
from tests.support.chromium import chromium_binary, load_page
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, read_jsonl, run_pytest, write_yaml

WINDOW = 5000
EXPERIMENT = "hotpotqa_prompt"
PROMPT = REPO / "examples" / "prompt_change" / "question_first.yaml"


def experiment(url, prompt=None):
    task = {"name": "rag_qa", **({"prompt": prompt} if prompt else {})}
    return [{
        "id": EXPERIMENT,
        "model": {"name": "openai-compatible:window", "base_url": url, "max_concurrency": 4},
        "dataset": {"name": "hotpotqa", "source": "shipped", "split": "validation",
                    "num_examples": 12, "seed": 42},
        "task": task,
        "metrics": ["exact_match", "f1"],
    }]  # fmt: skip


def windowed_reader(plan):
    """Answer the gold of the question seen in the prompt's first ``WINDOW`` characters."""
    golds = {case.example.question: case.example.answers[0] for case in plan.cases}

    def reply(body):
        seen = "\n".join(str(m["content"]) for m in body["messages"])[:WINDOW]
        return next((gold for question, gold in golds.items() if question in seen), "unknown")

    return reply


def parity(*args, cwd):
    return subprocess.run([sys.executable, "-m", "parity", *args], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("history")
    shutil.copy(PROMPT, tmp_path / PROMPT.name)
    runs = []
    with FakeLLMServer("openai") as server:
        server.reply = windowed_reader(build_plan(parse_config(experiment(server.url), "a.yaml")))
        for name, prompt in (("shipped", None), ("question_first", PROMPT.name)):
            config = write_yaml(tmp_path / f"config_{name}.yaml", experiment(server.url, prompt))
            result = run_pytest(tmp_path, f"--parity-config={config}", "--parity-cache=off")
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
            runs.append(result.stdout.split("reports: ")[-1].split()[0])
    return tmp_path, runs


def scores(run):
    rows = read_jsonl(Path(run) / f"{EXPERIMENT}.jsonl")
    return {row["id"]: row["metrics"]["exact_match"] for row in rows}


def test_compare_names_the_examples_that_flipped(two_runs):
    tmp_path, (shipped, question_first) = two_runs
    before, after = scores(question_first), scores(shipped)  # run A, run B
    worse = sorted(k for k in before if before[k] == 1 and after.get(k) == 0)
    better = sorted(k for k in before if before[k] == 0 and after.get(k) == 1)
    assert worse and len(worse) < len(before)  # the prompt decides, and not for every example
    result = parity("compare", question_first, shipped, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    named = re.findall(r"^\| ([0-9a-f]{24}) \| ", result.stdout, re.MULTILINE)  # HotpotQA ids
    assert named == worse + better
    assert f"{len(worse)} right in A and wrong in B, {len(better)} wrong in A and right in B" in (
        result.stdout
    )
    assert f"Regressed: {EXPERIMENT} exact_match" in result.stdout
    assert f"`{EXPERIMENT} (B) vs {EXPERIMENT} (A)  exact_match -" in result.stdout


def test_compare_writes_a_self_contained_html_page(two_runs):
    tmp_path, (a, b) = two_runs
    result = parity("compare", a, b, "--format", "html", "-o", "diff.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "diff.html").read_text()
    assert "<script" not in page and not re.search(r"(src|href)=\"?https?:", page)
    assert f"<h2>{EXPERIMENT}</h2>" in page


def test_report_rebuilds_the_files_that_were_deleted(two_runs):
    tmp_path, (_, b) = two_runs
    run_dir = Path(b)
    names = ["report.html", "summary.md", f"{EXPERIMENT}_summary.json", f"{EXPERIMENT}_summary.csv"]
    before = {name: (run_dir / name).read_bytes() for name in names}
    for name in names:
        (run_dir / name).unlink()
    result = parity("report", b, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(line.rsplit("/", 1)[-1] for line in result.stdout.split()) == sorted(names)
    for name in names:
        assert (run_dir / name).read_bytes() == before[name], name
    summary = json.loads((run_dir / f"{EXPERIMENT}_summary.json").read_text())
    assert summary["n_examples"] == 12


def test_the_index_lists_both_runs_with_a_trend_and_fetches_nothing(two_runs):
    tmp_path, runs = two_runs
    page = (tmp_path / "reports" / "index.html").read_text()
    names = [Path(run).name for run in runs]
    assert re.findall(r"<tr><td>([\d-]+)<br>", page) == names[::-1]
    for name in names:  # written by other reporters, before the index of their run
        assert f'<a href="{name}/report.html">' in page
        assert f'<a href="{name}/summary.md">' in page
    trend = re.findall(r"<svg.*?</svg>", page)
    assert len(trend) == 1 and trend[0].count("<circle") == 2
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


TREND_POINTS = "document.querySelectorAll('.trend svg circle').length"
RUN_ROWS = "document.querySelectorAll('table tr').length - 1"
FLIP_ROWS = "document.querySelectorAll('table')[1].querySelectorAll('tr').length - 1"


@pytest.mark.skipif(chromium_binary() is None, reason="no chromium binary on PATH")
def test_chromium_shows_the_index_and_the_comparison_offline(two_runs, tmp_path):
    root, (shipped, question_first) = two_runs
    index = root / "reports" / "index.html"
    load = load_page(index, [TREND_POINTS, RUN_ROWS], tmp_path / "profile", height=800)
    assert load.errors == [] and load.requests == [index.resolve().as_uri()]
    assert load.values == {TREND_POINTS: 2, RUN_ROWS: 2}
    page = tmp_path / "diff.html"
    result = parity("compare", question_first, shipped, "--format", "html", "-o", str(page),
                    cwd=root)  # fmt: skip
    assert result.returncode == 0, result.stderr
    load = load_page(page, [FLIP_ROWS], tmp_path / "profile2", height=800)
    assert load.errors == [] and load.requests == [page.resolve().as_uri()]
    before, after = scores(question_first), scores(shipped)
    assert load.values[FLIP_ROWS] == sum((before[k] == 1) != (after[k] == 1) for k in before)


def test_a_folder_that_is_no_run_is_one_line_naming_it(two_runs):
    tmp_path, (a, _) = two_runs
    result = parity("compare", a, str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        f"parity compare: {tmp_path} is not a run folder: it holds no summary.json "
        "(give reports/<timestamp>/)"
    )
