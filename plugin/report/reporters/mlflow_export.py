"""MLflow reporter: with ``--parity-mlflow [TRACKING_URI]``, the finished run is logged to
MLflow through its own client (``pip install 'parity-evals[mlflow]'``).

One Parity run is one parent MLflow run (named after the run folder) holding the gates'
verdict and the run-level files (``summary.json``, ``report.html``, ``summary.md``, ...), with
one nested run per experiment holding its params, metrics with their intervals and its own
files (raw JSONL and summaries). Nested runs keep each experiment's metrics under the same
names (``f1``, ``f1_ci95_low``), so MLflow's run table and charts compare experiments and
runs side by side, as ScaleBench logs one MLflow run per experiment.

Without a value the tracking URI is ``$MLFLOW_TRACKING_URI``, else ``sqlite:///mlruns.db`` in
the rootdir with artifacts in ``mlruns/`` beside it: MLflow 3 refuses its file store unless
told to allow it, while SQLite needs only SQLAlchemy and Alembic. The MLflow experiment is
``$MLFLOW_EXPERIMENT_NAME``, else ``parity``.

MLflow's HTTP client retries for minutes by default; unless the user set them, the export
runs with :data:`HTTP_BOUNDS` (2 retries, 8 s per request), so an unreachable server fails
the run within about 30 s, in one line. A local store whose folder is missing or not
writable is named as such, before MLflow tries it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
import warnings
from collections.abc import Collection, Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from parity.report.exports import ExportOutcome, record_outcome
from parity.report.mlflow_fields import (
    experiment_metrics,
    experiment_params,
    experiment_tags,
    run_metrics,
)

INSTALL = "pip install 'parity-evals[mlflow]'"
LOCAL = "local"  # --parity-mlflow without a value
DEFAULT_EXPERIMENT = "parity"
_URL_USER = re.compile(r"(?<=://)[^/@\s]+@")
# MLflow's HTTP settings for the export, each unless the environment sets it: at most
# 3 tries of 8 s with 1-2 s waits between them (MLflow's own: 7 tries of 120 s, waits to 64 s)
HTTP_BOUNDS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "8",
}


def tracking_uri(config: pytest.Config) -> str | None:
    """Where the run is logged: the option's URI, or for ``local`` (the option without a value)
    ``$MLFLOW_TRACKING_URI`` else ``sqlite:///<rootdir>/mlruns.db``; None without the option."""
    given = config.getoption("eval_mlflow", None)
    if given != LOCAL:
        return given
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{config.rootpath / 'mlruns.db'}"


def needed_modules(uri: str) -> list[str]:
    """The modules logging to ``uri`` imports: MLflow, and for SQLite its database layer."""
    return ["mlflow", "sqlalchemy", "alembic"] if uri.startswith("sqlite:") else ["mlflow"]


def _installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def pytest_configure(config: pytest.Config) -> None:
    """Refuse the run up front, in one line, when the export could not happen: MLflow not
    installed, or a test path taken for the tracking URI (``--parity-mlflow tests/``)."""
    uri = tracking_uri(config)
    if uri is None or getattr(config, "workerinput", None) is not None:
        return
    if "://" not in uri and (config.invocation_params.dir / uri).exists():
        raise pytest.UsageError(
            f"--parity-mlflow {uri}: the path {uri} was read as the tracking URI; write "
            "--parity-mlflow=URI, or put --parity-mlflow after the test paths"
        )
    missing = [module for module in needed_modules(uri) if not _installed(module)]
    if missing:
        raise pytest.UsageError(
            f"--parity-mlflow needs {', '.join(missing)}, not installed here: {INSTALL}"
        )


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
    """Log the run to MLflow; a failure is one line, and fails the run."""
    uri = tracking_uri(config)
    if uri is None:
        return
    shown = _URL_USER.sub("***@", uri)
    problem = local_store_problem(uri)
    if problem is not None:
        line = f"mlflow: the run was not logged to {shown}: {problem}"
        record_outcome(config, ExportOutcome(line, failed=True))
        return
    try:
        with warnings.catch_warnings(), bounded_http():
            # MLflow's own use of SQLAlchemy 2.1's deprecated loaders: nothing a user can change
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"mlflow\.")
            run_id = export_run(uri, summary, run_dir)
    except Exception as exc:  # MLflow's, SQLAlchemy's and requests' errors alike
        line = f"mlflow: the run was not logged to {shown}: {type(exc).__name__}: {exc}"
        record_outcome(config, ExportOutcome(line.splitlines()[0], failed=True))
        return
    record_outcome(config, ExportOutcome(f"mlflow: logged run {run_id} to {shown}"))


@contextmanager
def bounded_http() -> Iterator[None]:
    """MLflow's HTTP retries and timeout bounded by :data:`HTTP_BOUNDS` (each one the
    environment does not set), the environment restored afterwards."""
    added = {name: value for name, value in HTTP_BOUNDS.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def local_store_problem(uri: str) -> str | None:
    """Why a local store at ``uri`` cannot be written, else None: a SQLite database's folder
    missing, not a folder or not writable; a store folder (a path or ``file:`` URI) under a
    folder that is not writable (MLflow would answer with its file store's notice instead)."""
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        folder = Path(uri.removeprefix("sqlite:///")).parent
        if not folder.exists():
            return f"the store's folder {folder} does not exist"
    elif uri.startswith("file:") or "://" not in uri:
        folder = Path(unquote(urlparse(uri).path) if uri.startswith("file:") else uri)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
    else:
        return None
    if not folder.is_dir():
        return f"the store's folder {folder} is not a folder"
    if not os.access(folder, os.W_OK):
        return f"the store's folder {folder} is not writable"
    return None


def export_run(uri: str, document: Mapping[str, Any], run_dir: Path) -> str:
    """Log the run (``document``: the run's summary) and its files to ``uri``: a parent run
    and one nested run per experiment. Returns the parent run's id."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment_id = _experiment_id(client, uri)
    experiments = {summary["experiment_id"]: summary for summary in document["experiments"]}
    run_files, experiment_files = artifact_groups(run_dir, experiments)
    parent = client.create_run(
        experiment_id,
        run_name=run_dir.name,
        tags={
            "parity.run_dir": str(run_dir.resolve()),
            "parity.gates": "passed" if document.get("gates_passed", True) else "failed",
        },
    ).info.run_id
    try:
        for name, summary in experiments.items():
            child = client.create_run(
                experiment_id,
                run_name=name,
                tags={"mlflow.parentRunId": parent, **experiment_tags(summary, document)},
            ).info.run_id
            _log(client, child, experiment_params(summary), experiment_metrics(summary))
            _log_files(client, child, experiment_files[name])
            client.set_terminated(child)
        _log(client, parent, {"config": str(document.get("config", ""))}, run_metrics(document))
        _log_files(client, parent, run_files)
    except Exception:
        client.set_terminated(parent, status="FAILED")
        raise
    client.set_terminated(parent)
    return parent


def _experiment_id(client: Any, uri: str) -> str:
    """The MLflow experiment's id, made when missing (a local SQLite store keeps its
    artifacts in ``mlruns/`` beside the database file, not in the working directory)."""
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        location = (Path(uri.removeprefix("sqlite:///")).parent / "mlruns").resolve().as_uri()
    # the MLflow 3 UI then opens on the runs table (params, metrics, charts), not on traces
    kind = {"mlflow.experimentKind": "custom_model_development"}
    return str(client.create_experiment(name, artifact_location=location, tags=kind))


def artifact_groups(
    run_dir: Path, experiment_ids: Collection[str]
) -> tuple[list[Path], dict[str, list[Path]]]:
    """The run folder's files (hidden ones left out): each experiment's own (``{id}.jsonl``,
    ``{id}_summary.json``, ``{id}_summary.csv``), and the rest, folders included, for the run."""
    own = {
        f"{experiment_id}{suffix}": experiment_id
        for experiment_id in experiment_ids
        for suffix in (".jsonl", "_summary.json", "_summary.csv")
    }
    run_files: list[Path] = []
    experiment_files: dict[str, list[Path]] = {
        experiment_id: [] for experiment_id in experiment_ids
    }
    for path in sorted(run_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.name in own:
            experiment_files[own[path.name]].append(path)
        else:
            run_files.append(path)
    return run_files, experiment_files


def _log(client: Any, run_id: str, params: Mapping[str, str], metrics: Mapping[str, float]) -> None:
    """Params and metrics in batches within MLflow's limits (100 params, 1,000 items)."""
    from mlflow.entities import Metric, Param

    stamp = int(time.time() * 1000)
    param_list = [Param(key, value) for key, value in params.items()]
    metric_list = [Metric(key, value, stamp, 0) for key, value in metrics.items()]
    for start in range(0, len(param_list), 100):
        client.log_batch(run_id, params=param_list[start : start + 100])
    for start in range(0, len(metric_list), 1000):
        client.log_batch(run_id, metrics=metric_list[start : start + 1000])


def _log_files(client: Any, run_id: str, paths: Iterable[Path]) -> None:
    """Each file as an artifact at the top, each folder under its own name."""
    for path in paths:
        if path.is_dir():
            client.log_artifacts(run_id, str(path), artifact_path=path.name)
        else:
            client.log_artifact(run_id, str(path))
