"""Narrowed runs: which experiments a selection narrowed (part of it selected), which
baselines it deselected, and what a narrowed gate reports, with and without being asked."""

from parity.analysis.aggregation import Aggregator
from parity.analysis.baselines import BaselineSource
from parity.analysis.gates import evaluate_gates
from parity.analysis.narrowing import Narrowing
from parity.config.config import parse_config
from tests.conftest import experiment

TOTALS = {"base": 4, "cand": 4}


def outcomes(selected, repeats=1):
    """Outcomes of 'base' and 'cand' (baseline 'base') with ``selected`` items expected."""
    sampled = {"repeats": repeats, "model": {"name": "local:smollm2", "temperature": 0.7}}
    base = experiment(id="base", **(sampled if repeats > 1 else {}))
    config = parse_config([base, experiment(id="cand", baseline="base")], "t.yaml")
    agg = Aggregator(config.experiments)
    agg.expect([name for name, n in selected.items() for _ in range(n)])
    return agg.outcomes


def test_part_of_an_experiment_is_narrowed_all_or_none_of_it_is_not():
    narrowing = Narrowing("-k", TOTALS)
    found = outcomes({"base": 4, "cand": 1})
    assert narrowing.of(found["cand"]) == (
        "evaluated on 1 of 4 examples: the run was narrowed by -k"
    )
    assert narrowing.of(found["base"]) is None  # all of it
    assert narrowing.of(outcomes({"base": 4})["cand"]) is None  # none of it: no gate at all


def test_repeats_are_counted_as_items():
    found = outcomes({"base": 3, "cand": 4}, repeats=2)
    assert Narrowing("-m", {"base": 8}).of(found["base"]) == (
        "evaluated on 3 of 8 items (examples x 2 repeats): the run was narrowed by -m"
    )


def test_a_paired_gate_is_narrowed_by_its_baseline_deselected_or_narrowed():
    narrowing = Narrowing("-k", TOTALS)
    source = BaselineSource("base")
    found = outcomes({"cand": 4})
    assert narrowing.paired(found, found["cand"], source) == (
        "baseline 'base' was deselected by -k"
    )
    found = outcomes({"base": 2, "cand": 4})
    assert narrowing.paired(found, found["cand"], source) == (
        "baseline 'base' evaluated on 2 of 4 examples: the run was narrowed by -k"
    )
    assert narrowing.deselected(found, BaselineSource("base", run_dir=".")) is None


def test_a_narrowed_gate_is_skipped_unless_asked_then_evaluated_saying_so():
    found = outcomes({"cand": 1})
    cand = found["cand"]
    cand.experiment = parse_config(
        [experiment(id="cand", thresholds={"f1": 0.5})], "t.yaml"
    ).experiments[0]
    summaries = {"cand": {"metrics": {"f1": {"mean": 0.0}}}}
    why = {"cand": "evaluated on 1 of 4 examples: the run was narrowed by -k"}
    (gate,) = evaluate_gates(found, summaries, {}, narrowed=why)
    assert (gate.status, gate.verdict) == ("skipped", "not evaluated")
    assert gate.message.startswith(f"not evaluated: {why['cand']} (pass --parity-gate-narrowed")
    (gate,) = evaluate_gates(found, summaries, {}, narrowed=why, evaluate_narrowed=True)
    assert (gate.status, gate.verdict) == ("failed", "not met")
    assert gate.message.endswith(f"over 0 examples ({why['cand']})")
