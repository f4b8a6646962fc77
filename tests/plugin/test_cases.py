"""Case expansion: stable ids, keywords, skip reasons, and shared dataset loading."""

from parity.cases import build_plan, example_keys, marker_name
from parity.config import parse_config
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
    import parity.cases
    from parity.evals.sandbox import allow_unconfined

    monkeypatch.setattr(parity.cases, "sandbox_unavailable_reason", lambda: "no bwrap")
    mbpp = experiment(dataset={"name": "mbpp", "source": "shipped", "num_examples": 1},
                      task={"name": "code"}, metrics=["pass_at_1"])  # fmt: skip
    case = plan_for(mbpp).cases[0]
    assert "no bwrap" in case.skip_reason and "--eval-unsafe-exec" in case.skip_reason
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

    from tests.e2e.helpers import clean_env

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
