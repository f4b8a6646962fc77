"""Where each experiment's baseline comes from: another experiment of this run, or the raw
rows an earlier run stored (``baseline: {run: DIR, experiment: ID}``, ``--parity-baseline-run``).

Every experiment summary carries a ``setup`` block (what decides which examples are scored
and how). A stored baseline is refused when its setup differs in what makes the numbers
incomparable (dataset, split, sampling, sample ids, the rows' content, task, metric settings)
and compared with a warning when only the prompt template or the model differ (or when the
stored run predates content hashes).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.config.config import Experiment
from parity.config.errors import ConfigError, DataError
from parity.config.file_names import raw_file_stem_of
from parity.engine.redaction import mask_settings
from parity.evals.datasets.base import Example
from parity.evals.metrics import METRICS
from parity.prompts import load_template
from parity.record.jsonl import JsonlError, read_jsonl
from parity.record.record import EvalRecord, from_raw_row

SUMMARY_SUFFIX = "_summary.json"
# Setup keys that must match for a stored run to serve as a baseline, and those that may differ.
MUST_MATCH = ("dataset", "sample_ids_sha256", "task", "metric_settings")
# The hash of the examples' content: a stored run made from edited rows is refused too (its
# scores pair other questions or answers under the same ids); one without it is warned about.
CONTENT_KEY = "content_sha256"
MAY_DIFFER = {
    "prompt_sha256": "prompt template",
    "model": "model",
    "model_options": "model options",
    "task_options": "task options",
}
# Model options that pace or time the calls but never change an answer.
PACING_OPTIONS = frozenset(
    {"max_concurrency", "requests_per_minute", "tokens_per_minute", "timeout_s", "max_retries",
     "outage_tolerance_s", "n_threads"}
)  # fmt: skip


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_sha256(examples: Sequence[Example], shots: Sequence[Example] = ()) -> str:
    """The SHA-256 of what the examples hold (what the model sees and what is scored: id,
    question, context, answers and the dataset's own fields such as choices or tests), then
    the shots': two runs with the same ids but edited rows differ in it."""
    digest = hashlib.sha256()
    for part, group in (("example", examples), ("shot", shots)):
        for example in group:
            fields = [part, example.id, example.question, example.context, example.answers]
            text = json.dumps([*fields, example.metadata], sort_keys=True, default=repr)
            digest.update(text.encode("utf-8") + b"\n")
    return digest.hexdigest()


def experiment_setup(
    experiment: Experiment, example_ids: Sequence[str], content: str | None = None
) -> dict[str, Any]:
    """What a stored run must share with this one for its rows to be a baseline;
    ``content`` is the :func:`content_sha256` of its examples (None: not known). Secret-named
    settings (``extra_body.api_key``, a header's ``Authorization``) are masked, here once for
    every file the setup reaches (summaries, ``setups.ndjson``, CSV, MLflow)."""
    dataset = experiment.dataset
    try:
        prompt_sha = load_template(experiment.prompt).sha256
    except DataError:
        prompt_sha = None
    setup = {
        "dataset": {
            "name": dataset.name,
            "split": dataset.split,
            "subset": dataset.subset,
            "num_examples": dataset.num_examples,
            "seed": dataset.seed,
            "num_shots": dataset.num_shots,
            "options": dict(dataset.options),
        },
        "n_samples": len(example_ids),
        "sample_ids_sha256": _sha256("\n".join(example_ids)),
        CONTENT_KEY: content,
        "task": experiment.task,
        "task_options": dict(experiment.task_options),
        "metrics": list(experiment.metrics),
        "metric_settings": {
            name: recorder()
            for name in experiment.metrics
            if (recorder := METRICS.get(name).settings) is not None
        },
        "prompt": experiment.prompt,
        "prompt_sha256": prompt_sha,
        "model": experiment.model.name,
        "model_options": model_options(experiment),
        "repeats": experiment.repeats,
    }
    return mask_settings(setup)


def model_options(experiment: Experiment) -> dict[str, Any]:
    """What the model is asked with besides the prompt: sampling, provider options (base URL,
    request body fields, adapter), mode and compression; not pacing (see ``PACING_OPTIONS``)."""
    model = experiment.model
    options = {k: v for k, v in model.options.items() if k not in PACING_OPTIONS}
    return {"mode": model.mode, "compression": model.compression, **options}


@dataclass(frozen=True)
class BaselineSource:
    """An experiment's baseline: ``experiment_id`` of this run, or of the run in ``run_dir``."""

    experiment_id: str
    run_dir: Path | None = None
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How the baseline is named in verdicts: ``id`` or ``id @ DIR``."""
        return (
            self.experiment_id if self.run_dir is None else f"{self.experiment_id} @ {self.run_dir}"
        )


def stored_summary(run_dir: Path, experiment_id: str) -> dict[str, Any] | None:
    """The summary a stored run wrote for ``experiment_id`` (None when there is none)."""
    path = run_dir / f"{experiment_id}{SUMMARY_SUFFIX}"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read the stored summary ({exc})") from None
    return data if isinstance(data, dict) else None


def stored_records(run_dir: Path, summary: Mapping[str, Any]) -> list[EvalRecord]:
    """The finished records of a stored experiment, from its raw JSONL rows."""
    experiment_id = str(summary["experiment_id"])
    tasks = summary.get("per_task", {})
    stems = [experiment_id, *(raw_file_stem_of(experiment_id, task) for task in tasks)]
    records: list[EvalRecord] = []
    for stem in stems:
        path = run_dir / f"{stem}.jsonl"
        if not path.is_file():
            continue
        try:
            lines = read_jsonl(path)
        except JsonlError as exc:
            raise DataError(
                f"{path}, line {exc.number}: {exc.reason} (a file cut short or edited); "
                "rerun the baseline or remove the line"
            ) from None
        records += [from_raw_row({"experiment_id": experiment_id, **line.value}) for line in lines]
    return records


def _differences(
    stored: Mapping[str, Any], current: Mapping[str, Any], keys: Iterable[str]
) -> list[str]:
    return [key for key in keys if stored.get(key) != current.get(key)]


def check_stored(
    config_path: str,
    experiment: Experiment,
    source: BaselineSource,
    setup: Mapping[str, Any],
    key: str,
) -> BaselineSource:
    """Refuse a stored baseline that cannot be compared with ``experiment`` (a ConfigError
    naming ``key`` and what differs); return the source with warnings for what may differ."""
    assert source.run_dir is not None

    def refuse(problem: str, fix: str) -> ConfigError:
        return ConfigError(config_path, problem, experiment=experiment.id, key=key, fix=fix)

    if not source.run_dir.is_dir():
        raise refuse(
            f"the stored run {source.run_dir} does not exist",
            "point it at a report directory (reports/<timestamp>/)",
        )
    try:
        summary = stored_summary(source.run_dir, source.experiment_id)
    except DataError as exc:
        raise refuse(str(exc), "rerun the baseline") from None
    if summary is None:
        raise refuse(
            f"{source.run_dir} holds no summary of experiment '{source.experiment_id}'",
            "name an experiment that run evaluated (its <id>_summary.json)",
        )
    stored_setup = summary.get("setup")
    if isinstance(stored_setup, dict):  # one written before secrets were masked: masked now
        stored_setup = mask_settings(stored_setup)
    else:
        raise refuse(
            f"{source.run_dir}/{source.experiment_id}{SUMMARY_SUFFIX} has no 'setup' block "
            "(written by an older Parity), so it cannot be checked",
            "rerun the baseline with this version",
        )
    differing = _differences(stored_setup, setup, MUST_MATCH)
    if differing:
        details = "; ".join(
            f"{name}: stored {stored_setup.get(name)!r}, now {setup.get(name)!r}"
            for name in differing
        )
        raise refuse(
            f"the stored run of '{source.experiment_id}' differs in what makes scores "
            f"comparable ({details})",
            "compare against a run of the same dataset, sample and metric settings",
        )
    stored_content, content = stored_setup.get(CONTENT_KEY), setup.get(CONTENT_KEY)
    if stored_content is not None and content is not None and stored_content != content:
        raise refuse(
            f"the stored run of '{source.experiment_id}' was made from other rows under the "
            f"same example ids (dataset content: {CONTENT_KEY} {stored_content[:12]}..., now "
            f"{content[:12]}...: a question, context, answer or shot was edited)",
            "compare against a run of the same data (rerun the baseline on it)",
        )
    missing = sorted(set(experiment.metrics) - set(stored_setup.get("metrics", [])))
    gated = {name for limits in experiment.paired_gates.values() for name in limits}
    if missing and gated & {out for m in missing for out in METRICS.get(m).outputs}:
        raise refuse(
            f"the stored run of '{source.experiment_id}' did not compute {', '.join(missing)}",
            "gate only on metrics the stored run computed",
        )
    warnings = tuple(
        f"{experiment.id}: the baseline's {label} differs from this run's "
        f"({stored_setup.get(name)!r} vs {setup.get(name)!r})"
        for name, label in MAY_DIFFER.items()
        if name in stored_setup and stored_setup[name] != setup.get(name)
    )
    if stored_content is None:
        warnings += (
            f"{experiment.id}: the baseline's dataset content cannot be checked (its summary "
            f"has no {CONTENT_KEY}: written by an older Parity); rerun it if its rows changed",
        )
    return BaselineSource(source.experiment_id, source.run_dir, warnings)


def baseline_sources(
    config_path: str,
    experiments: Sequence[Experiment],
    setups: Mapping[str, Mapping[str, Any]],
    baseline_run: Path | None,
) -> dict[str, BaselineSource]:
    """Each experiment's baseline (checked now, before any model is called): with
    ``--parity-baseline-run DIR``, the experiment of the same id stored in DIR where there is
    one, else what the config names."""
    if baseline_run is not None and not any(baseline_run.glob(f"*{SUMMARY_SUFFIX}")):
        raise ConfigError(
            config_path,
            f"--parity-baseline-run {baseline_run}: no experiment summaries (*{SUMMARY_SUFFIX}) there",
            fix="pass the report directory of a finished run (reports/<timestamp>/)",
        )
    sources: dict[str, BaselineSource] = {}
    for experiment in experiments:
        if (
            baseline_run is not None
            and (baseline_run / f"{experiment.id}{SUMMARY_SUFFIX}").is_file()
        ):
            source = BaselineSource(experiment.id, baseline_run)
            key = "--parity-baseline-run"
        elif experiment.baseline is not None:
            run_dir = Path(experiment.baseline_run) if experiment.baseline_run else None
            source = BaselineSource(experiment.baseline, run_dir)
            key = "baseline.run"
        else:
            continue
        if source.run_dir is not None:
            source = check_stored(config_path, experiment, source, setups[experiment.id], key)
        sources[experiment.id] = source
    return sources
