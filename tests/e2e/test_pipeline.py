"""Your own pipeline under test, run as a user runs it: a project with @pytest.mark.parity
tests, real pytest subprocesses, a local OpenAI-format server for the model calls."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from parity.evals.datasets.row_ids import content_id
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, clean_env, junit_cases, junit_properties, read_jsonl

REPO = Path(__file__).resolve().parents[2]

CASES = [
    {"qid": "q1", "question": "Capital of France?", "answer": "Paris"},
    {"qid": "q2", "question": "Capital of Italy?", "answer": "Rome"},
    {"qid": "q3", "question": "Capital of Spain?", "answer": "Madrid"},
    {"qid": "q4", "question": "Capital of Peru?", "answer": "Lima"},
]
LOOKUP = """
import pytest

KNOWN = {"q1": "Paris", "q2": "Rome", "q3": "Barcelona", "q4": "Lima"}

@pytest.mark.parity(dataset="../data/cases.jsonl", fields={"input": "question", "expected": "answer", "id": "qid"},
                    metrics=["exact_match", "f1"], thresholds={"exact_match": THRESHOLD}, tags=["lookup"])
def test_lookup(example):
    return KNOWN[example.id]

@pytest.mark.parity(dataset=[{"input": "a", "expected": "a"}, {"input": "b", "expected": "b"}],
                    metrics=["exact_match"])
def test_asserts(example, parity_result):
    parity_result.record(example.question)
    assert example.question != "b", "the pipeline's own check"

def test_ordinary():
    assert True
"""
MODEL_PIPELINE = """
import pytest

@pytest.mark.parity(dataset="cases.jsonl", fields={"input": "question", "expected": "answer", "id": "qid"},
                    metrics=["exact_match"], model={"name": "openai:gpt-4o-mini", "base_url": "URL"},
                    thresholds={"exact_match": 0.5})
def test_rag(example, parity_model):
    reply = parity_model.complete([{"role": "user", "content": example.question}])
    return POSTPROCESS
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def jsonl(rows) -> str:
    return "\n".join(json.dumps(row) for row in rows) + "\n"


def pytest_in(cwd: Path, *args: str, env=None, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )


def capital_of(body) -> str:
    return {"France": "Paris", "Italy": "Rome", "Spain": "Madrid", "Peru": "Lima"}[
        body["messages"][-1]["content"].split()[-1].rstrip("?")
    ]


def test_a_marked_test_is_scored_gated_and_reported_like_a_config_experiment(tmp_path):
    write_project(tmp_path, {
        "data/cases.jsonl": jsonl(CASES),
        "tests/test_mine.py": LOOKUP.replace("THRESHOLD", "0.9"),
    })  # fmt: skip
    result = pytest_in(tmp_path, "--junitxml=junit.xml", "--eval-report-dir=run", "-rA")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr  # the gate and the asserting item
    assert "PASSED tests/test_mine.py::test_lookup[q3]" in out  # a low score is data
    first, second = (content_id(text, (text,), "") for text in "ab")  # rows without an id
    assert f"PASSED tests/test_mine.py::test_asserts[{first}]" in out  # recorded, not returned
    assert f"FAILED tests/test_mine.py::test_asserts[{second}] - AssertionError: the pip" in out
    assert "test_lookup  [no model | pipeline | cases.jsonl | custom]" in out
    assert "exact_match  mean 0.7500" in out
    assert "FAIL  test_lookup::threshold::exact_match: exact_match = 0.7500 < threshold 0.9" in out
    assert "test_asserts  [no model | pipeline | rows | custom]\n  n=1  failed=1" in out
    summary = json.loads((tmp_path / "run" / "test_lookup_summary.json").read_text())
    assert (summary["n_examples"], summary["metrics"]["f1"]["mean"]) == (4, 0.75)
    rows = read_jsonl(tmp_path / "run" / "test_lookup.jsonl")
    assert [(r["id"], r["pred"], r["gold"], r["metrics"]["exact_match"]) for r in rows] == [
        ("q1", "Paris", ["Paris"], 1.0), ("q2", "Rome", ["Rome"], 1.0),
        ("q3", "Barcelona", ["Madrid"], 0.0), ("q4", "Lima", ["Lima"], 1.0),
    ]  # fmt: skip
    document = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert document["config"] == "@pytest.mark.parity tests"
    assert not document["gates_passed"]
    assert (tmp_path / "run" / "test_lookup_summary.csv").exists()
    cases = junit_cases(tmp_path / "junit.xml")
    properties = junit_properties(cases["tests.test_mine::test_lookup[q3]"])
    assert (properties["exact_match"], properties["prediction"]) == ("0.0", "Barcelona")
    assert properties["experiment_id"] == "test_lookup"
    assert "parity-gates::threshold[test_lookup-exact_match]" in cases

    # Parity's keywords select items: the dataset (the file's name) here.
    selected = pytest_in(tmp_path, "-k", "cases.jsonl and not q3", "--eval-report-dir=k", "-q")
    assert "exact_match  mean 1.0000" in selected.stdout
    assert "3 passed, 4 deselected in" in selected.stdout  # the gate, not evaluated, is no item


def test_model_calls_are_cached_but_the_pipelines_answer_never_is(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=capital_of) as server:
        pipeline = MODEL_PIPELINE.replace("URL", server.url)
        write_project(tmp_path, {
            "cases.jsonl": jsonl(CASES),
            "test_rag.py": pipeline.replace("POSTPROCESS", "reply.text"),
        })  # fmt: skip
        first = pytest_in(tmp_path, "--eval-report-dir=r1", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "exact_match  mean 1.0000" in first.stdout
        assert "engine: 4 requests sent, 0 cache hits" in first.stdout
        row = read_jsonl(tmp_path / "r1" / "test_rag.jsonl")[0]
        assert (row["input_tokens"], row["output_tokens"]) == (3, 1)
        assert row["prompt"] == [[{"role": "user", "content": "Capital of France?"}]]
        assert row["usage"]["model"]["input_tokens"] == 3

        # The user edits the pipeline: the next run scores the new answers at once, and the
        # model calls (unchanged) come from the cache.
        edited = pipeline.replace("POSTPROCESS", "reply.text.lower() + ' city'")
        (tmp_path / "test_rag.py").write_text(textwrap.dedent(edited))
        second = pytest_in(tmp_path, "--eval-report-dir=r2", env=env)
        assert "engine: 0 requests sent, 4 cache hits" in second.stdout
        assert "exact_match  mean 0.0000" in second.stdout
        assert "FAIL  test_rag::threshold::exact_match" in second.stdout
        assert len(server.requests) == 4
        assert SECRET not in (tmp_path / "r1" / "test_rag.jsonl").read_text()


def test_variants_are_paired_with_their_baseline_and_match_under_xdist(tmp_path):
    write_project(tmp_path, {"test_variants.py": """
        import pytest

        ROWS = [{"id": str(i), "input": f"w{i}", "expected": f"w{i}"} for i in range(40)]

        @pytest.mark.parity(dataset=ROWS, metrics=["exact_match"])
        @pytest.mark.parametrize("variant", [
            "full",
            pytest.param("cheap", marks=pytest.mark.parity(baseline="full", max_drop={"exact_match": 0.05})),
        ])
        def test_answer(example, variant):
            wrong = variant == "cheap" and int(example.id) % 4 == 0
            return "nope" if wrong else example.question
    """})  # fmt: skip
    serial = pytest_in(tmp_path, "--eval-report-dir=serial")
    parallel = pytest_in(tmp_path, "--eval-report-dir=parallel", "-n", "2")
    for result in (serial, parallel):
        assert result.returncode == 1, result.stdout + result.stderr
        assert "test_answer_cheap vs test_answer_full  exact_match -0.250" in result.stdout
        assert "FAIL  test_answer_cheap::max_drop::exact_match" in result.stdout
    for name in ("test_answer_full", "test_answer_cheap"):
        a = json.loads((tmp_path / "serial" / f"{name}_summary.json").read_text())
        b = json.loads((tmp_path / "parallel" / f"{name}_summary.json").read_text())
        assert (a["metrics"], a["n_examples"]) == (b["metrics"], b["n_examples"])
        assert a.get("comparison", {}).get("metrics") == b.get("comparison", {}).get("metrics")
    comparison = json.loads((tmp_path / "parallel" / "test_answer_cheap_summary.json").read_text())
    assert comparison["comparison"]["metrics"]["exact_match"]["n_pairs"] == 40


def test_bad_input_gets_one_clear_message(tmp_path):
    write_project(tmp_path, {
        "bad.csv": "input,expected\nq,a\nr,b,extra\n",
        "test_csv.py": """
            import pytest
            @pytest.mark.parity(dataset="bad.csv", metrics=["exact_match"])
            def test_csv(example):
                return "a"
        """,
        "test_key.py": """
            import pytest
            @pytest.mark.parity(dataset="bad.csv", metrics=["exact_match"], treshold={"f1": 1})
            def test_key(example):
                return "a"
        """,
        "test_arg.py": """
            import pytest
            @pytest.mark.parity(dataset=[{"input": "q", "expected": "a"}], metrics=["f1"])
            def test_arg(row):
                return "a"
        """,
    })  # fmt: skip
    result = pytest_in(tmp_path)
    out = result.stdout
    assert result.returncode == 2, out
    assert "bad.csv:3: 2 columns in the header but a different number in this row" in out
    assert "Invalid parity marker (file " in out and "key 'treshold')" in out
    assert "has no 'example' argument" in out
    assert "Traceback" not in out + result.stderr


def test_async_pipelines_run_under_anyio_and_pytest_asyncio(tmp_path):
    write_project(tmp_path, {"test_async.py": """
        import asyncio
        import pytest

        ROWS = [{"input": "x", "expected": "X"}, {"input": "y", "expected": "Y"}]

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        @pytest.mark.parity(dataset=ROWS, metrics=["exact_match"])
        async def test_anyio(example):
            await asyncio.sleep(0)
            return example.question.upper()

        @pytest.mark.asyncio
        @pytest.mark.parity(dataset=ROWS, metrics=["exact_match"])
        async def test_asyncio(example):
            await asyncio.sleep(0)
            return example.question.upper()
    """})  # fmt: skip
    result = pytest_in(tmp_path, "--eval-report-dir=r")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("test_anyio", "test_asyncio"):
        summary = json.loads((tmp_path / "r" / f"{name}_summary.json").read_text())
        assert (summary["n_examples"], summary["metrics"]["exact_match"]["mean"]) == (2, 1.0)


def test_the_example_project_runs_offline_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "examples/own_pipeline",
         f"--eval-report-dir={tmp_path / 'r'}", f"--eval-cache-dir={tmp_path / 'c'}"],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "test_rag  [local:smollm2 | pipeline | hotpotqa | rag]\n  n=8" in out
    assert "test_intent_bigrams vs test_intent_unigrams  accuracy" in out
    assert "gates: 6 passed, 0 failed, 0 skipped" in out
    for name in ("test_rag", "test_intent_unigrams", "test_intent_bigrams"):
        assert (tmp_path / "r" / f"{name}.jsonl").exists()
        assert (tmp_path / "r" / f"{name}_summary.json").exists()
    rag = read_jsonl(tmp_path / "r" / "test_rag.jsonl")
    assert all(row["input_tokens"] > 0 and row["usage"]["model"]["latency_ms"] > 0 for row in rag)
