"""Case expansion: stable ids, keywords, skip reasons, and shared dataset loading."""

import pytest

from parity.cases.cases import build_plan, example_keys, marker_name
from parity.config.config import parse_config
from parity.config.errors import ConfigError
from tests.conftest import experiment


def plan_for(*experiments):
    return build_plan(parse_config(list(experiments), "test.yaml"))


def test_ids_are_experiment_and_short_example_id():
    plan = plan_for(
        experiment(id="hotpotqa_baseline_local", dataset={"name": "hotpotqa", "source": "shipped"})
    )
    assert len(plan.cases) == 32
    assert plan.cases[0].id == "hotpotqa_baseline_local-5a8b57f2"
    assert len({c.id for c in plan.cases}) == 32
    assert [c.index for c in plan.cases] == list(range(32))


def testexample_keys_grow_on_collision_and_stay_unique():
    assert example_keys(["abcdefgh1", "abcdefgh2"]) == ["abcdefgh1", "abcdefgh2"]
    assert example_keys(["1", "2", "10"]) == ["1", "2", "10"]
    assert example_keys(["a/b", "a b"]) == ["a_b", "a_b_2"]


def test_keywords_and_markers():
    case = plan_for(experiment(tags=["smoke"])).cases[0]
    assert case.keywords() == ["hotpotqa", "rag_qa", "smollm2", "local", "baseline", "smoke"]
    assert marker_name("gpt-4o") == "gpt_4o"
    assert marker_name("4o") == "m_4o"


def test_missing_key_becomes_a_skip_reason(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    case = plan_for(experiment(model={"name": "openai:gpt-4o"})).cases[0]
    assert "OPENAI_API_KEY" in case.skip_reason


def test_same_seed_same_rows_across_experiments():
    plan = plan_for(experiment(id="a"), experiment(id="b"))
    rows = {}
    for case in plan.cases:
        rows.setdefault(case.experiment.id, []).append(case.example.id)
    assert rows["a"] == rows["b"] and len(rows["a"]) == 3


def test_code_experiments_skip_where_code_cannot_be_confined(monkeypatch):
    import parity.cases.cases
    from parity.evals.sandbox import allow_unconfined

    monkeypatch.setattr(parity.cases.cases, "sandbox_unavailable_reason", lambda: "no bwrap")
    mbpp = experiment(dataset={"name": "mbpp", "source": "shipped", "num_examples": 1},
                      task={"name": "code"}, metrics=["pass_at_1"])  # fmt: skip
    case = plan_for(mbpp).cases[0]
    assert "no bwrap" in case.skip_reason and "--parity-unsafe-exec" in case.skip_reason
    allow_unconfined(True)
    try:
        assert plan_for(mbpp).cases[0].skip_reason is None
    finally:
        allow_unconfined(False)


def test_unsafe_exec_is_configuration_not_environment(tmp_path):
    """``--eval-unsafe-exec`` reaches the sandbox policy, never ``os.environ`` (where the
    generated code and every child process would inherit it)."""
    import subprocess
    import sys

    from tests.support.pytest_runs import clean_env

    (tmp_path / "test_probe.py").write_text(
        "import os\n"
        "from parity.evals.sandbox import unsafe_allowed\n"
        "def test_probe():\n"
        "    assert unsafe_allowed()\n"
        "    assert not any('UNSAFE' in key for key in os.environ)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--eval-unsafe-exec", "-q"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_data_that_failed_to_load_is_tried_once_per_plan(monkeypatch, tmp_path):
    """Two experiments on the same unreachable data: one attempt (a Hub that cannot be
    reached costs its timeout each time), each experiment still gets its own message."""
    import parity.cases.cases

    attempts = []
    real_load = parity.cases.cases._load

    def counted(experiment, path, source):
        attempts.append(experiment.id)
        return real_load(experiment, path, source)

    monkeypatch.setattr(parity.cases.cases, "_load", counted)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    missing = {"name": "hotpotqa", "split": "test"}  # not shipped: the keyless fallback fails
    keyless = [experiment(id=name, model={"name": "openai:gpt-4o"}, dataset=missing)
               for name in ("full", "compressed")]  # fmt: skip
    plan = plan_for(*keyless)
    assert attempts == ["full"]
    assert [case.id for case in plan.cases] == ["full-unavailable", "compressed-unavailable"]
    for case in plan.cases:
        assert "OPENAI_API_KEY" in case.skip_reason and "ships no sample" in case.skip_reason

    attempts.clear()
    gone = {"name": "hotpotqa", "path": str(tmp_path / "gone.jsonl")}
    local = experiment(id="local", model={"name": "openai:gpt-4o"}, dataset=gone)
    with pytest.raises(ConfigError) as failed:
        plan_for(keyless[0], local)  # a local file is checked even when it cannot run here
    assert failed.value.experiment == "local" and "gone.jsonl" in failed.value.problem
    assert attempts == ["full", "local"]


def test_an_experiment_that_cannot_run_does_not_reach_the_hub(monkeypatch):
    """A keyless API experiment lists the shipped sample (``source: auto``) or one skipped
    item (``source: hub``) instead of downloading data it will not use, or waiting out the
    Hub's timeout offline."""
    import parity.cases.cases

    sources = []
    real_load = parity.cases.cases._load

    def recorded(experiment, path, source):
        sources.append((experiment.id, source))
        return real_load(experiment, path, source)

    monkeypatch.setattr(parity.cases.cases, "_load", recorded)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    api = {"name": "openai:gpt-4o"}
    auto = experiment(id="auto", model=api, dataset={"name": "hotpotqa", "num_examples": 4})
    hub = experiment(id="hub", model=api, dataset={"name": "ethic", "source": "hub",
                                                   "task": "Recalling"})  # fmt: skip
    plan = plan_for(auto, hub)
    assert sources == [("auto", "shipped")]
    by_experiment = {}
    for case in plan.cases:
        by_experiment.setdefault(case.experiment.id, []).append(case)
    assert len(by_experiment["auto"]) == 4
    assert all("OPENAI_API_KEY" in case.skip_reason for case in by_experiment["auto"])
    (only,) = by_experiment["hub"]
    assert only.id == "hub-unavailable"
    assert "OPENAI_API_KEY" in only.skip_reason and "source: hub" in only.skip_reason


def test_before_loading_sees_the_runnable_experiments_before_any_data_loads(monkeypatch):
    import parity.cases.cases

    events = []
    real_load = parity.cases.cases._load

    def recorded(experiment, path, source):
        events.append(("load", experiment.id))
        return real_load(experiment, path, source)

    monkeypatch.setattr(parity.cases.cases, "_load", recorded)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    local = experiment(id="local")
    keyless = experiment(id="keyless", model={"name": "openai:gpt-4o"})
    config = parse_config([local, keyless], "test.yaml")
    build_plan(config, lambda runnable: events.append(("runnable", [e.id for e in runnable])))
    assert events[0] == ("runnable", ["local"])
    assert ("load", "local") in events[1:]


def test_experiments_sharing_data_seed_and_sizes_share_one_draw():
    """Sampled once, shots drawn once (a config may hold 100,000 experiments)."""
    data = {"name": "banking77", "source": "shipped", "num_examples": 3, "seed": 1, "num_shots": 2}
    plan = plan_for(*(
        experiment(id=name, dataset=dataset, task={"name": "classification"}, metrics=["accuracy"])
        for name, dataset in (("a", data), ("b", data), ("c", {**data, "seed": 2}))
    ))  # fmt: skip
    first = {case.experiment.id: case for case in plan.cases if case.index == 0}
    assert first["a"].shots is first["b"].shots and first["a"].example is first["b"].example
    assert first["c"].shots != first["a"].shots
    assert plan.example_ids("a") == plan.example_ids("b") != plan.example_ids("c")
