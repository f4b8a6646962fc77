"""Plain ``pytest`` in a project of one's own collects the experiments of the named eval
config (no ``--pyargs parity.evals``), with node ids under the config file."""

from __future__ import annotations

import re

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    answer_from_gold,
    clean_env,
    junit_cases,
    one_experiment,
    run_plain_pytest,
    run_pytest,
    write_yaml,
)

ITEM = re.compile(r"^(configs/x\.yaml::local_exp\[[^\]]+\])", re.M)


def _project(tmp_path, server, **more):
    (tmp_path / "configs").mkdir(parents=True)
    experiment = one_experiment(model={"base_url": server.url}, dataset={"num_examples": 3})
    experiment.update(id="local_exp", **more)
    write_yaml(tmp_path / "configs" / "x.yaml", [experiment])
    return "--eval-config=configs/x.yaml"


def _collected(result):
    return ITEM.findall(result.stdout)


def test_plain_pytest_collects_and_runs_the_named_config(tmp_path):
    env = clean_env()
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        named = _project(tmp_path, server)
        listed = run_plain_pytest(tmp_path, named, "--collect-only", "-q", env=env)
        assert listed.returncode == 0, listed.stdout + listed.stderr
        ids = _collected(listed)
        assert len(ids) == 3, listed.stdout
        assert "site-packages" not in listed.stdout
        run = run_plain_pytest(
            tmp_path, named, "-q", "-rA", "--junitxml=out.xml", "--eval-report-dir=r", env=env
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "3 passed" in run.stdout
        assert sorted(ITEM.findall(run.stdout.replace("PASSED ", ""))) == sorted(ids)
        assert "site-packages" not in run.stdout
        classnames = {case.split("::")[0] for case in junit_cases(tmp_path / "out.xml")}
        assert classnames == {"configs.x.yaml"}  # the config file, as the node ids
        assert len(server.requests) == 3


def test_keyword_and_deselect_narrow_the_config_items(tmp_path):
    env = clean_env()
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        named = _project(tmp_path, server)
        ids = _collected(run_plain_pytest(tmp_path, named, "--collect-only", "-q", env=env))
        assert len(ids) == 3
        case = ids[0].split("[")[1][:-1]
        picked = run_plain_pytest(tmp_path, named, "--collect-only", "-q", "-k", case, env=env)
        assert _collected(picked) == [ids[0]], picked.stdout
        dropped = run_plain_pytest(
            tmp_path, named, "--collect-only", "-q", "--deselect", ids[0], env=env
        )
        assert _collected(dropped) == ids[1:], dropped.stdout
        one = run_plain_pytest(tmp_path, named, "--collect-only", "-q", ids[1], env=env)
        assert _collected(one) == [ids[1]], one.stdout
        for narrowing in (["-k", "local_exp"], ["-m", "rag_qa"]):  # the experiment, its task
            every = run_plain_pytest(tmp_path, named, "--collect-only", "-q", *narrowing, env=env)
            assert _collected(every) == ids, every.stdout
        none = run_plain_pytest(tmp_path, named, "--collect-only", "-q", "-m", "mbpp", env=env)
        assert _collected(none) == [], none.stdout


def test_pyargs_in_the_same_project_collects_each_item_once(tmp_path):
    env = clean_env()
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        named = _project(tmp_path, server)
        plain = _collected(run_plain_pytest(tmp_path, named, "--collect-only", "-q", env=env))
        pyargs = run_pytest(tmp_path, named, "--collect-only", "-q", env=env)
        assert pyargs.returncode == 0, pyargs.stdout + pyargs.stderr
        assert "3 tests collected" in pyargs.stdout, pyargs.stdout
        both = run_plain_pytest(
            tmp_path, named, ".", "--pyargs", "parity.evals", "--collect-only", "-q", env=env
        )
        assert both.returncode == 0, both.stdout + both.stderr
        assert "3/6 tests collected (3 deselected)" in both.stdout, both.stdout
        assert _collected(both) == plain


def test_the_config_is_collected_beside_the_projects_testpaths(tmp_path):
    env = clean_env()
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        named = _project(tmp_path, server)
        (tmp_path / "pyproject.toml").write_text(
            '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
        )
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "test_plain.py").write_text("def test_plain():\n    pass\n")
        listed = run_plain_pytest(tmp_path, named, "--collect-only", "-q", env=env)
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert len(_collected(listed)) == 3, listed.stdout
        assert "tests/test_plain.py::test_plain" in listed.stdout
        assert "4 tests collected" in listed.stdout
        alone = run_plain_pytest(tmp_path, named, "tests", "--collect-only", "-q", env=env)
        assert "1 test collected" in alone.stdout, alone.stdout  # named paths are obeyed


def test_xdist_and_last_failed_follow_the_config_items(tmp_path):
    env = clean_env()
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        named = _project(tmp_path, server)
        spread = run_plain_pytest(
            tmp_path, named, "-n", "2", "-q", "-rA", "--eval-report-dir=x", env=env
        )
        assert spread.returncode == 0, spread.stdout + spread.stderr
        assert len(set(ITEM.findall(spread.stdout.replace("PASSED ", "")))) == 3, spread.stdout
        assert len(server.requests) == 3
    project = tmp_path / "lf"  # an item that misses its floor fails, and --lf reruns it
    with FakeLLMServer("openai", reply=lambda body: "wrong") as server:
        named = _project(project, server, item_thresholds={"f1": 0.5})
        ids = _collected(run_plain_pytest(project, named, "--collect-only", "-q", env=env))
        first = run_plain_pytest(project, named, "-q", ids[0], "--eval-report-dir=y", env=env)
        assert "1 failed" in first.stdout, first.stdout
        again = run_plain_pytest(
            project, named, "--lf", "-q", "-rA", "--eval-report-dir=z", env=env
        )
    assert "\n1 failed" in again.stdout, again.stdout  # that one item only
    assert ITEM.findall(again.stdout.replace("FAILED ", "")) == [ids[0]]
