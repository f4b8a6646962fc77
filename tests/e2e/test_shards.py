"""A run in three shards (``--parity-shard k/3``, three pytest processes) merged with
``python -m parity merge`` equals the same run unsharded: raw rows, summaries (intervals and
p-values exactly), verdicts and gates; the merge is the gate (exit 1 when one fails), its
JUnit file holds every item and each gate once; shards of another config, a missing shard
and a shard given twice are refused, naming the folders.

A local OpenAI-wire server answers (the oracle of ``test_verdicts``); a first run fills the
response cache, from which the unsharded run and every shard then read the same answers and
latencies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from parity.cases.cases import build_plan
from parity.cases.shards import case_costs, plan_shards
from parity.config.config import parse_config
from tests.e2e.test_verdicts import N, hotpot, replier
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, junit_cases, read_jsonl, run_pytest, write_yaml

SHARDS = 3
EXPERIMENTS = ("base", "twin", "near")


def experiments(url: str) -> list[dict]:
    """A baseline with a threshold, a twin that passes its paired gate and a candidate whose
    gate is inconclusive (so fails): 36 cases."""
    return [
        hotpot("base", "oracle", url, thresholds={"f1": 0.5}),
        hotpot("twin", "oracle2", url, baseline="base", max_drop={"f1": 0.25}),
        hotpot("near", "mostly", url, baseline="base", max_drop={"exact_match": 0.2}),
    ]


def fails_one_of_near(url: str):
    """A fault for one example of ``near``: HTTP 400 (not retried), so that the run counts
    a failed item, its error and a pair lost to it."""
    plan = build_plan(parse_config(experiments(url), "x.yaml"))
    question = next(c.example.question for c in plan.cases if c.experiment.id == "near")

    def fault(body: dict) -> str | None:
        prompt = body["messages"][-1]["content"]
        return "400" if body["model"] == "mostly" and question in prompt else None

    return fault


def parity_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m parity ARGS`` in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "parity", *args], cwd=cwd, env=clean_env(**env),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def run(cwd: Path, config: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    """A pytest run of ``config`` into ``cwd/name`` (its JUnit file inside), from the cache."""
    return run_pytest(
        cwd, f"--parity-config={config}", f"--parity-report-dir={name}",
        f"--junitxml={name}/junit.xml", "--parity-cache-dir=cache", *args, env=clean_env(),
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    with FakeLLMServer("openai") as server:
        server.reply = replier(server.url)
        server.fault_for = fails_one_of_near(server.url)
        config = write_yaml(tmp / "experiments.yaml", experiments(server.url))
        warm = run(tmp, config, "warm")
        assert warm.returncode == 1, warm.stdout[-3000:]  # its failing gate
        whole = run(tmp, config, "whole")
        shards = [run(tmp, config, f"s{k}", f"--parity-shard={k}/{SHARDS}") for k in (1, 2, 3)]
    for shard in shards:  # one shard's failed item fails it; no shard gates
        assert shard.returncode in (0, 1), shard.stdout[-3000:] + shard.stderr[-2000:]
        assert "gates: 0 passed, 0 failed" in shard.stdout
    assert sorted(shard.returncode for shard in shards) == [0, 0, 1]
    step_summary = str(tmp / "step_summary.md")  # as GitHub Actions gives a job
    merged = parity_cli(
        tmp, "merge", "s1", "s2", "s3", "--out", "merged", GITHUB_STEP_SUMMARY=step_summary
    )
    return tmp, whole, shards, merged


def rows(run_dir: Path) -> Counter:
    """Every raw row of a run, as a multiset of canonical JSON texts (order-independent)."""
    return Counter(
        json.dumps(row, sort_keys=True)
        for name in EXPERIMENTS
        for row in read_jsonl(run_dir / f"{name}.jsonl")
    )


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def test_each_case_runs_in_exactly_one_shard_and_each_shard_records_the_plan(runs):
    tmp, _, shards, _ = runs
    manifests = [json.loads((tmp / f"s{k}" / "shard.json").read_text()) for k in (1, 2, 3)]
    ids = [case[1] for manifest in manifests for case in manifest["cases"]]
    assert len(ids) == len(set(ids)) == len(EXPERIMENTS) * N
    assert [m["shard"] for m in manifests] == [{"index": k, "count": 3} for k in (1, 2, 3)]
    assert len({m["plan_sha256"] for m in manifests}) == 1
    counts = [len(m["cases"]) for m in manifests]
    assert min(counts) >= 10, counts  # balanced: 36 cases of similar prompts
    for k, (shard, count) in enumerate(zip(shards, counts, strict=True), 1):
        assert f", {36 - count} deselected" in shard.stdout
        assert f"parity shard {k}/3: {count} of 36 cases, estimated cost" in shard.stdout
        assert "this is shard" in shard.stdout
    statuses = Counter(case[3] for m in manifests for case in m["cases"])
    assert statuses == {"passed": 35, "failed": 1}


def test_the_merged_run_equals_the_unsharded_one(runs):
    tmp, whole, _, merged = runs
    assert merged.returncode == 1, merged.stdout + merged.stderr  # near's gate fails
    assert whole.returncode == 1
    one, many = tmp / "whole", tmp / "merged"
    assert rows(many) == rows(one)
    assert sum(rows(one).values()) == len(EXPERIMENTS) * N - 1  # the failed item has none
    a, b = summary(one), summary(many)
    for key in ("experiments", "verdicts", "gates", "gate_counts", "holm_adjusted"):
        assert b[key] == a[key], key
    assert b["gate_counts"] == {"passed": 2, "failed": 1, "skipped": 0}
    assert b["experiments"][2]["n_failed"] == 1 and b["experiments"][2]["failures"]
    near = b["experiments"][2]["comparison"]["metrics"]["exact_match"]
    assert near["p_value"] is not None  # compared exactly above, with its interval
    for name in EXPERIMENTS:
        assert (many / f"{name}_summary.json").read_text() == (
            one / f"{name}_summary.json"
        ).read_text()
    assert (many / "report.html").is_file()
    assert (tmp / "step_summary.md").read_text() == (many / "summary.md").read_text()
    assert "FAIL  near::max_drop::exact_match" in merged.stdout


def test_the_merged_junit_file_holds_every_item_and_each_gate_once(runs):
    tmp, *_ = runs
    one, many = junit_cases(tmp / "whole" / "junit.xml"), junit_cases(tmp / "merged" / "junit.xml")
    assert sorted(many) == sorted(one)
    gates = [name for name in many if name.startswith("parity-gates::")]
    assert len(gates) == 3
    for name in gates:
        assert (many[name].find("failure") is None) == (one[name].find("failure") is None)
    assert many["parity-gates::max_drop[near-exact_match]"].find("failure") is not None


def test_a_missing_or_repeated_shard_is_refused_naming_it(runs):
    tmp, *_ = runs
    missing = parity_cli(tmp, "merge", "s1", "s3", "--out", "m2")
    assert missing.returncode == 2
    assert "shard 2/3 is missing" in missing.stderr and "s1 (1/3)" in missing.stderr
    twice = parity_cli(tmp, "merge", "s1", "s2", "s2", "s3", "--out", "m3")
    assert twice.returncode == 2 and "shard 2/3: s2, s2" in twice.stderr
    assert not (tmp / "m2").exists() and not (tmp / "m3").exists()


def test_a_shard_of_another_config_is_refused_naming_the_folders(runs, tmp_path):
    tmp, *_ = runs
    with FakeLLMServer("openai") as server:
        server.reply = replier(server.url)
        other = experiments(server.url)
        other[2]["max_drop"] = {"exact_match": 0.3}
        config = write_yaml(tmp / "other.yaml", other)
        result = run(tmp, config, "o3", "--parity-shard=3/3", "--parity-cache=off")
    assert result.returncode == 0, result.stdout[-2000:]
    refused = parity_cli(tmp, "merge", "s1", "s2", "o3", "--out", "m4")
    assert refused.returncode == 2
    assert "shards of different configs" in refused.stderr
    assert "s1, s2" in refused.stderr and "o3" in refused.stderr


def test_a_plan_weighed_by_recorded_latencies_is_the_same_in_every_shard(runs):
    tmp, *_ = runs
    with FakeLLMServer("openai") as server:
        server.reply = replier(server.url)
        config = write_yaml(tmp / "again.yaml", experiments(server.url))
        weighed = [
            run(tmp, config, f"w{k}", f"--parity-shard={k}/2", "--parity-shard-latencies=whole")
            for k in (1, 2)
        ]
    for result in weighed:
        assert result.returncode == 0, result.stdout[-2000:]
    manifests = [json.loads((tmp / f"w{k}" / "shard.json").read_text()) for k in (1, 2)]
    assert manifests[0]["plan_sha256"] == manifests[1]["plan_sha256"]
    assert sum(len(m["cases"]) for m in manifests) == len(EXPERIMENTS) * N
    cases = build_plan(parse_config(experiments(server.url), "x.yaml")).cases
    by_tokens = plan_shards([c.id for c in cases], case_costs(cases, {}), 2)
    assert by_tokens.sha256 != manifests[0]["plan_sha256"]  # the latencies weighed it
    merged = parity_cli(tmp, "merge", "w1", "w2", "--out", "w-merged")
    assert merged.returncode == 1, merged.stderr  # near's gate, as before
    assert sum(rows(tmp / "w-merged").values()) == len(EXPERIMENTS) * N


def copies(tmp: Path, where: Path) -> list[Path]:
    """Copies of the three shards' run folders under ``where``."""
    return [shutil.copytree(tmp / f"s{k}", where / f"s{k}") for k in (1, 2, 3)]


def test_a_case_scored_by_two_shards_is_refused_naming_it(runs, tmp_path):
    tmp, *_ = runs
    s1, s2, _ = copies(tmp, tmp_path)
    row = (s1 / "base.jsonl").read_text().splitlines()[0]
    with (s2 / "base.jsonl").open("a") as rows_file:
        rows_file.write(row + "\n")
    refused = parity_cli(tmp_path, "merge", "s1", "s2", "s3", "--out", "m")
    assert refused.returncode == 2
    example = json.loads(row)["id"]
    assert f"cases scored by two shards: base/{example} (s1, s2)" in refused.stderr


def test_a_shard_whose_cases_do_not_make_its_plan_is_refused(runs, tmp_path):
    tmp, *_ = runs
    _, s2, _ = copies(tmp, tmp_path)
    manifest = json.loads((s2 / "shard.json").read_text())
    manifest["cases"] = manifest["cases"][1:]  # a case dropped from the shard's list
    (s2 / "shard.json").write_text(json.dumps(manifest))
    refused = parity_cli(tmp_path, "merge", "s1", "s2", "s3", "--out", "m")
    assert refused.returncode == 2
    assert "the shards' case lists do not make the plan they name" in refused.stderr
