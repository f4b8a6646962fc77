"""Cost per query and TCO: the arithmetic on hand numbers, the local compute-hour default,
and the config's ``tco:`` block."""

from __future__ import annotations

import pytest

from parity.analysis.tco import TcoSettings, render_tco, tco_block
from parity.config.config import parse_config, parse_model
from parity.config.errors import ConfigError
from parity.config.schema import Context
from parity.engine.pricing import cost_usd, price_for
from tests.conftest import experiment


def summary(experiment_id, mean_usd, training=None, f1=0.8):
    block = {
        "experiment_id": experiment_id,
        "n_examples": 10,
        "metrics": {"f1": {"mean": f1}},
        "latency_ms": {"p50": 120.0, "p95": 300.0},
        "cost": {"mean_usd": mean_usd},
    }
    if training is not None:
        block["training"] = {"cost_usd": training}
    return block


def test_tco_is_cost_per_query_times_the_volume_plus_training():
    settings = TcoSettings(queries_per_day=10_000, months=12)
    # Baseweight's headline: $9.1e-4 per query for the API model, 10,000 queries a day.
    api = tco_block(summary("api", 9.1e-4), settings)
    assert api["serving_usd"] == pytest.approx(9.1e-4 * 10_000 * 365)
    lora = tco_block(summary("lora", 7.4e-6, training=1.25), settings)
    assert lora["total_usd"] == pytest.approx(7.4e-6 * 10_000 * 365 + 1.25)
    assert tco_block(summary("unpriced", None), settings)["total_usd"] is None
    half = tco_block(summary("api", 9.1e-4), TcoSettings(queries_per_day=5_000, months=6))
    assert half["serving_usd"] == pytest.approx(api["serving_usd"] / 4)


def test_the_table_puts_score_cost_latency_and_tco_side_by_side():
    rows = [summary("api_5_shot", 9.1e-4, f1=0.787), summary("open_lora", 7.4e-6, 1.0, 0.876)]
    for row in rows:
        row["tco"] = tco_block(row, TcoSettings())
    lines = render_tco(rows, TcoSettings())
    assert lines[0] == "cost and TCO (12 months at 10,000 queries/day, training included):"
    assert lines[1] == "  api_5_shot  f1 0.787  $9.1e-04/query  p50 120 ms  p95 300 ms  TCO $3,322"
    assert lines[2] == "  open_lora   f1 0.876  $7.4e-06/query  p50 120 ms  p95 300 ms  TCO $28.01"


def test_a_local_model_costs_its_wall_time_at_the_default_compute_hour_price():
    local = parse_model({"name": "local:smollm2"}, Context("t"))
    assert price_for(local)["gpu_hour_usd"] == 0.46
    assert cost_usd(local, 100, 10, 1800_000) == pytest.approx(0.23)
    priced = parse_model({"name": "local:smollm2", "pricing": {"gpu_hour_usd": 2.0}}, Context("t"))
    assert cost_usd(priced, 100, 10, 1800_000) == pytest.approx(1.0)
    unknown_api = parse_model({"name": "openai:no-such-model"}, Context("t"))
    assert cost_usd(unknown_api, 100, 10, 1.0) is None


def test_the_config_sets_the_volume_and_checks_it():
    config = parse_config(
        {"experiments": [experiment()], "tco": {"queries_per_day": 500}}, "t.yaml"
    )
    assert config.tco == TcoSettings(queries_per_day=500, months=12)
    with pytest.raises(ConfigError, match=r"key 'tco.months'.*must be greater than 0"):
        parse_config({"experiments": [experiment()], "tco": {"months": 0}}, "t.yaml")


def test_training_cost_comes_from_the_record_beside_the_adapter(tmp_path):
    from parity.analysis.tco import training_block

    (tmp_path / "training.json").write_text(
        '{"wall_s": 1800.0, "cpu_hours": 0.5, "gpu_hours": 0.0, "rows": {"train": 450}}'
    )
    block = training_block(str(tmp_path), 0.46)
    assert block["cost_usd"] == pytest.approx(0.23) and block["rows"] == {"train": 450}
    assert training_block(str(tmp_path / "missing"), 0.46) is None
    assert training_block(None, 0.46) is None
