"""Plain ``pytest`` naming an eval config that is no file (a typo, a folder), on the command
line, with ``-o`` or in the ini file, stops with the one message and fix that
``--pyargs parity.evals`` gives, naming where the config was set (not "collected 0 items")."""

from __future__ import annotations

import pytest

from tests.support.pytest_runs import one_experiment, run_plain_pytest, write_yaml


@pytest.fixture
def project(tmp_path):
    write_yaml(tmp_path / "experiments.yaml", [one_experiment()])
    (tmp_path / "data").mkdir()
    return tmp_path


def _refused(result, *expected: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 4, output
    assert "collected 0 items" not in output
    for text in expected:
        assert text in output, output


@pytest.mark.parametrize(
    "args",
    [
        ["--parity-config=experimnts.yaml"],
        ["--parity-config=experiments.yml"],
        ["-o", "parity_config=experimnts.yaml"],
    ],
)
def test_a_misspelt_config_is_one_message_with_the_file_it_means(project, args):
    result = run_plain_pytest(project, "-p", "no:cacheprovider", *args)
    _refused(result, "the file does not exist", "Fix: did you mean", "experiments.yaml?")


def test_the_ini_key_is_named_with_its_file(project):
    (project / "pytest.ini").write_text("[pytest]\nparity_config = experimnts.yaml\n")
    result = run_plain_pytest(project, "-p", "no:cacheprovider")
    _refused(result, "did you mean", "experiments.yaml?", f"parity_config in {project}")


def test_a_folder_is_no_config(project):
    result = run_plain_pytest(project, "-p", "no:cacheprovider", "--parity-config=data")
    _refused(result, "(file data): this is a folder, not a YAML file", "--parity-config")
