"""Hugging Face reporter: with ``--parity-hf-repo ORG/NAME``, the finished run's files are
pushed to that dataset repository (see :mod:`parity.report.hf_upload`); without a token the
push is skipped with one line, and a failed push fails the run."""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import pytest

from parity.engine.redaction import redact
from parity.report.exports import ExportOutcome, record_outcome
from parity.report.hf_upload import hf_token, push_run

INSTALL = "pip install 'parity-evals[hub]'"


def pytest_configure(config: pytest.Config) -> None:
    """Refuse, in one line, a repository id that is not ORG/NAME, or a push without
    ``huggingface_hub`` installed."""
    repo_id = config.getoption("eval_hf_repo", None)
    if repo_id is None or getattr(config, "workerinput", None) is not None:
        return
    owner, _, name = repo_id.partition("/")
    if not owner or not name or "/" in name:
        raise pytest.UsageError(f"--parity-hf-repo {repo_id}: expected ORG/NAME")
    if importlib.util.find_spec("huggingface_hub") is None:
        raise pytest.UsageError(f"--parity-hf-repo needs huggingface_hub, not installed: {INSTALL}")


@pytest.hookimpl(wrapper=True)
def pytest_parity_run_finished(
    config: pytest.Config, summary: Mapping[str, Any], run_dir: Path
) -> Generator[None, Any, Any]:
    """A wrapper: it goes on once every reporter has run (whatever its order: ``trylast``, an
    extension's, a conftest's), so the run folder is complete, report.html and summary.md
    included."""
    result = yield
    _export(config, summary, run_dir)
    return result


def _export(config: pytest.Config, summary: Mapping[str, Any], run_dir: Path) -> None:
    """Push the run folder's files, or say why not."""
    repo_id = config.getoption("eval_hf_repo", None)
    if repo_id is None:
        return
    token = hf_token()
    if not token:
        line = (
            f"hf: not pushed to {repo_id}: no Hugging Face token; set HF_TOKEN (a write token) "
            "or run 'hf auth login'"
        )
        record_outcome(config, ExportOutcome(line, skipped=True))
        return
    try:
        with tempfile.TemporaryDirectory(prefix="parity-hf-") as staging:
            url = push_run(run_dir, repo_id, token, Path(staging))
    except Exception as exc:  # huggingface_hub's HTTP and validation errors alike
        line = redact(f"hf: not pushed to {repo_id}: {type(exc).__name__}: {exc}", [token])
        record_outcome(config, ExportOutcome(line, failed=True))
        return
    record_outcome(config, ExportOutcome(f"hf: pushed runs/{run_dir.name}/ to {url}"))
