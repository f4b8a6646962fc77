"""A bare ``pytest`` in a project whose ``configs/experiments.yaml`` it does not name: the file
stays uncollected (naming the config is the contract), but a run that collected nothing says,
in one line, how to name it, instead of a silent "no tests ran"."""

from __future__ import annotations

from tests.support.pytest_runs import clean_env, one_experiment, run_plain_pytest, write_yaml

HINT = (
    "parity: configs/experiments.yaml was not collected: a run evaluates the config it names. "
    'Name it in pyproject.toml, [tool.pytest.ini_options] parity_config = "configs/experiments.yaml", '
    "or run pytest --parity-config=configs/experiments.yaml"
)


def project(tmp_path):
    (tmp_path / "configs").mkdir()
    write_yaml(tmp_path / "configs" / "experiments.yaml", [one_experiment()])
    return tmp_path


def hints(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if "was not collected" in line]


def test_a_bare_pytest_that_collects_nothing_says_how_to_name_the_projects_config(tmp_path):
    result = run_plain_pytest(project(tmp_path), "-p", "no:cacheprovider", env=clean_env())
    assert result.returncode == 5, result.stdout + result.stderr
    assert hints(result) == [HINT], result.stdout
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nparity_config = "configs/experiments.yaml"\n'
    )
    named = run_plain_pytest(tmp_path, "-p", "no:cacheprovider", "--collect-only", "-q")
    assert named.returncode == 0, named.stdout + named.stderr
    assert "configs/experiments.yaml::exp[" in named.stdout
    assert hints(named) == []


def test_under_xdist_the_hint_is_written_once(tmp_path):
    result = run_plain_pytest(project(tmp_path), "-p", "no:cacheprovider", "-n", "2")
    assert result.returncode == 5, result.stdout + result.stderr
    assert hints(result) == [HINT], result.stdout


def test_a_run_that_collected_tests_gets_no_hint(tmp_path):
    (project(tmp_path) / "test_plain.py").write_text("def test_plain():\n    pass\n")
    for selection in ([], ["-k", "nothing_matches_this"]):
        result = run_plain_pytest(tmp_path, "-p", "no:cacheprovider", *selection)
        assert result.returncode in (0, 5), result.stdout + result.stderr
        assert hints(result) == [], result.stdout


def test_a_project_without_the_file_gets_no_hint(tmp_path):
    result = run_plain_pytest(tmp_path, "-p", "no:cacheprovider")
    assert result.returncode == 5, result.stdout + result.stderr
    assert hints(result) == []
