"""A compression rate sweep (``compression.rates``): one experiment per rate, each with the
entry's baseline and gates, named by its rate; every bad sweep gets one clear message."""

import pytest

from parity.cases.cases import build_plan, marker_name
from parity.config.config import parse_config
from parity.config.errors import ConfigError
from parity.config.sweep import rate_id, rate_text
from tests.conftest import experiment

BASELINE = experiment(id="hp_full")


def sweep(**compression):
    """A compressed entry sweeping ``compression`` (extractive BM25 unless overridden)."""
    return experiment(
        id="hp_ext",
        model={"name": "local:smollm2", "mode": "compressed",
               "compression": {"method": "extractive", "ranker": "bm25", **compression}},
        baseline="hp_full",
        max_drop={"f1": 0.05},
        tags=["sweep"],
    )  # fmt: skip


def test_rates_expand_into_one_experiment_each_paired_with_the_baseline_and_gated():
    config = parse_config([BASELINE, sweep(rates=[0.5, 0.33, 0.2, 0.1])], "t.yaml")
    assert [e.id for e in config.experiments] == [
        "hp_full", "hp_ext_r0.5", "hp_ext_r0.33", "hp_ext_r0.2", "hp_ext_r0.1",
    ]  # fmt: skip
    for rate, expanded in zip([0.5, 0.33, 0.2, 0.1], config.experiments[1:], strict=True):
        assert expanded.model.compression == {"method": "extractive", "ranker": "bm25",
                                              "rate": rate}  # fmt: skip
        assert expanded.baseline == "hp_full" and expanded.max_drop == {"f1": 0.05}
        assert expanded.tags == ("sweep",)


def test_each_rate_is_a_keyword_and_a_marker_of_its_items():
    config = parse_config([BASELINE, sweep(rates=[0.5, 0.33])], "t.yaml")
    cases = build_plan(config).cases
    words = {c.experiment.id: c.keywords() for c in cases}
    assert {"compression", "extractive", "r0.33"} <= set(words["hp_ext_r0.33"])
    assert "r0.5" not in words["hp_ext_r0.33"] and "r0.5" in words["hp_ext_r0.5"]
    assert not any(w.startswith("r0") for w in words["hp_full"])
    assert marker_name("r0.33") == "r0_33"


def test_rates_compose_with_conditions():
    raw = {**sweep(rates=[0.5, 0.2]), "conditions": ["zero-shot", "5-shot"]}
    del raw["baseline"], raw["max_drop"]
    ids = [e.id for e in parse_config([raw], "t.yaml").experiments]
    assert ids == ["hp_ext_zero_shot_r0.5", "hp_ext_zero_shot_r0.2",
                   "hp_ext_5_shot_r0.5", "hp_ext_5_shot_r0.2"]  # fmt: skip


def test_a_single_rate_keeps_its_id_and_is_still_a_keyword():
    config = parse_config([BASELINE, sweep(rate=0.3)], "t.yaml")
    assert config.experiments[1].id == "hp_ext"
    assert "r0.3" in build_plan(config).cases[-1].keywords()


@pytest.mark.parametrize(
    ("rate", "text"), [(0.33, "0.33"), (1, "1"), (1.0, "1"), (0.1, "0.1"), (1e-05, "0.00001")]
)
def test_rates_are_spelled_positionally_without_trailing_zeros(rate, text):
    assert rate_text(rate) == text
    assert rate_id("x", rate) == f"x_r{text}"


@pytest.mark.parametrize(
    ("compression", "problem", "fix"),
    [
        ({"rates": []}, "rates must be a non-empty list of numbers, got []",
         "e.g. rates: [0.5, 0.33, 0.2, 0.1]"),
        ({"rates": 0.5}, "rates must be a non-empty list of numbers, got 0.5",
         "e.g. rates: [0.5, 0.33, 0.2, 0.1]"),
        ({"rates": [0.5, 0.5]}, "the rate 0.5 is listed twice", "list each rate once"),
        ({"rates": [0.5, 0.50000000000001]}, "the rate 0.5 is listed twice", "list each rate once"),
        ({"rates": [0.5, 0]}, "0 is not a rate: each must be a number above 0 and at most 1",
         "e.g. rates: [0.5, 0.33, 0.2, 0.1]"),
        ({"rates": [1.5]}, "1.5 is not a rate", "e.g. rates: [0.5, 0.33, 0.2, 0.1]"),
        ({"rates": ["half"]}, "'half' is not a rate", "e.g. rates: [0.5, 0.33, 0.2, 0.1]"),
        ({"rates": [True]}, "True is not a rate", "e.g. rates: [0.5, 0.33, 0.2, 0.1]"),
        ({"rate": 0.3, "rates": [0.5]}, "set 'rate' (one experiment) or 'rates' (a sweep), not both",
         "remove 'rate: 0.3', or remove 'rates'"),
    ],
)  # fmt: skip
def test_a_bad_sweep_names_file_experiment_key_and_fix(compression, problem, fix):
    with pytest.raises(ConfigError) as info:
        parse_config([BASELINE, sweep(**compression)], "configs/sweep.yaml")
    message = str(info.value)
    assert message.startswith(
        "Invalid eval config (file configs/sweep.yaml, experiment 'hp_ext', "
        "key 'model.compression.rates'): "
    )
    assert problem in message
    assert message.endswith(f"\n  Fix: {fix}")
