"""Measurements and usage stages in the summary: a compressed experiment's compression ratio
and token counts (mean, p50, p95), the compressor's latency and cost apart from the model's,
in the JSON, the CSV, the terminal and the verdict line."""

import csv

import numpy as np
import pytest

from parity.analysis.aggregation import Aggregator
from parity.analysis.baselines import BaselineSource
from parity.analysis.verdicts import compare_all, verdict_line
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage
from parity.report.reporters.csv_summary import pytest_parity_experiment_finished as write_csv
from parity.report.terminal import render_experiment
from tests.conftest import experiment

RATIOS = [0.25, 0.3, 0.35, 0.5, 0.2, 0.3]
COMPRESSION_MS = [80.0, 90.0, 100.0, 400.0, 85.0, 95.0]


def record(i, compressed):
    usage = {"model": StageUsage(100, 2, 200.0, 0.001)}
    measurements = {}
    if compressed:
        usage = {"compression": StageUsage(0, 0, COMPRESSION_MS[i], 0.0005), **usage}
        measurements = {"original_tokens": 400.0, "compressed_tokens": 400 * RATIOS[i],
                        "compression_ratio": RATIOS[i]}  # fmt: skip
    return EvalRecord("x", f"e{i}", i, "m", scores={"f1": 0.5 + 0.01 * i}, usage=usage,
                      measurements=measurements)  # fmt: skip


@pytest.fixture
def outcomes():
    config = parse_config([experiment(id="base"), experiment(id="cand", baseline="base")], "t.yaml")
    agg = Aggregator(config.experiments)
    for i in range(len(RATIOS)):
        agg.add_report("base", "passed", record(i, False))
        agg.add_report("cand", "passed", record(i, True))
    agg.expect(["base", "cand"] * len(RATIOS))
    return agg.outcomes


def test_measurements_get_mean_p50_p95_and_stages_their_own_latency_and_cost(outcomes, tmp_path):
    summary = outcomes["cand"].summary()
    ratio = summary["measurements"]["compression_ratio"]
    assert ratio["mean"] == pytest.approx(np.mean(RATIOS))
    assert ratio["p50"] == pytest.approx(np.percentile(RATIOS, 50))
    assert ratio["p95"] == pytest.approx(np.percentile(RATIOS, 95))
    assert set(summary["measurements"]) == {
        "original_tokens",
        "compressed_tokens",
        "compression_ratio",
    }
    compression = summary["stages"]["compression"]
    assert compression["latency_ms"]["p95"] == pytest.approx(np.percentile(COMPRESSION_MS, 95))
    assert compression["cost_usd"]["total"] == pytest.approx(0.0005 * len(RATIOS))
    assert summary["stages"]["model"]["latency_ms"]["p50"] == 200.0
    assert "measurements" not in outcomes["base"].summary()  # nothing measured, one stage
    assert "stages" not in outcomes["base"].summary()
    write_csv(config=None, summary=summary, records=[], run_dir=tmp_path)
    with (tmp_path / "cand_summary.csv").open() as handle:
        (row,) = csv.DictReader(handle)
    assert float(row["compression_ratio_p50"]) == pytest.approx(np.percentile(RATIOS, 50))
    assert float(row["compression_latency_ms_p95"]) == pytest.approx(
        np.percentile(COMPRESSION_MS, 95)
    )
    lines = render_experiment(summary, [])
    assert any(line.strip().startswith("compression_ratio  mean 0.3167") for line in lines)
    assert any(line.strip().startswith("compression p50 92 ms") for line in lines)


def test_the_verdict_line_shows_the_compressors_overhead_and_cost(outcomes):
    comparison = compare_all(outcomes, {"cand": BaselineSource("base")})["cand"]
    assert comparison.resources["compression_latency_p50_ms"]["candidate"] == 92.5
    assert comparison.resources["compression_cost_usd"]["candidate"] == pytest.approx(0.0005)
    line = verdict_line(comparison, "cand", "base", [])
    assert "| p50 +46% (compression p50 92 ms, $5.0e-04/query) ->" in line


def test_token_measurements_name_their_unit_in_the_json_csv_and_terminal(tmp_path):
    config = parse_config([experiment(id="cand")], "t.yaml")
    agg = Aggregator(config.experiments)
    for i, unit in enumerate(["smollm2 tokens"] * 3 + [None]):
        rec = record(i, compressed=True)
        if unit:
            rec.metadata["tokens_unit"] = unit
        else:
            rec.measurements = {"gpu_seconds": 1.5}  # a measurement without a token unit
        agg.add_report("cand", "passed", rec)
    agg.expect(["cand"] * 4)
    summary = agg.outcomes["cand"].summary()
    measurements = summary["measurements"]
    for name in ("original_tokens", "compressed_tokens", "compression_ratio"):
        assert measurements[name]["tokens_unit"] == "smollm2 tokens"
    assert "tokens_unit" not in measurements["gpu_seconds"]
    write_csv(config=None, summary=summary, records=[], run_dir=tmp_path)
    with (tmp_path / "cand_summary.csv").open() as handle:
        (row,) = csv.DictReader(handle)
    assert row["compression_ratio_tokens_unit"] == "smollm2 tokens"
    lines = render_experiment(summary, [])
    assert any(
        line.strip().startswith("compression_ratio") and line.endswith("(smollm2 tokens)")
        for line in lines
    )


def test_counts_in_several_units_are_all_named():
    config = parse_config([experiment(id="cand")], "t.yaml")
    agg = Aggregator(config.experiments)
    for i, unit in enumerate(["words", "scaledown api"]):
        rec = record(i, compressed=True)
        rec.metadata["tokens_unit"] = unit
        agg.add_report("cand", "passed", rec)
    agg.expect(["cand"] * 2)
    ratio = agg.outcomes["cand"].summary()["measurements"]["compression_ratio"]
    assert ratio["tokens_unit"] == "scaledown api, words"
