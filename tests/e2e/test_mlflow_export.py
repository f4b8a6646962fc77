"""MLflow export end to end: a real ``pytest`` run of a baseline and a compressed candidate
against a local OpenAI-wire server, logged with ``--parity-mlflow`` and read back with
MLflow's own ``MlflowClient``; the one-line refusal when MLflow is not installed; and the
Hugging Face push skipped without a token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parity.report.reporters.mlflow_export import bounded_http, local_store_problem
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, clean_env, one_experiment, run_pytest, write_yaml

# reading back: MLflow's own use of SQLAlchemy 2.1's deprecated loaders
pytestmark = pytest.mark.filterwarnings(r"ignore::DeprecationWarning:mlflow\..*")

N = 6
KEY_VARIABLE = "PARITY_E2E_API_KEY"


def experiments(url):
    base = {
        "id": "full",
        "model": {"name": "openai-compatible:m", "base_url": url, "max_concurrency": 4,
                  "api_key_env": KEY_VARIABLE, "temperature": 0.0},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 2},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }  # fmt: skip
    compressed = {
        **base,
        "id": "squeezed",
        "model": {**base["model"], "mode": "compressed",
                  "compression": {"method": "extractive", "rate": 0.3, "ranker": "bm25"}},
        "baseline": "full",
        "max_drop": {"f1": 0.5},
    }  # fmt: skip
    return [base, compressed]


def reply(body):
    """The question's first word: some answers right, most wrong."""
    return body["messages"][-1]["content"].split("Question:")[-1].split()[0]


# A reporter of the user's own, registered after the built-in ones (as an extension may be)
# and so called after their trylast ones: the export still sees its file.
LATE_REPORTER = """
import pytest

class Late:
    @pytest.hookimpl(trylast=True)
    def pytest_parity_run_finished(self, config, summary, run_dir):
        (run_dir / "late.txt").write_text("written by the last reporter\\n")

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.pluginmanager.register(Late(), "late-reporter")
"""


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One run logged to a SQLite store in a temporary folder, and the run's folder."""
    pytest.importorskip("mlflow", reason="the mlflow extra (part of test)")
    tmp_path = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    (tmp_path / "store").mkdir()
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "late_reporter.py").write_text(LATE_REPORTER)
    path = os.pathsep.join(filter(None, [str(tmp_path / "plugins"), os.environ.get("PYTHONPATH")]))
    env = clean_env(**{KEY_VARIABLE: SECRET, "PYTHONPATH": path})
    with FakeLLMServer("openai", reply=reply) as server:
        config = write_yaml(tmp_path / "c.yaml", experiments(server.url))
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=run", "--eval-cache=off",
            "-p", "late_reporter", f"--parity-mlflow={uri}", env=env,
        )  # fmt: skip
    return result, uri, tmp_path


def runs_by_name(uri):
    """MLflow's client of ``uri``, and the runs of its ``parity`` experiment by name."""
    mlflow = pytest.importorskip("mlflow", reason="the mlflow extra (part of test)")
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("parity")
    return client, {
        run.info.run_name: run for run in client.search_runs([experiment.experiment_id])
    }


def test_the_run_reads_back_with_mlflow_client(logged):
    result, uri, tmp_path = logged
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    client, runs = runs_by_name(uri)
    assert set(runs) == {"run", "full", "squeezed"}
    experiment = client.get_experiment_by_name("parity")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # runs table
    parent = runs["run"]
    assert f"mlflow: logged run {parent.info.run_id} to {uri}" in result.stdout
    assert "mlflow/" not in result.stdout  # no warning from MLflow's code
    for name in ("full", "squeezed"):
        assert runs[name].data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert runs[name].info.status == "FINISHED"

    squeezed = runs["squeezed"].data
    summary = json.loads((tmp_path / "run" / "squeezed_summary.json").read_text())
    assert squeezed.params["model"] == "openai-compatible:m"
    assert squeezed.params["mode"] == "compressed"
    assert squeezed.params["dataset"] == "hotpotqa" and squeezed.params["task"] == "rag_qa"
    assert squeezed.params["model_options.compression.method"] == "extractive"
    assert squeezed.params["model_options.compression.rate"] == "0.3"
    assert squeezed.params["model_options.temperature"] == "0.0"
    assert squeezed.params["prompt_sha256"] == summary["setup"]["prompt_sha256"]
    assert squeezed.params["model_options.api_key_env"] == KEY_VARIABLE  # a name, not the key
    f1 = summary["metrics"]["f1"]
    assert squeezed.metrics["f1"] == pytest.approx(f1["mean"])
    assert squeezed.metrics["f1_ci95_low"] == pytest.approx(f1["ci95_low"])
    assert squeezed.metrics["f1_ci95_high"] == pytest.approx(f1["ci95_high"])
    ratio = summary["measurements"]["compression_ratio"]["mean"]
    assert squeezed.metrics["compression_ratio"] == pytest.approx(ratio)
    assert squeezed.metrics["latency_ms_p50"] == pytest.approx(summary["latency_ms"]["p50"])
    assert squeezed.metrics["avg_input_tokens"] == pytest.approx(
        summary["tokens"]["avg_input_tokens"]
    )
    paired = summary["comparison"]["metrics"]["f1"]
    assert squeezed.metrics["delta_f1"] == pytest.approx(paired["difference"])
    assert squeezed.metrics["delta_f1_ci95_low"] == pytest.approx(paired["ci_low"])
    assert squeezed.tags["gate.max_drop.f1"] == "passed: non-inferior"
    assert squeezed.tags["parity.verdict"].startswith("squeezed vs full  ")

    assert parent.data.metrics["gates_passed"] == 1.0
    assert parent.data.metrics["gates_passed_count"] == 1.0
    assert parent.data.tags["parity.gates"] == "passed"
    logged_values = [
        value
        for run in runs.values()
        for value in (*run.data.params.values(), *run.data.tags.values())
    ]
    assert not any(SECRET in value for value in logged_values)


def test_every_file_of_the_run_folder_is_an_artifact_of_its_run(logged):
    _, uri, tmp_path = logged
    client, runs = runs_by_name(uri)
    listed = {
        name: {a.path for a in client.list_artifacts(run.info.run_id)} for name, run in runs.items()
    }
    assert listed["full"] == {"full.jsonl", "full_summary.json", "full_summary.csv"}
    assert listed["squeezed"] == {"squeezed.jsonl", "squeezed_summary.json", "squeezed_summary.csv"}
    assert {"summary.json", "late.txt"} <= listed["run"]
    on_disk = {p.name for p in (tmp_path / "run").iterdir() if not p.name.startswith(".")}
    assert set().union(*listed.values()) == on_disk
    # a SQLite store keeps its artifacts beside the database, not in the working directory
    local = client.download_artifacts(runs["full"].info.run_id, "full.jsonl", str(tmp_path))
    assert Path(local).read_bytes() == (tmp_path / "run" / "full.jsonl").read_bytes()
    assert (tmp_path / "store" / "mlruns").is_dir() and not (tmp_path / "mlruns").exists()


def test_without_a_value_it_logs_to_mlruns_in_the_rootdir_and_skips_hf_without_a_token(tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra (part of test)")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = clean_env(HF_HOME=str(tmp_path / "hf-home"))
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "HF_TOKEN"):
        env.pop(name, None)
    with FakeLLMServer("openai", reply=reply) as server:
        experiment = one_experiment(model={"base_url": server.url})
        config = write_yaml(tmp_path / "c.yaml", [experiment])
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=run",
            "--parity-mlflow", "--parity-hf-repo", "acme/parity-results", env=env,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    assert f"to {uri}" in result.stdout
    _, runs = runs_by_name(uri)
    assert set(runs) == {"run", "exp"}
    assert (tmp_path / "mlruns").is_dir()
    skipped = [line for line in result.stdout.splitlines() if line.startswith("hf:")]
    assert skipped == [
        "hf: not pushed to acme/parity-results: no Hugging Face token; set HF_TOKEN "
        "(a write token) or run 'hf auth login'"
    ]


BLOCK_MLFLOW = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "mlflow" or name.startswith("mlflow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def test_without_mlflow_installed_the_run_is_refused_in_one_line(tmp_path):
    config = write_yaml(tmp_path / "c.yaml", [one_experiment()])
    command = [sys.executable, "-c", BLOCK_MLFLOW, "--pyargs", "parity.evals", "-p",
               "no:cacheprovider", f"--eval-config={config}", "--parity-mlflow"]  # fmt: skip
    result = subprocess.run(
        command, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output[-3000:]
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert errors == [
        "ERROR: --parity-mlflow needs mlflow, not installed here: "
        "pip install 'parity-evals[mlflow]'"
    ]


def test_a_failed_export_fails_the_run_in_one_line_each_and_never_shows_the_token(tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra (part of test)")
    (tmp_path / "taken").write_text("a file where the store's folder would be\n")
    uri = f"sqlite:///{tmp_path / 'taken' / 'mlflow.db'}"
    token = "hf_e2e_token_do_not_print_0123456789"
    env = clean_env(HF_TOKEN=token, HF_ENDPOINT="http://127.0.0.1:9")  # refused at once
    with FakeLLMServer("openai", reply=reply) as server:
        config = write_yaml(tmp_path / "c.yaml", [one_experiment(model={"base_url": server.url})])
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=run",
            f"--parity-mlflow={uri}", "--parity-hf-repo=acme/parity-results", env=env,
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert "2 passed" in result.stdout and "Traceback" not in output
    said = ("mlflow:", "hf:")
    lines = sorted(line for line in result.stdout.splitlines() if line.startswith(said))
    assert len(lines) == 2, lines
    assert lines[1].startswith(f"mlflow: the run was not logged to {uri}: ")
    assert lines[0].startswith("hf: not pushed to acme/parity-results: ")
    assert token not in output


def test_a_test_path_after_a_bare_option_is_not_taken_for_the_tracking_uri(tmp_path):
    (tmp_path / "tests").mkdir()
    result = run_pytest(tmp_path, "--parity-mlflow", "tests", "--collect-only", "-q")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert (
        "ERROR: --parity-mlflow tests: the path tests was read as the tracking URI; write "
        "--parity-mlflow=URI, or put --parity-mlflow after the test paths"
    ) in result.stderr
    assert not (tmp_path / "tests" / "mlflow.db").exists()


def test_an_unreachable_server_fails_the_run_within_half_a_minute_in_one_line(tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra (part of test)")
    uri = "http://127.0.0.1:1"  # nothing listens: MLflow's own retries take minutes
    with FakeLLMServer("openai", reply=reply) as server:
        config = write_yaml(tmp_path / "c.yaml", [one_experiment(model={"base_url": server.url})])
        started = time.monotonic()
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=run",
            f"--parity-mlflow={uri}", timeout=120,
        )  # fmt: skip
        took = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("mlflow:")]
    assert len(lines) == 1 and lines[0].startswith(f"mlflow: the run was not logged to {uri}: ")
    assert took < 60, took


def test_a_store_in_a_missing_folder_is_named_not_mlflow_maintenance_text(tmp_path):
    folder = tmp_path / "no" / "such"
    assert local_store_problem(f"sqlite:///{folder / 'mlflow.db'}") == (
        f"the store's folder {folder} does not exist"
    )
    assert local_store_problem(f"sqlite:///{tmp_path / 'mlflow.db'}") is None
    assert local_store_problem("http://127.0.0.1:1") is None
    assert local_store_problem(str(tmp_path / "new" / "mlruns")) is None


def test_a_store_under_a_folder_it_cannot_write_is_named_as_such(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    problem = f"the store's folder {tmp_path} is not writable"
    assert local_store_problem(str(tmp_path / "mlruns")) == problem
    assert local_store_problem((tmp_path / "a" / "mlruns").as_uri()) == problem
    assert local_store_problem(f"sqlite:///{tmp_path / 'mlflow.db'}") == problem


def test_the_http_bounds_yield_to_the_users_settings_and_are_undone(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "300")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    with bounded_http():
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "300"
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "2"
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "300"
