"""What Parity's MLflow export logs, as plain dictionaries (no MLflow needed to build them).

Per experiment: params from its setup (model, mode, dataset, task, compressor and its
settings, prompt and its hash, decoding options), flattened with dotted keys and with secrets
masked; metrics: each metric's mean under its own name (``f1``) and its statistics with the
95% interval (``f1_ci95_low``, ``f1_ci95_high``), latency, tokens, cost, compression ratio,
the paired comparison with its baseline (``delta_f1`` and its interval), TCO and error classes.
Per run: the gates' verdict and counts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from parity.engine.redaction import MARK, is_secret_setting, redact

# MLflow's limits: a param value of 6,000 characters (500 before MLflow 2.x servers; values
# here are short, a longer one is cut), a key of 250 characters of [/\w.\- :].
PARAM_VALUE_LIMIT = 500
KEY_LIMIT = 250
_KEY_CHARS = re.compile(r"[^/\w.\- :]")
_URL_USER = re.compile(r"(?<=://)[^/@\s]+@")
SUMMARY_PARAMS = ("experiment_id", "model", "mode", "dataset", "task")
COUNTS = ("n_examples", "n_failed", "n_skipped", "n_invalid_predictions")


def mlflow_key(name: str) -> str:
    """``name`` in the characters MLflow accepts in a key (others become ``_``), cut to its
    limit."""
    return _KEY_CHARS.sub("_", name)[:KEY_LIMIT]


def safe_value(key: str, value: Any) -> str:
    """A param's value as text: masked when its key names a secret, known secrets and a URL's
    user and password redacted, cut to :data:`PARAM_VALUE_LIMIT`."""
    if is_secret_setting(key.rsplit(".", 1)[-1]) and value not in (None, ""):
        return MARK
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = _URL_USER.sub(f"{MARK}@", redact(text))
    return text if len(text) <= PARAM_VALUE_LIMIT else text[: PARAM_VALUE_LIMIT - 1] + "…"


def _flat(value: Any, prefix: str) -> dict[str, Any]:
    """Nested mappings as one level with dotted keys (lists stay whole)."""
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def experiment_params(summary: Mapping[str, Any]) -> dict[str, str]:
    """The experiment's params: its identity and its whole setup (``dataset.seed``,
    ``model_options.compression.rate``, ``prompt_sha256``, ...), secrets masked."""
    raw = {key: summary[key] for key in SUMMARY_PARAMS if key in summary}
    raw.update(_flat(summary.get("setup", {}), ""))
    return {mlflow_key(key): safe_value(key, value) for key, value in raw.items()}


def _number(value: Any) -> bool:
    """A finite int or float (not a bool): what MLflow can log as a metric."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def experiment_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """The experiment's metrics, named as the summary CSV's columns (``f1_mean``,
    ``f1_ci95_low``, ``latency_ms_p50``, ``cost_total_usd``, ``compression_ratio_mean``,
    ``compression_latency_ms_p50``, ...) plus each metric's and measurement's mean under its
    bare name, per-task intervals, the paired comparison, TCO and error classes. Non-finite
    and missing values are left out."""
    found: dict[str, Any] = {key: summary.get(key) for key in COUNTS}
    for name, stats in {**summary["metrics"], **summary.get("measurements", {})}.items():
        found[name] = stats.get("mean")
        found.update({f"{name}_{stat}": value for stat, value in stats.items() if stat != "n"})
    found.update({f"latency_ms_{k}": v for k, v in summary.get("latency_ms", {}).items()})
    found.update(summary.get("tokens", {}))
    found.update({f"cost_{k}": v for k, v in summary.get("cost", {}).items()})
    for stage, block in summary.get("stages", {}).items():
        found.update({f"{stage}_latency_ms_{k}": v for k, v in block["latency_ms"].items()})
        found.update({f"{stage}_cost_usd_{k}": v for k, v in block["cost_usd"].items()})
    for subset, part in summary.get("per_task", {}).items():
        for metric, stats in part["metrics"].items():
            for stat in ("mean", "ci95_low", "ci95_high"):
                found[f"{subset}/{metric}_{stat}"] = stats.get(stat)
    found.update(_comparison_metrics(summary.get("comparison", {})))
    found.update({f"tco_{key}": value for key, value in summary.get("tco", {}).items()})
    found.update({f"errors_{k}": v for k, v in summary.get("error_classes", {}).items()})
    return {mlflow_key(key): float(value) for key, value in found.items() if _number(value)}


def _comparison_metrics(comparison: Mapping[str, Any]) -> dict[str, Any]:
    """``delta_{metric}`` with its interval and p-value, and each resource's relative change
    (``delta_input_tokens``: -0.67 for a third of the tokens)."""
    found: dict[str, Any] = {}
    for metric, paired in comparison.get("metrics", {}).items():
        found[f"delta_{metric}"] = paired.get("difference")
        found[f"delta_{metric}_ci95_low"] = paired.get("ci_low")
        found[f"delta_{metric}_ci95_high"] = paired.get("ci_high")
        found[f"delta_{metric}_p_value"] = paired.get("p_value")
    for resource, change in comparison.get("resources", {}).items():
        found[f"delta_{resource}"] = change.get("change")
    return found


def experiment_tags(summary: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, str]:
    """The experiment's verdict line against its baseline and each of its gates' outcome
    (``gate.max_drop.f1``: ``failed: inferior``)."""
    experiment_id = summary["experiment_id"]
    tags = {
        f"gate.{gate['kind']}.{gate['metric']}": f"{gate['status']}: {gate['verdict']}".rstrip(": ")
        for gate in document.get("gates", [])
        if gate["experiment_id"] == experiment_id
    }
    for line in document.get("verdicts", []):
        if line.startswith(f"{experiment_id} vs "):
            tags["parity.verdict"] = line
    return {mlflow_key(key): redact(value)[:PARAM_VALUE_LIMIT] for key, value in tags.items()}


def run_metrics(document: Mapping[str, Any]) -> dict[str, float]:
    """The run's gate outcome: ``gates_passed`` (1 or 0) and how many gates passed, failed
    and were skipped."""
    counts = document.get("gate_counts", {})
    found = {f"gates_{status}_count": float(n) for status, n in counts.items()}
    found["gates_passed"] = 1.0 if document.get("gates_passed", True) else 0.0
    found["n_experiments"] = float(len(document.get("experiments", [])))
    return found
