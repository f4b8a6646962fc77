"""A run's results as a Hugging Face dataset, as the Baseweight benchmark syncs its results:
the run folder's files under ``runs/<run folder>/`` of the dataset repository, so that a
downloaded ``runs/<run>/`` is again a run folder Parity reads (``--parity-baseline-run``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

RUNS = "runs"


def hf_token() -> str | None:
    """The token to push with: ``$HF_TOKEN``, else the one ``hf auth login`` saved."""
    token = os.environ.get("HF_TOKEN")
    if token:
        return token
    from huggingface_hub import get_token

    return get_token()


def build_upload_folder(run_dir: Path, staging: Path) -> Path:
    """Lay out in ``staging`` what the push uploads: ``runs/<run_dir name>/`` holding the run
    folder's files and folders (hidden ones, such as its lock, left out). Returns the folder
    that lands at ``runs/<run>/``."""
    target = staging / RUNS / run_dir.name
    target.mkdir(parents=True)
    for path in sorted(run_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            shutil.copytree(path, target / path.name, ignore=shutil.ignore_patterns(".*"))
        else:
            shutil.copy2(path, target / path.name)
    return target


def push_run(run_dir: Path, repo_id: str, token: str, staging: Path) -> str:
    """Push the run's files to the dataset ``repo_id`` (made private when missing) in one
    commit; returns the commit's URL."""
    from huggingface_hub import HfApi

    build_upload_folder(run_dir, staging)
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=True, exist_ok=True)
    commit = api.upload_folder(
        repo_id=repo_id,
        repo_type="dataset",
        folder_path=staging,
        commit_message=f"Parity run {run_dir.name}",
    )
    return str(commit.commit_url)
