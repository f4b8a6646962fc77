"""Paired verdicts end to end: a local OpenAI-wire server answers HotpotQA questions right or
wrong by model name, and real ``pytest`` runs gate on the interval of (candidate − baseline)
— passing, failing, inconclusive, unevaluable — and against a stored run's rows."""

from __future__ import annotations

import json

import pytest

from parity.cases.cases import build_plan
from parity.config.config import parse_config
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, junit_cases, run_pytest, write_yaml

N = 12


def hotpot(experiment_id, model, url, **extra):
    return {
        "id": experiment_id,
        "model": {"name": f"openai-compatible:{model}", "base_url": url, "max_concurrency": 8},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 3},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
        **extra,
    }


def replier(url):
    """``oracle`` answers with the gold answer, ``wrong`` never, ``mostly`` misses two."""
    every = hotpot("all", "oracle", url)
    every["dataset"] = {**every["dataset"], "num_examples": None}
    plan = build_plan(parse_config([every, hotpot("x", "oracle", url)], "x.yaml"))
    golds = [
        (c.example.question, c.example.answers[0]) for c in plan.cases if c.experiment.id == "all"
    ]
    missed = {c.example.question for c in plan.cases if c.experiment.id == "x"}
    missed = set(sorted(missed)[:2])

    def reply(body):
        prompt = body["messages"][-1]["content"]
        question, answer = next((q, a) for q, a in golds if q in prompt)
        model = body["model"]
        if model == "wrong" or (model == "mostly" and question in missed):
            return "zzz"
        return answer

    return reply


@pytest.fixture
def server():
    with FakeLLMServer("openai") as running:
        running.reply = replier(running.url)
        yield running


def run(tmp_path, experiments, *args, name="run"):
    config = write_yaml(tmp_path / f"{name}.yaml", experiments)
    return run_pytest(
        tmp_path, f"--eval-config={config}", f"--eval-report-dir={name}",
        f"--junitxml={name}.xml", "--eval-cache=off", *args, env=clean_env(),
    )  # fmt: skip


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_non_inferior_candidate_passes_and_the_verdict_is_printed_and_stored(
    tmp_path, server, workers
):
    result = run(tmp_path, [
        hotpot("base", "oracle", server.url),
        hotpot("cand", "oracle2", server.url, baseline="base", max_drop={"f1": 0.25}),
    ], *workers)  # fmt: skip
    # oracle2 is unknown to the replier's wrong/mostly lists: it answers like the oracle. 12
    # pairs that agree bound the drop by 0.242 (Tango's paired interval: z²/(n + z²)), not by 0.
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"cand vs base  f1 +0.000 [-0.242, +0.242] n={N} |" in result.stdout
    assert "-> f1 non-inferior (margin 0.25)" in result.stdout
    assert "gates: 1 passed, 0 failed, 0 skipped" in result.stdout
    summary = json.loads((tmp_path / "run" / "cand_summary.json").read_text())
    comparison = summary["comparison"]
    assert comparison["n_pairs"] == N and comparison["verdicts"] == {"max_drop.f1": "non-inferior"}
    assert comparison["metrics"]["exact_match"]["test"] == "exact McNemar"
    run_summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert run_summary["verdicts"][0].startswith("cand vs base")
    assert run_summary["gate_counts"] == {"passed": 1, "failed": 0, "skipped": 0}


def test_inferior_and_inconclusive_candidates_fail_with_readable_junit_cases(tmp_path, server):
    result = run(tmp_path, [
        hotpot("base", "oracle", server.url),
        hotpot("bad", "wrong", server.url, baseline="base", max_drop={"f1": 0.05}),
        hotpot("near", "mostly", server.url, baseline="base", max_drop={"exact_match": 0.2}),
    ])  # fmt: skip
    assert result.returncode == 1
    assert "-> f1 inferior (margin 0.05)" in result.stdout
    assert "-> exact_match inconclusive (margin 0.2)" in result.stdout
    assert "Holm-adjusted p-values" in result.stdout
    cases = junit_cases(tmp_path / "run.xml")
    bad = cases["parity-gates::max_drop[bad-f1]"].find("failure")
    near = cases["parity-gates::max_drop[near-exact_match]"].find("failure")
    assert bad is not None and "inferior" in bad.get("message")
    assert near is not None and "minimum detectable difference" in near.get("message")
    assert "pairs would decide it" in near.get("message")


@pytest.mark.parametrize(
    ("model", "gate"),
    [("oracle", {"max_drop": {"f1": 0.05}}), ("oracle", {"min_gain": {"f1": 0.2}})],
    ids=["non-inferior", "superior"],
)
def test_one_example_never_decides_a_gate(tmp_path, server, model, gate):
    base, cand = (
        hotpot("base", "wrong", server.url),
        hotpot("cand", model, server.url, baseline="base", **gate),
    )
    if "max_drop" in gate:
        base = hotpot("base", "oracle", server.url)
    for exp in (base, cand):
        exp["dataset"]["num_examples"] = 1
    result = run(tmp_path, [base, cand])
    assert result.returncode == 1, result.stdout[-3000:]
    assert "inconclusive: n=1 < min_pairs 6" in result.stdout
    assert "gates: 0 passed, 1 failed, 0 skipped" in result.stdout


def test_a_gate_whose_baseline_was_deselected_is_not_evaluated_unless_asked(tmp_path, server):
    experiments = [
        hotpot("base", "oracle", server.url),
        hotpot("cand", "oracle", server.url, baseline="base", max_drop={"f1": 0.05}),
    ]
    deselected = run(tmp_path, experiments, "-k", "cand")
    assert deselected.returncode == 0, deselected.stdout[-3000:]
    assert "not evaluated: baseline 'base' was deselected by -k" in deselected.stdout
    assert "gates: 0 passed, 0 failed, 1 skipped" in deselected.stdout
    asked = run(tmp_path, experiments, "-k", "cand", "--eval-gate-narrowed", name="asked")
    assert asked.returncode == 1
    assert "could not be evaluated: baseline 'base' was deselected by -k" in asked.stdout
    assert "gates: 0 passed, 1 failed, 0 skipped" in asked.stdout
    allowed = run(tmp_path, experiments, "-k", "cand", "--eval-gate-narrowed",
                  "--eval-allow-skipped-gates", name="ok")  # fmt: skip
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    assert "gates: 0 passed, 0 failed, 1 skipped" in allowed.stdout


def test_the_readme_shape_without_an_api_key_fails_instead_of_going_green(tmp_path, server):
    api = hotpot("gpt4o", "x", server.url)
    api["model"] = {"name": "openai:gpt-4o", "max_tokens": 8}
    result = run(tmp_path, [
        api, hotpot("cand", "oracle", server.url, baseline="gpt4o", max_drop={"f1": 0.05}),
    ])  # fmt: skip
    assert result.returncode == 1
    assert "needs the environment variable OPENAI_API_KEY" in result.stdout
    assert "could not be evaluated: the baseline gpt4o has no scores" in result.stdout


def test_a_stored_run_is_a_baseline_without_calling_its_model_again(tmp_path, server):
    first = run(tmp_path, [hotpot("qa", "oracle", server.url)], name="main")
    assert first.returncode == 0, first.stdout[-3000:]
    sent = len(server.requests)
    worse = [hotpot("qa", "wrong", server.url, max_drop={"f1": 0.05})]
    second = run(tmp_path, worse, f"--eval-baseline-run={tmp_path / 'main'}", name="pr")
    assert len(server.requests) == sent + N  # only the candidate was asked
    assert second.returncode == 1
    assert "-> f1 inferior (margin 0.05)" in second.stdout
    assert f"qa vs qa @ {tmp_path / 'main'}" in second.stdout
    assert "the baseline's model differs" in second.stdout  # a warning, not a refusal
    same = [hotpot("cand", "oracle", server.url, max_drop={"f1": 0.25},
                   baseline={"run": str(tmp_path / "main"), "experiment": "qa"})]  # fmt: skip
    third = run(tmp_path, same, name="same")
    assert third.returncode == 0, third.stdout[-3000:]
    assert "-> f1 non-inferior (margin 0.25)" in third.stdout

    # The stored run's raw rows cut short mid-line (a killed job, a truncated artifact): the
    # gate fails with the file and line, rather than comparing against fewer rows.
    raw = tmp_path / "main" / "qa.jsonl"
    lines = raw.read_text().splitlines()
    raw.write_text("\n".join(lines[:5]) + "\n" + lines[5][: len(lines[5]) // 2])
    cut = run(tmp_path, same, name="cut")
    assert cut.returncode == 1
    assert f"{raw}, line 6: not valid JSON (a file cut short or edited)" in cut.stdout
    assert "FAIL  cand::max_drop::f1: could not be evaluated" in cut.stdout


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 4}},
         "differs in what makes scores comparable (dataset:"),
        ({"dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N - 1, "seed": 3}},
         "differs in what makes scores comparable (dataset:"),
        ({"metrics": ["exact_match", "f1"], "task": {"name": "rag_qa", "prompt": "rag_qa"},
          "baseline": {"run": "nowhere", "experiment": "qa"}}, "does not exist"),
        ({"baseline": {"run": "main", "experiment": "other"}}, "holds no summary of experiment 'other'"),
    ],
    ids=["seed", "sample", "missing-run", "missing-experiment"],
)  # fmt: skip
def test_a_stored_run_that_cannot_be_compared_is_refused_before_any_call(
    tmp_path, server, change, expected
):
    first = run(tmp_path, [hotpot("qa", "oracle", server.url)], name="main")
    assert first.returncode == 0
    sent = len(server.requests)
    candidate = {"baseline": {"run": "main", "experiment": "qa"}, **change}
    config = hotpot("cand", "oracle", server.url, max_drop={"f1": 0.05}, **candidate)
    result = run(tmp_path, [config], name="pr")
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert len(server.requests) == sent


def test_repeats_are_separate_items_and_cache_entries_with_their_spread_reported(tmp_path, server):
    exp = hotpot("rep", "oracle", server.url, repeats=3, n_eval_seeds=4)
    exp["model"]["temperature"] = 0.7
    exp["dataset"]["num_examples"] = 4
    result = run(tmp_path, [exp], "--eval-cache=use", "--eval-cache-dir=cache")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "12 passed" in result.stdout and len(server.requests) == 12  # 4 examples x 3
    summary = json.loads((tmp_path / "run" / "rep_summary.json").read_text())
    assert summary["repeats"] == 3 and summary["n_examples"] == 12
    assert summary["metrics"]["f1"]["within_example_std"] == 0.0
    assert summary["resampling_spread"]["f1"] == {"mean": 1.0, "std": 0.0, "n_seeds": 4}
    assert "resampling spread over 4 seeds (not a confidence interval)" in result.stdout
    rows = [json.loads(line) for line in (tmp_path / "run" / "rep.jsonl").read_text().splitlines()]
    assert sorted(row["metadata"]["repeat"] for row in rows) == [0] * 4 + [1] * 4 + [2] * 4
    again = run(tmp_path, [exp], "--eval-cache=use", "--eval-cache-dir=cache", name="again")
    assert again.returncode == 0 and len(server.requests) == 12  # each repeat was cached
