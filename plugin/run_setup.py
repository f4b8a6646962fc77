"""The setup each experiment's raw rows were made with, stored beside them, and the check that
``--eval-resume`` keeps only rows made with the setup it is run with.

A run writes ``{experiment_id}_setup.json`` (the summary's ``setup`` block, see
:func:`parity.baselines.experiment_setup`) before it sends the experiment's first request. A
resumed run compares it with its own: rows made with another model, other model options,
another prompt, task, dataset, sample or metric settings are never taken as this run's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from parity.errors import ConfigError

SETUP_SUFFIX = "_setup.json"
# Setup keys a resumed run may change: a prompt file's name (its text is ``prompt_sha256``),
# and the repeats (rows are kept per repeat); ``n_samples`` follows ``sample_ids_sha256``.
RESUME_MAY_DIFFER = frozenset({"prompt", "repeats", "n_samples"})
SOURCE = "--eval-resume run"  # the message: "Invalid --eval-resume run (file ..., experiment ...)"
_UNSET = object()


def setup_path(run_dir: Path, experiment_id: str) -> Path:
    """Where the setup of ``experiment_id``'s rows is stored in ``run_dir``."""
    return run_dir / f"{experiment_id}{SETUP_SUFFIX}"


def store_setup(run_dir: Path, experiment_id: str, setup: Mapping[str, Any]) -> None:
    """Write ``setup`` for ``experiment_id`` atomically (a killed run leaves the old file or
    the new one, never half of one); processes storing the same setup at once agree."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = setup_path(run_dir, experiment_id)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(setup, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, path)


def _stored(run_dir: Path, experiment_id: str) -> Mapping[str, Any] | None:
    path = setup_path(run_dir, experiment_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}  # unreadable: differs in every key
    return data if isinstance(data, dict) else {}


def check_resume(
    config_path: str,
    run_dir: Path,
    setups: Mapping[str, Mapping[str, Any]],
    stems: Mapping[str, Iterable[str]],
) -> None:
    """Refuse to resume ``run_dir`` when an experiment's raw rows there (the files
    ``{stem}.jsonl`` of ``stems[experiment_id]``) were made with another setup than
    ``setups[experiment_id]``, or with none stored (rows written by an older Parity)."""
    fix = (
        f"resume with the setup those rows were made with (revert the change), or start a "
        f"new report directory (drop --eval-resume, or give --eval-report-dir a new path) "
        f"instead of {run_dir}"
    )
    for experiment_id, setup in setups.items():
        if not any((run_dir / f"{stem}.jsonl").is_file() for stem in stems.get(experiment_id, ())):
            continue  # nothing of this experiment to resume
        problem = _mismatch(run_dir, experiment_id, setup)
        if problem is not None:
            raise ConfigError(
                config_path, problem, experiment=experiment_id, fix=fix, source=SOURCE
            )


def _mismatch(run_dir: Path, experiment_id: str, setup: Mapping[str, Any]) -> str | None:
    """Why the rows of ``experiment_id`` in ``run_dir`` cannot be resumed with ``setup``."""
    stored = _stored(run_dir, experiment_id)
    if stored is None:
        return (
            f"{run_dir} holds rows of '{experiment_id}' but not the setup they were made "
            f"with ({setup_path(run_dir, experiment_id).name}: written before Parity "
            "stored it, or removed), so they cannot be checked and are not resumed"
        )
    current = json.loads(json.dumps(setup))  # as stored: tuples are lists, keys strings
    changed = [
        _change(key, stored, current)
        for key in sorted(set(stored) | set(current))
        if key not in RESUME_MAY_DIFFER and stored.get(key) != current.get(key)
    ]
    if not changed:
        return None
    return (
        f"the rows of '{experiment_id}' in {run_dir} were made with another setup, "
        f"and resuming would mix the two ({'; '.join(changed)})"
    )


def _change(key: str, stored: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    """``key: rows made with A, now B``; for a mapping, only its entries that differ."""
    before, after = stored.get(key, _UNSET), current.get(key, _UNSET)
    if isinstance(before, dict) and isinstance(after, dict):
        return "; ".join(
            _change(
                f"{key}.{name}",
                {f"{key}.{name}": before[name]} if name in before else {},
                {f"{key}.{name}": after[name]} if name in after else {},
            )
            for name in sorted(set(before) | set(after))
            if before.get(name, _UNSET) != after.get(name, _UNSET)
        )
    text = f"{key}: rows made with {_show(before)}, now {_show(after)}"
    if key == "prompt_sha256":
        text += f" (prompt {_show(stored.get('prompt'))}, now {_show(current.get('prompt'))})"
    return text


def _show(value: Any) -> str:
    return "unset" if value is _UNSET else repr(value)
