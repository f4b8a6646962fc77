"""Inspection commands send nothing: ``--fixtures``, ``--fixtures-per-test``, ``--markers``,
``--setup-plan``, ``--setup-only``, ``--collect-only`` and ``--help`` against a counting local
server, for a config's experiments and for a marked test, with a cold cache: no request, no
call process, no report folder, no parity summary, MISSING or gate line."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, answer_from_gold, clean_env, run_pytest, write_yaml

INSPECTIONS = [
    ["--fixtures"],
    ["--fixtures-per-test"],
    ["--markers"],
    ["--setup-plan"],
    ["--setup-only"],
    ["--collect-only"],
    ["--help"],
]
# Records every start of the call process and every call sent through it.
CALL_PROBE = """
from parity.engine.call_process import CallProcess

def _recording(name):
    original = getattr(CallProcess, name)

    def recorded(self, *args, **kwargs):
        with open("call_process_used", "a") as handle:
            handle.write(name + "\\n")
        return original(self, *args, **kwargs)

    setattr(CallProcess, name, recorded)

_recording("start")
_recording("complete")
"""
MARKED = """
import pytest

ROWS = [{"input": "Capital of France?", "expected": "Paris"},
        {"input": "Capital of Italy?", "expected": "Rome"}]

@pytest.mark.parity(dataset=ROWS, metrics=["exact_match"], thresholds={"exact_match": 0.99},
                    model={"name": "openai:gpt-4o-mini", "base_url": "URL"})
def test_rag(example, parity_model):
    return parity_model.complete([{"role": "user", "content": example.question}]).text
"""


def config_with_gate(tmp_path: Path, server: FakeLLMServer) -> Path:
    """Six examples of a gated experiment against ``server``, the call process on."""
    experiment = {
        "id": "api_exp",
        "model": {"name": "openai:gpt-4o", "base_url": server.url, "max_concurrency": 2},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 6, "seed": 7},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
        "thresholds": {"f1": 0.99},
    }
    return write_yaml(tmp_path / "api.yaml", [experiment])


def assert_sent_nothing(tmp_path: Path, server: FakeLLMServer, result) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert len(server.requests) == 0, output[-3000:]
    assert not (tmp_path / "call_process_used").exists()
    assert not (tmp_path / "reports").exists()
    for line in ("MISSING", "gates:", "FAIL ", "parity summary", "NOTHING EVALUATED"):
        assert line not in output, output[-3000:]


def env_with_probe(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "call_probe.py").write_text(CALL_PROBE)
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    return clean_env(OPENAI_API_KEY=SECRET, PYTHONPATH=path)


@pytest.mark.parametrize("inspection", INSPECTIONS, ids=lambda args: " ".join(args))
def test_an_inspection_of_the_experiments_sends_nothing(tmp_path, inspection):
    env = env_with_probe(tmp_path)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = config_with_gate(tmp_path, server)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", "--eval-call-process=on",
            "-p", "call_probe", *inspection, env=env,
        )  # fmt: skip
        assert_sent_nothing(tmp_path, server, result)


def test_an_inspection_under_xdist_sends_nothing(tmp_path):
    env = env_with_probe(tmp_path)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = config_with_gate(tmp_path, server)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", "--eval-call-process=on",
            "-p", "call_probe", "--setup-plan", "-n", "2", env=env,
        )  # fmt: skip
        assert_sent_nothing(tmp_path, server, result)


def run_marked(tmp_path: Path, server: FakeLLMServer, *args: str) -> subprocess.CompletedProcess:
    """A project with one marked test calling ``server``, run by plain ``pytest ARGS``."""
    (tmp_path / "tests").mkdir(exist_ok=True)
    marked = textwrap.dedent(MARKED).replace("URL", server.url)
    (tmp_path / "tests" / "test_rag.py").write_text(marked)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "call_probe"]
    command += ["--eval-cache=off", "--eval-call-process=on", *args, "tests"]
    env = env_with_probe(tmp_path)
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.mark.parametrize("inspection", INSPECTIONS, ids=lambda args: " ".join(args))
def test_an_inspection_of_a_marked_test_sends_nothing(tmp_path, inspection):
    with FakeLLMServer("openai", reply=lambda body: "Paris") as server:
        result = run_marked(tmp_path, server, *inspection)
        assert_sent_nothing(tmp_path, server, result)


def test_the_same_runs_without_an_inspection_do_send(tmp_path):
    """The probes above can see a run that sends: the same config and marked test, run."""
    env = env_with_probe(tmp_path)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = config_with_gate(tmp_path, server)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", "--eval-call-process=on",
            "-p", "call_probe", env=env,
        )  # fmt: skip
        assert len(server.requests) == 6, result.stdout[-3000:]
    assert "gates:" in result.stdout and (tmp_path / "reports").is_dir()
    assert "start" in (tmp_path / "call_process_used").read_text().split()
    marked = tmp_path / "marked"
    marked.mkdir()
    with FakeLLMServer("openai", reply=lambda body: "Paris") as server:
        result = run_marked(marked, server)
        assert len(server.requests) == 2, result.stdout[-3000:]
    assert "gates:" in result.stdout and (marked / "reports").is_dir()
    assert "complete" in (marked / "call_process_used").read_text().split()
