"""A package installed next to Parity adds a metric, a provider and a reporter through the
``parity`` entry-point group, and a YAML config uses them like built-in ones."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

EXTENSION = '''
"""parity_demo: one metric, one provider and one reporter from outside Parity."""

from parity.api import Completion, Field, Metric, ModelClient, register_metric, register_provider


def shouted_match(prediction, references):
    return {"shouted_match": float(prediction.upper() in [r.upper() for r in references])}


register_metric(Metric("shouted_match", shouted_match, reference="demo: case-blind match"))


@register_provider
class EchoClient(ModelClient):
    """Answers every request with its configured ``answer``."""

    provider = "echo"
    option_fields = {"answer": Field((str,), required=True, example="Paris")}

    def complete(self, request):
        return Completion(self.options["answer"], 3, 1, 0.5)


def pytest_parity_run_finished(config, summary, run_dir):
    (run_dir / "demo_report.txt").write_text(f"{len(summary['experiments'])} experiments")
'''
PYPROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "parity-demo-extension"
version = "0.1"

[project.entry-points.parity]
demo = "parity_demo"
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    source = tmp_path_factory.mktemp("demo_src")
    (source / "pyproject.toml").write_text(PYPROJECT)
    (source / "parity_demo.py").write_text(textwrap.dedent(EXTENSION))
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return clean_env(PYTHONPATH=str(target))


def demo_experiment(**model):
    return {
        "id": "demo",
        "model": {"name": "echo:any", **model},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 2},
        "task": {"name": "rag_qa"},
        "metrics": ["shouted_match", "exact_match"],
    }


def test_an_installed_package_adds_a_metric_a_provider_and_a_reporter(installed, tmp_path):
    config = write_yaml(tmp_path / "demo.yaml", [demo_experiment(answer="YES")])
    result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=out", env=installed)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / "out" / "demo_summary.json").read_text())
    assert set(summary["metrics"]) == {"shouted_match", "exact_match"}
    assert summary["n_examples"] == 2 and summary["tokens"]["avg_input_tokens"] == 3
    assert (tmp_path / "out" / "demo_report.txt").read_text() == "1 experiments"


def test_a_mistake_in_an_extension_option_gets_the_core_message(installed, tmp_path):
    config = write_yaml(tmp_path / "typo.yaml", [demo_experiment(answr="YES")])
    result = run_pytest(tmp_path, f"--eval-config={config}", "--collect-only", env=installed)
    assert result.returncode != 0
    assert "key 'model.answr'" in result.stdout and "did you mean 'model.answer'?" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
