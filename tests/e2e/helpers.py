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
