"""The setup each experiment's raw rows were made with, stored beside them, and the check that
``--parity-resume`` keeps only rows made with the setup it is run with.

Before a run sends an experiment's first request it appends ``{"experiment_id", "setup"}``
(the summary's ``setup`` block, see :func:`parity.analysis.baselines.experiment_setup`) to the run's
``setups.ndjson``: one line per experiment, in Parity's one line format, the latest line of an
experiment being the setup of its rows (``.ndjson``, not ``.jsonl``: ``*.jsonl`` are the raw
rows). A resumed run compares it with its own: rows made with another model, other model
options, another endpoint (``OPENAI_BASE_URL`` too: the client's resolved URL, stored without
credentials), another prompt, task, dataset, sample, edited rows (``content_sha256``) or
metric settings are never taken as this run's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from parity.analysis.baselines import CONTENT_KEY
from parity.config.errors import ConfigError
from parity.engine.redaction import mask_settings
from parity.record.jsonl import read_jsonl
from parity.record.raw_writer import RawResultWriter

SETUPS_STEM, SETUPS_SUFFIX = "setups", ".ndjson"
# Setup keys a resumed run may change: a prompt file's name (its text is ``prompt_sha256``),
# and the repeats (rows are kept per repeat); ``n_samples`` follows ``sample_ids_sha256``.
RESUME_MAY_DIFFER = frozenset({"prompt", "repeats", "n_samples"})
# The message: "Invalid --parity-resume run (file ..., experiment ...)".
SOURCE = "--parity-resume run"
_UNSET = object()
ENDPOINT_KEY = "endpoint"
# Resolves an experiment's endpoint for the check (None: it cannot run here, nothing resumed).
EndpointOf = Callable[[str], str | None]


def setups_path(run_dir: Path) -> Path:
    """The file of ``run_dir`` that holds the setup of each experiment's rows."""
    return run_dir / f"{SETUPS_STEM}{SETUPS_SUFFIX}"


def with_endpoint(setup: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    """``setup`` with the URL its requests go to (the client's ``endpoint()``, the one in cache
    and lane keys, whether from ``model.base_url`` or the environment), without credentials."""
    parts = urlsplit(endpoint)
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or ""
        parts = parts._replace(netloc=host if parts.port is None else f"{host}:{parts.port}")
    return {**setup, ENDPOINT_KEY: urlunsplit(parts)}


def store_setups(run_dir: Path, setups: Mapping[str, Mapping[str, Any]]) -> None:
    """Append each experiment's setup to ``setups.ndjson`` (one ``O_APPEND`` write a line: a
    line cut short by a kill is skipped when read, and the run had sent nothing for it)."""
    writer = RawResultWriter(run_dir, SETUPS_SUFFIX)
    try:
        for experiment_id, setup in setups.items():
            writer.append(SETUPS_STEM, {"experiment_id": experiment_id, "setup": setup})
    finally:
        writer.close()


def stored_setups(run_dir: Path) -> dict[str, Mapping[str, Any]]:
    """The latest stored setup of each experiment of ``run_dir`` (none when there is no file),
    its secret-named settings masked (a file written before they were is read as if after)."""
    path = setups_path(run_dir)
    if not path.is_file():
        return {}
    found: dict[str, Mapping[str, Any]] = {}
    for line in read_jsonl(path, skip_bad=True):
        value = line.value
        if isinstance(value, dict) and isinstance(value.get("setup"), dict):
            found[str(value.get("experiment_id"))] = mask_settings(value["setup"])
    return found


def check_resume(
    config_path: str,
    run_dir: Path,
    setups: Mapping[str, Mapping[str, Any]],
    stems: Mapping[str, Iterable[str]],
    endpoint_of: EndpointOf | None = None,
) -> None:
    """Refuse to resume ``run_dir`` when an experiment's raw rows there (the files
    ``{stem}.jsonl`` of ``stems[experiment_id]``) were made with another setup than
    ``setups[experiment_id]`` (with the endpoint ``endpoint_of`` resolves for it), or with
    none stored (rows written by an older Parity)."""
    fix = (
        f"resume with the setup those rows were made with (revert the change), or start a "
        f"new report directory (drop --parity-resume, or give --parity-report-dir a new path) "
        f"instead of {run_dir}"
    )
    stored = stored_setups(run_dir)
    for experiment_id, setup in setups.items():
        if not any((run_dir / f"{stem}.jsonl").is_file() for stem in stems.get(experiment_id, ())):
            continue  # nothing of this experiment to resume
        endpoint = endpoint_of(experiment_id) if endpoint_of is not None else None
        if endpoint is not None:
            setup = with_endpoint(setup, endpoint)
        problem = _mismatch(run_dir, experiment_id, stored.get(experiment_id), setup)
        if problem is not None:
            raise ConfigError(
                config_path, problem, experiment=experiment_id, fix=fix, source=SOURCE
            )


def _mismatch(
    run_dir: Path, experiment_id: str, stored: Mapping[str, Any] | None, setup: Mapping[str, Any]
) -> str | None:
    """Why the rows of ``experiment_id`` in ``run_dir``, made with ``stored``, cannot be
    resumed with ``setup`` (None when they can)."""
    if stored is None:
        return (
            f"{run_dir} holds rows of '{experiment_id}' but not the setup they were made "
            f"with (none in {setups_path(run_dir).name}: written before Parity stored it, or "
            "removed), so they cannot be checked and are not resumed"
        )
    current = json.loads(json.dumps(setup))  # as stored: tuples are lists, keys strings
    changed = [
        _change(key, stored, current)
        for key in sorted(set(stored) | set(current))
        if key not in RESUME_MAY_DIFFER
        and stored.get(key) != current.get(key)
        and (key != ENDPOINT_KEY or key in current)  # None resolved: not run, none resumed
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
    if key == CONTENT_KEY:
        return (
            "dataset content: rows differ from those the stored rows were made with "
            f"({key} {_show(before)}, now {_show(after)}: a question, context, answer or "
            "shot was edited)"
        )
    text = f"{key}: rows made with {_show(before)}, now {_show(after)}"
    if key == "prompt_sha256":
        text += f" (prompt {_show(stored.get('prompt'))}, now {_show(current.get('prompt'))})"
    return text


def _show(value: Any) -> str:
    return "unset" if value is _UNSET else repr(value)
