"""Summary JSON/CSV in ScaleBench's shape (snapshot), and the run-level summary."""

import csv
import json

from parity.analysis.aggregation import Aggregator
from parity.analysis.gates import evaluate_gates
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage
from parity.report.reporters.csv_summary import pytest_parity_experiment_finished as write_csv
from parity.report.reporters.json_summary import pytest_parity_experiment_finished as write_json
from parity.report.reporters.json_summary import pytest_parity_run_finished
from parity.report.reports import run_document
from tests.conftest import experiment


def summary():
    config = parse_config([experiment(thresholds={"f1": 0.5})], "t.yaml")
    agg = Aggregator(config.experiments)
    rows = [
        ("a", 1.0, 1.0, 100.0, 0.001),
        ("b", 0.0, 0.5, 300.0, 0.003),
        ("c", 0.0, 0.0, 200.0, 0.002),
    ]
    for i, (example_id, em, f1, latency, cost) in enumerate(rows):
        agg.add_report(
            "exp_a",
            "passed",
            EvalRecord("exp_a", example_id, i, "local:smollm2", scores={"exact_match": em, "f1": f1},
                       usage={"model": StageUsage(100 + i, 5, latency, cost)}),
        )  # fmt: skip
    agg.add_report("exp_a", "skipped", None, "no key")
    return agg, agg.outcomes["exp_a"].summary()


def test_summary_json_shape(snapshot):
    assert summary()[1] == snapshot


def test_summary_files(tmp_path, snapshot):
    agg, data = summary()
    records = agg.outcomes["exp_a"].sorted_records()
    for reporter in (write_json, write_csv):
        reporter(config=None, summary=data, records=records, run_dir=tmp_path)
    assert json.loads((tmp_path / "exp_a_summary.json").read_text()) == data
    with (tmp_path / "exp_a_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and rows[0]["f1_mean"] == "0.5" and rows[0]["n_examples"] == "3"
    assert list(rows[0]) == snapshot
    agg.expect(["exp_a"] * 4)
    gates = evaluate_gates(agg.outcomes, {"exp_a": data}, {})
    pytest_parity_run_finished(None, run_document("t.yaml", [data], gates, ["note"]), tmp_path)
    run = json.loads((tmp_path / "summary.json").read_text())
    assert run["gates_passed"] is True and run["gates"][0]["name"] == "exp_a::threshold::f1"


def test_an_experiment_with_no_scored_item_has_null_means_and_says_why():
    config = parse_config([experiment()], "t.yaml")
    agg = Aggregator(config.experiments)
    agg.add_report("exp_a", "skipped", None, "openai:gpt-4o needs OPENAI_API_KEY")
    summary = agg.outcomes["exp_a"].summary()
    assert summary["n_examples"] == 0
    assert all(v is None for stats in summary["metrics"].values() for v in stats.values())
    assert summary["latency_ms"]["mean"] is None and summary["tokens"]["avg_input_tokens"] is None
    assert summary["skip_reasons"] == ["openai:gpt-4o needs OPENAI_API_KEY"]


def test_resampling_spread_is_the_spread_over_seeded_resamples():
    import numpy as np

    from parity.analysis.aggregation import resampling_spread

    config = parse_config([experiment(n_eval_seeds=3)], "t.yaml")
    scores = [1.0, 0.0, 0.5, 0.25]
    records = [
        EvalRecord("exp_a", str(i), i, "m", scores={"exact_match": s, "f1": s})
        for i, s in enumerate(scores)
    ]
    spread = resampling_spread(config.experiments[0], records)
    means = [
        np.mean([scores[i] for i in np.random.default_rng(seed).integers(0, 4, 4)])
        for seed in range(3)
    ]
    assert spread["f1"]["mean"] == np.mean(means)
    assert spread["f1"]["std"] == np.std(means, ddof=1) and spread["f1"]["n_seeds"] == 3


def test_lowest_scoring_examples_show_the_raw_text_of_invalid_predictions():
    from parity.analysis.aggregation import lowest_scoring
    from parity.evals.tasks.base import INVALID_PREDICTION

    config = parse_config([experiment()], "t.yaml")
    records = [
        EvalRecord("exp_a", "good", 0, "m", prediction="Paris", references=["Paris"],
                   scores={"exact_match": 1.0, "f1": 1.0}),
        EvalRecord("exp_a", "bad", 1, "m", prediction=INVALID_PREDICTION, references=["Rome"],
                   raw_output=["I cannot answer"], scores={"exact_match": 0.0, "f1": 0.0}),
    ]  # fmt: skip
    rows = lowest_scoring(config.experiments[0], records)
    assert [row["id"] for row in rows] == ["bad", "good"]
    assert rows[0]["raw_output"] == "I cannot answer" and "raw_output" not in rows[1]
    assert rows[0]["gold"] == ["Rome"] and rows[0]["metric"] == "exact_match"


def test_a_non_finite_value_is_an_empty_csv_cell_as_it_is_null_in_the_json(tmp_path):
    data = summary()[1]
    data["metrics"]["f1"].update(mean=float("nan"), ci95_low=float("-inf"))
    for reporter in (write_json, write_csv):
        reporter(config=None, summary=data, records=[], run_dir=tmp_path)
    stats = json.loads((tmp_path / "exp_a_summary.json").read_text())["metrics"]["f1"]
    assert (stats["mean"], stats["ci95_low"]) == (None, None)
    with (tmp_path / "exp_a_summary.csv").open() as handle:
        (row,) = csv.DictReader(handle)
    assert (row["f1_mean"], row["f1_ci95_low"]) == ("", "")
    assert row["f1_ci95_high"] == str(data["metrics"]["f1"]["ci95_high"])
    assert not any(cell.lower() in ("nan", "inf", "-inf") for cell in row.values())
