"""What the MLflow export logs, built without MLflow: params with secrets masked, metrics with
their intervals under MLflow's key rules, the run's gate outcome."""

from __future__ import annotations

import math

from parity.report.mlflow_fields import (
    PARAM_VALUE_LIMIT,
    experiment_metrics,
    experiment_params,
    experiment_tags,
    mlflow_key,
    run_metrics,
)

ENV_KEY = "sk-unit-env-secret-0123456789"


def summary(**changes):
    data = {
        "experiment_id": "cand",
        "model": "openai:gpt-4o-mini",
        "mode": "compressed",
        "dataset": "hotpotqa",
        "task": "rag_qa",
        "n_examples": 10, "n_failed": 0, "n_skipped": 1, "n_invalid_predictions": 2,
        "metrics": {
            "f1": {"mean": 0.5, "std": 0.1, "p50": 0.5, "p95": 0.9, "ci95_low": 0.3,
                   "ci95_high": 0.7, "ci_clipped": False},
            "bleu": {"mean": math.nan, "ci95_low": None, "ci95_high": None},
        },
        "latency_ms": {"mean": 120.0, "std": 5.0, "p50": 118.0, "p95": 140.0},
        "tokens": {"avg_input_tokens": 300.0, "avg_output_tokens": 4.0},
        "cost": {"total_usd": 0.02, "mean_usd": 0.002, "note": "priced"},
        "measurements": {"compression_ratio": {"mean": 0.31, "p50": 0.3, "n": 10}},
        "per_task": {"bridge": {"n_examples": 6, "metrics": {"f1": {"mean": 0.6, "ci95_low": 0.2,
                                                                    "ci95_high": 0.9}}}},
        "comparison": {
            "metrics": {"f1": {"difference": -0.1, "ci_low": -0.3, "ci_high": 0.1, "p_value": 0.4}},
            "resources": {"input_tokens": {"change": -0.67}, "cost_usd": {"change": None}},
        },
        "tco": {"total_usd": 7300.0, "cost_per_query_usd": 0.002},
        "error_classes": {"wrong_label": 3, "timeout": 1},
        "setup": {
            "dataset": {"name": "hotpotqa", "seed": 2},
            "prompt_sha256": "ab" * 32,
            "model_options": {
                "mode": "compressed",
                "compression": {"method": "extractive", "rate": 0.3},
                "temperature": 0.0,
                "max_tokens": 64,
                "api_key": "sk-plain-in-config-9876543210",
                "api_key_env": "PARITY_UNIT_API_KEY",
                "base_url": "https://user:pass@llm.example/v1",
                "extra_body": {"note": f"sent with {ENV_KEY}",
                               "headers": {"Authorization": "Bearer abc", "x-api-key": "k"}},
            },
        },
    }  # fmt: skip
    data.update(changes)
    return data


def test_params_name_the_setup_and_mask_every_secret(monkeypatch):
    monkeypatch.setenv("PARITY_UNIT_API_KEY", ENV_KEY)
    params = experiment_params(summary())
    assert params["model"] == "openai:gpt-4o-mini" and params["mode"] == "compressed"
    assert params["dataset.seed"] == "2"
    assert params["prompt_sha256"] == "ab" * 32
    assert params["model_options.compression.method"] == "extractive"
    assert params["model_options.compression.rate"] == "0.3"
    assert params["model_options.temperature"] == "0.0"
    assert params["model_options.max_tokens"] == "64"  # a decoding setting, not a token
    assert params["model_options.api_key_env"] == "PARITY_UNIT_API_KEY"  # a name, kept
    assert params["model_options.api_key"] == "***"
    assert params["model_options.extra_body.headers.Authorization"] == "***"
    assert params["model_options.extra_body.headers.x-api-key"] == "***"
    assert params["model_options.extra_body.note"] == "sent with ***"
    assert params["model_options.base_url"] == "https://***@llm.example/v1"
    assert not any("sk-" in value or "pass@" in value for value in params.values())


def test_a_long_param_is_cut_and_keys_keep_to_mlflows_characters():
    params = experiment_params(summary(setup={"prompt": "x" * 2000, "odd key!": "v"}))
    assert len(params["prompt"]) == PARAM_VALUE_LIMIT and params["prompt"].endswith("…")
    assert params["odd key_"] == "v"
    assert mlflow_key("bridge/f1 [ci]") == "bridge/f1 _ci_"


def test_metrics_carry_each_mean_with_its_interval_and_leave_out_what_is_not_finite():
    metrics = experiment_metrics(summary())
    assert metrics["f1"] == 0.5 and metrics["f1_mean"] == 0.5
    assert (metrics["f1_ci95_low"], metrics["f1_ci95_high"]) == (0.3, 0.7)
    assert metrics["compression_ratio"] == 0.31 and metrics["compression_ratio_p50"] == 0.3
    assert metrics["latency_ms_p95"] == 140.0 and metrics["avg_input_tokens"] == 300.0
    assert metrics["cost_total_usd"] == 0.02
    assert metrics["bridge/f1_ci95_low"] == 0.2
    assert (metrics["delta_f1"], metrics["delta_f1_ci95_low"], metrics["delta_f1_ci95_high"]) == (
        -0.1, -0.3, 0.1,
    )  # fmt: skip
    assert metrics["delta_input_tokens"] == -0.67
    assert metrics["tco_total_usd"] == 7300.0 and metrics["errors_timeout"] == 1.0
    assert not any(name.startswith("bleu") for name in metrics)
    assert "f1_ci_clipped" not in metrics and "delta_cost_usd" not in metrics
    assert all(isinstance(value, float) and math.isfinite(value) for value in metrics.values())


def test_gates_and_the_verdict_become_tags_and_run_metrics():
    document = {
        "experiments": [summary()],
        "verdicts": ["cand vs base  f1 -0.100 [-0.300, +0.100] -> f1 inferior", "other vs base"],
        "gates": [
            {"experiment_id": "cand", "kind": "max_drop", "metric": "f1", "status": "failed",
             "verdict": "inferior"},
            {"experiment_id": "other", "kind": "min", "metric": "f1", "status": "passed",
             "verdict": "met"},
        ],
        "gates_passed": False,
        "gate_counts": {"passed": 1, "failed": 1, "skipped": 0},
    }  # fmt: skip
    tags = experiment_tags(summary(), document)
    assert tags == {
        "gate.max_drop.f1": "failed: inferior",
        "parity.verdict": "cand vs base  f1 -0.100 [-0.300, +0.100] -> f1 inferior",
    }
    assert run_metrics(document) == {
        "gates_passed_count": 1.0, "gates_failed_count": 1.0, "gates_skipped_count": 0.0,
        "gates_passed": 0.0, "n_experiments": 1.0,
    }  # fmt: skip
