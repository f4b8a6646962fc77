"""A metric that returns NaN or ±inf: the item fails with a message naming the metric and the
value, the run still ends with its summary, the paired gate counts the lost pairs, and every
file Parity writes is strict JSON (no bare ``NaN`` or ``Infinity``)."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from parity.record.scoring import NonFiniteScore, finite, score
from parity.report.reporters.json_summary import write_json
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

N = 12
# A conftest metric that is undefined (NaN) or unbounded (-inf) on some of the baseline's
# answers ("Paris"), and 0.5 elsewhere.
CONFTEST = """
from parity.evals.metrics import Metric, register_metric


def fragile(prediction, references):
    bucket = sum(map(ord, references[0])) % 6
    if prediction == "Paris" and bucket == 0:
        return {"fragile": float("nan")}
    if prediction == "Paris" and bucket == 1:
        return {"fragile": float("-inf")}
    return {"fragile": 0.5}


register_metric(Metric("fragile", fragile, reference="NaN on some answers"))
"""


def refuse_constant(name: str) -> float:
    raise ValueError(f"bare {name} in a JSON file")


def strict_load(text: str) -> object:
    return json.loads(text, parse_constant=refuse_constant)


def test_a_nan_or_infinite_score_names_the_metric_and_the_value():
    with pytest.raises(NonFiniteScore, match="metric 'm' returned nan for 'x': a score must"):
        finite("m", {"x": math.nan})
    with pytest.raises(NonFiniteScore, match="returned -inf for 'y'"):
        finite("m", {"x": 0.5, "y": -math.inf})
    with pytest.raises(NonFiniteScore, match="returned None"):
        finite("m", {"x": None})
    assert finite("m", {"x": 1, "y": 0.25}) == {"x": 1, "y": 0.25}
    assert score("exact_match", "Paris", ["paris"]) == {"exact_match": 1.0}


def test_a_score_too_large_to_sum_or_square_fails_like_a_nan():
    # 1e200 is finite, but its square overflows the summary's sd: the item fails, not the run
    with pytest.raises(
        NonFiniteScore,
        match=r"returned 1e\+200 for 'x': a score must be a finite number within ±1e\+100",
    ):
        finite("m", {"x": 1e200})
    assert finite("m", {"x": -1e100}) == {"x": -1e100}  # the bound itself is a score


def test_a_metric_that_leaves_out_a_declared_score_fails_its_item():
    # a score missing on one example would drop the metric from the comparison unnoticed
    with pytest.raises(
        NonFiniteScore, match=r"metric 'm' returned no 'y' score \(it returned \['x'\]\)"
    ):
        finite("m", {"x": 0.5}, declared=("x", "y"))
    assert finite("m", {"x": 0.5, "y": 1.0}, declared=("x", "y")) == {"x": 0.5, "y": 1.0}


def test_summary_json_never_holds_a_bare_nan(tmp_path):
    path = write_json(tmp_path / "s.json", {"a": math.nan, "b": [math.inf, 1.0], "c": {"d": 2}})
    assert strict_load(path.read_text()) == {"a": None, "b": [None, 1.0], "c": {"d": 2}}


def experiment(experiment_id, model, url, **extra):
    return {
        "id": experiment_id,
        "model": {"name": f"openai-compatible:{model}", "base_url": url},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 3},
        "task": {"name": "rag_qa"},
        "metrics": ["fragile"],
        **extra,
    }


def run_base_and_candidate(tmp_path, metric, *args):
    """Run 'base' (answers "Paris") and 'cand' (answers "Lyon", ``max_drop`` 0.1 on
    ``metric``) with the conftest already in ``tmp_path``; the output of a run that failed."""
    with FakeLLMServer("openai") as server:
        server.reply = lambda body: "Paris" if body["model"] == "base" else "Lyon"
        config = write_yaml(tmp_path / "run.yaml", [
            experiment("base", "base", server.url, metrics=[metric]),
            experiment("cand", "cand", server.url, baseline="base", metrics=[metric],
                       max_drop={metric: 0.1}),
        ])  # fmt: skip
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=out", "--eval-cache=off",
            *args, env=clean_env(),
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    return output


def test_a_run_with_nan_scores_under_max_drop_ends_with_a_summary_and_strict_json(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    output = run_base_and_candidate(tmp_path, "fragile", "--junitxml=run.xml")
    assert "Traceback" not in output and "math.ceil" not in output
    assert "metric 'fragile' returned nan for 'fragile'" in output
    assert "metric 'fragile' returned -inf for 'fragile'" in output
    summary = strict_load((tmp_path / "out" / "base_summary.json").read_text())
    lost = summary["n_failed"]
    assert 0 < lost < N and summary["n_examples"] == N - lost
    assert summary["metrics"]["fragile"]["mean"] == 0.5
    assert f"n={N - lost} of {N} ({lost} failed on the baseline side)" in output
    (gate,) = strict_load((tmp_path / "out" / "summary.json").read_text())["gates"]
    assert gate["verdict"] == "inconclusive" and "failed on the baseline side" in gate["message"]
    written = sorted((tmp_path / "out").rglob("*.json*"))
    assert {p.name for p in written} >= {"summary.json", "base.jsonl", "cand_summary.json"}
    for path in written:
        for line in (
            path.read_text().splitlines() if path.suffix == ".jsonl" else [path.read_text()]
        ):
            strict_load(line)


MARKED = """
import pytest

ROWS = [{"id": str(i), "input": f"w{i}", "expected": f"w{i}"} for i in range(8)]


@pytest.mark.parity(dataset=ROWS, metrics=["fragile"])
@pytest.mark.parametrize("variant", [
    "full",
    pytest.param("cheap", marks=pytest.mark.parity(baseline="full", max_drop={"fragile": 0.1})),
])
def test_answer(example, variant):
    return "Paris" if variant == "full" and example.id == "3" else "Lyon"
"""


def test_a_marked_tests_nan_score_writes_its_raw_row_and_counts_as_failed(tmp_path):
    metric = CONFTEST.replace("bucket == 0", "True")  # NaN for every "Paris"
    (tmp_path / "conftest.py").write_text(metric)
    (tmp_path / "test_marked.py").write_text(MARKED)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-report-dir=out"]
    result = subprocess.run(
        command, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "FAILED test_marked.py::test_answer[3-full] - Failed: NonFiniteScore: " in output
    rows = [strict_load(line) for line in (tmp_path / "out" / "test_answer_full.jsonl").open()]
    (failed,) = [row for row in rows if row["id"] == "3"]
    assert (failed["pred"], failed["metrics"]) == ("Paris", {})  # as a raising test's row
    summary = strict_load((tmp_path / "out" / "test_answer_full_summary.json").read_text())
    assert (summary["n_examples"], summary["n_failed"]) == (7, 1)
    assert "n=7 of 8 (1 failed on the baseline side)" in output


SHY = """
from parity.evals.metrics import Metric, register_metric


def shy(prediction, references):
    bucket = sum(map(ord, references[0])) % 6
    if prediction == "Lyon" and bucket == 0:
        return {}  # leaves its declared score out on some of the candidate's answers
    if prediction == "Lyon" and bucket == 1:
        return {"shy": 1e200}  # finite, but too large to sum or square
    return {"shy": 0.5}


register_metric(Metric("shy", shy, reference="no score on some answers"))
"""


def test_a_left_out_or_huge_score_fails_its_item_and_the_gate_counts_it(tmp_path):
    (tmp_path / "conftest.py").write_text(SHY)
    output = run_base_and_candidate(tmp_path, "shy", "--eval-allow-skipped-gates")
    assert "Traceback" not in output and "OverflowError" not in output
    assert "metric 'shy' returned no 'shy' score (it returned [])" in output
    assert "metric 'shy' returned 1e+200 for 'shy'" in output
    summary = strict_load((tmp_path / "out" / "cand_summary.json").read_text())
    lost = summary["n_failed"]
    assert 0 < lost < N and summary["n_examples"] == N - lost
    (gate,) = strict_load((tmp_path / "out" / "summary.json").read_text())["gates"]
    assert gate["verdict"] == "inconclusive", gate  # not 'unevaluable', which may be skipped
    assert (
        f"{lost} of {N} examples have no pair ({lost} failed on the candidate side)"
        in (gate["message"])
    )
