"""Aggregation: an experiment's summary of a corpus metric (value and interval)."""

import pytest
from sklearn.metrics import f1_score

from parity.analysis.aggregation import Aggregator
from parity.analysis.stats import CORPUS_MIN_PAIRS
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage
from tests.conftest import experiment
from tests.support.hall import jackknife_by_hand


def test_a_corpus_metrics_summary_interval_is_the_hall_widened_jackknife_t_interval():
    gold = ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a", "b"]
    pred = ["a", "b", "c", "b", "b", "a", "a", "c", "c", "a", "a"]
    config = parse_config(
        [experiment(id="cls", metrics=["macro_f1"], task={"name": "classification"},
                    dataset={"name": "banking77", "source": "shipped"})],
        "t.yaml",
    )  # fmt: skip
    agg = Aggregator(config.experiments)
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        agg.add_report("cls", "passed", EvalRecord(
            "cls", f"e{i}", i, "m", prediction=p, references=[g],
            usage={"model": StageUsage(1, 1, 1.0, 0.0)},
        ))  # fmt: skip
    block = agg.outcomes["cls"].summary()["metrics"]["macro_f1"]

    def macro(idx):
        return f1_score([gold[i] for i in idx], [pred[i] for i in idx], average="macro")

    assert block["mean"] == pytest.approx(macro(range(len(gold))))
    assert (block["ci95_low"], block["ci95_high"]) == pytest.approx(
        jackknife_by_hand(len(gold), macro), rel=1e-9
    )
    assert block["corpus_level"] and block["interval_min_pairs"] == CORPUS_MIN_PAIRS
