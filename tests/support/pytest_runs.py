"""Run Parity in a real ``pytest`` subprocess, the way a user does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

SECRET_ENV = ("OPENAI_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL")


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without provider keys, plus ``extra``."""
    env = {
        k: v for k, v in os.environ.items() if k not in SECRET_ENV and not k.startswith("PYTEST_")
    }
    env.update(extra)
    return env


def run_pytest(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``python -m pytest --pyargs parity.evals ARGS`` in ``cwd`` (outside the repo)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "parity.evals",
        "-p",
        "no:cacheprovider",
        *args,
    ]
    return subprocess.run(
        command, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def junit_cases(path: Path) -> dict[str, ET.Element]:
    """JUnit testcases keyed by ``classname::name``."""
    root = ET.parse(path).getroot()
    return {f"{c.get('classname')}::{c.get('name')}": c for c in root.iter("testcase")}


def junit_properties(case: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in case.iter("property")}


SECRET = "sk-e2e-secret-do-not-leak-0123456789"


def answer_from_gold(body):
    """Reply with the first word of the question, so scores vary by example."""
    text = body["messages"][-1]["content"]
    return text.split("Question:")[-1].split()[0]


def api_config(tmp_path, server, num_examples=12, **model):
    experiment = {
        "id": "api_exp",
        "model": {"name": "openai:gpt-4o", "base_url": server.url, "max_concurrency": 4, **model},
        "dataset": {
            "name": "hotpotqa",
            "source": "shipped",
            "num_examples": num_examples,
            "seed": 7,
        },
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }
    return write_yaml(tmp_path / "api.yaml", [experiment])


def summary(path):
    data = json.loads(path.read_text())
    return {k: data[k] for k in ("n_examples", "metrics", "tokens", "cost")}


def one_experiment(**changes):
    """One runnable experiment: an OpenAI-compatible server (none needed to collect)."""
    experiment = {
        "id": "exp",
        "model": {"name": "openai-compatible:m", "base_url": "http://127.0.0.1:9/v1"},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 2},
        "task": {"name": "rag_qa"},
        "metrics": ["f1"],
    }
    for key, value in changes.items():
        experiment[key] = {**experiment[key], **value}
    return experiment


def run_plain_pytest(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``python -m pytest ARGS`` in ``cwd``, without ``--pyargs``: what a user types in a
    project of their own."""
    command = [sys.executable, "-m", "pytest", *args]
    return subprocess.run(
        command, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )
