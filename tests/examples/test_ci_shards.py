"""The GitHub Actions example (``examples/ci/parity-shards.yml``) run here: its shard job's
commands once per matrix value, its artifacts copied as upload and download would, and its
merge job's command, which gates (exit 1 on the failing gate of ``test_shards``' config)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.test_shards import experiments
from tests.e2e.test_verdicts import replier
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, write_yaml

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "parity-shards.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.]+)\s*\}\}")


def expand(text: str, matrix: dict[str, Any]) -> str:
    """``text`` with ``${{ matrix.X }}`` filled in (``${{ secrets.X }}``: empty, as a fork's)."""

    def value(match: re.Match) -> str:
        scope, _, name = match.group(1).partition(".")
        return str(matrix[name]) if scope == "matrix" else ""

    return EXPRESSION.sub(value, text)


def run_job(job: dict, matrix: dict[str, Any], cwd: Path, env: dict[str, str]) -> list[int]:
    """Run a job's ``run`` steps (but its install) in ``cwd``, uploading and downloading
    artifacts under ``cwd/artifacts``; each step's exit status."""
    statuses = []
    store = cwd / "artifacts"
    for step in job["steps"]:
        uses, given = step.get("uses", ""), step.get("with", {})
        if uses.startswith("actions/upload-artifact"):
            name, path = expand(given["name"], matrix), cwd / expand(given["path"], matrix)
            shutil.copytree(path, store / name)
        elif uses.startswith("actions/download-artifact"):
            for artifact in sorted(store.iterdir()):
                if fnmatch.fnmatch(artifact.name, given["pattern"]):
                    shutil.copytree(artifact, cwd / given["path"] / artifact.name)
        elif "run" in step and step.get("name") != "Install":
            step_env = {k: expand(str(v), matrix) for k, v in step.get("env", {}).items()}
            command = expand(step["run"], matrix)
            done = subprocess.run(
                ["bash", "-c", command], cwd=cwd, env={**env, **step_env},
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            statuses.append(done.returncode)
    return statuses


def test_the_workflow_shards_uploads_merges_and_gates(tmp_path):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    shard_job, merge_job = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    values = shard_job["strategy"]["matrix"]["shard"]
    assert values == list(range(1, int(workflow["env"]["SHARDS"]) + 1))
    assert merge_job["needs"] == "shard"
    with FakeLLMServer("openai") as server:
        server.reply = replier(server.url)
        config = write_yaml(tmp_path / "experiments.yaml", experiments(server.url))
        env = clean_env(**{**workflow["env"], "PARITY_CONFIG": str(config)})
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # its python
        for shard in values:
            assert run_job(shard_job, {"shard": shard}, tmp_path, env) == [0]
    assert run_job(merge_job, {}, tmp_path, env) == [1]  # near's inconclusive gate fails
    merged = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert merged["gate_counts"] == {"passed": 2, "failed": 1, "skipped": 0}
    assert sum(e["n_examples"] for e in merged["experiments"]) == 36
    assert (tmp_path / "artifacts" / "parity-merged" / "junit.xml").is_file()
