"""The one result record: every shape (JUnit properties, raw rows, resume, the controller's
copy) is derived from it, and a measurement is never averaged as a score."""

import json
import sys

from parity.analysis.aggregation import Aggregator
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage, from_raw_row, junit_properties, raw_row
from tests.conftest import experiment


def full_record(**changes):
    values = dict(
        experiment_id="exp_a", example_id="ex1", example_index=3, model="local:smollm2",
        question="Who?", input_context="ctx", prompt=[[{"role": "user", "content": "Who?"}]],
        raw_output=["  Answer: banana split \n"], prediction="<invalid>", references=["x"],
        confidence=-0.5, scores={"exact_match": 0.0, "f1": 0.25},
        usage={"model": StageUsage(100, 5, 250.0, 0.001), "compressor": StageUsage(80, 20, 50.0, 0.0005)},
        measurements={"compression_ratio": 4.0}, metadata={"subset": "qasper", "cached": False},
    )  # fmt: skip
    values.update(changes)
    return EvalRecord(**values)


def test_dict_round_trip_is_lossless():
    record = full_record()
    assert EvalRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_totals_sum_every_stage():
    record = full_record()
    assert (record.input_tokens, record.output_tokens) == (180, 25)
    assert record.latency_ms == 300.0 and abs(record.cost_usd - 0.0015) < 1e-12
    unknown = full_record(usage={"model": StageUsage(1, 1, 1.0, None)})
    assert unknown.cost_usd is None


def test_raw_row_keeps_scalebench_fields_and_round_trips():
    record = full_record()
    row = raw_row(record)
    assert list(row)[:11] == ["id", "model", "input_question", "input_context", "pred", "gold",
                              "input_tokens", "output_tokens", "latency_ms", "cost_usd", "metrics"]  # fmt: skip
    assert row["pred"] == "<invalid>" and row["raw_output"] == ["  Answer: banana split \n"]
    assert row["prompt"] == [[{"role": "user", "content": "Who?"}]]
    back = from_raw_row(json.loads(json.dumps(row)))
    assert back.cached and back.scores == record.scores and back.usage == record.usage
    assert back.measurements == record.measurements


def test_row_written_before_usage_stages_still_resumes():
    old = {"id": "e", "model": "m", "input_question": "q", "input_context": "c", "pred": "p",
           "gold": ["p"], "input_tokens": 7, "output_tokens": 2, "latency_ms": 9.0,
           "cost_usd": None, "metrics": {"f1": 1.0}, "cached": False, "confidence": None}  # fmt: skip
    record = from_raw_row({"experiment_id": "x", "example_index": 0, **old})
    assert (record.input_tokens, record.output_tokens, record.latency_ms) == (7, 2, 9.0)


def test_junit_properties_keep_raw_text_and_drop_empty_values():
    props = dict(junit_properties(full_record(confidence=None)))
    assert props["prediction"] == "<invalid>"
    assert props["raw_output"] == "  Answer: banana split \n"
    assert props["compressor.input_tokens"] == 80 and props["measurement.compression_ratio"] == 4.0
    assert "confidence" not in props and "None" not in map(str, props.values())
    assert len(props["prompt_sha256"]) == 16
    same = dict(junit_properties(full_record(raw_output=["<invalid>"])))
    assert "raw_output" not in same  # shown only when it differs from the prediction


def test_failed_record_gives_identity_and_error_only():
    props = dict(junit_properties(full_record(error="RateLimitError: 429")))
    assert props == {"experiment_id": "exp_a", "example_id": "ex1", "example_index": 3,
                     "model": "local:smollm2", "error": "RateLimitError: 429"}  # fmt: skip


def test_a_measurement_is_never_averaged_as_a_score():
    config = parse_config([experiment()], "t.yaml")
    agg = Aggregator(config.experiments)
    for i in range(3):
        agg.add_report("exp_a", "passed", full_record(example_id=str(i), example_index=i))
    summary = agg.outcomes["exp_a"].summary()
    assert set(summary["metrics"]) == {"exact_match", "f1"}
    assert "compression_ratio" not in json.dumps(summary["metrics"])


def test_a_compact_record_keeps_what_aggregation_and_reporters_read():
    record = full_record()
    kept = record.compact()
    assert kept.prompt == [] and kept.input_context == "" and kept.question == ""
    for name in ("scores", "usage", "prediction", "raw_output", "references", "confidence",
                 "measurements", "metadata", "example_index"):  # fmt: skip
        assert getattr(kept, name) == getattr(record, name), name
    assert full_record(metadata={"cached": True}).compact().metadata is (
        full_record(example_id="other", metadata={"cached": True}).compact().metadata
    )  # equal small parts are one object
    one = full_record(references=["Paris"], prediction="".join(["Par", "is"])).compact()
    other = full_record(references=["Paris"], prediction="".join(["Pa", "ris"])).compact()
    assert one.references is other.references and one.prediction is other.prediction
    long_answer = ["x" * 65]
    assert full_record(references=long_answer).compact().references is long_answer


def test_an_item_floor_is_missed_only_below_it():
    record = full_record()  # f1 0.25, exact_match 0.0
    assert record.failure({"f1": 0.25}) is None  # reaching the floor is enough
    assert record.failure({"f1": 0.3, "exact_match": 0.0}) == "f1 = 0.2500 < item floor 0.3"
    assert record.failure({"f1": 0.5, "exact_match": 0.5}) == (
        "f1 = 0.2500 < item floor 0.5; exact_match = 0.0000 < item floor 0.5"
    )
    assert full_record(error="ProviderError: 503").failure({}) == "ProviderError: 503"


def test_the_facts_read_from_metadata_and_the_outcome():
    record = full_record()
    assert (record.subset, record.example_key) == ("qasper", "qasper/ex1")
    plain = full_record(metadata={})
    assert (plain.subset, plain.example_key, plain.repeat) == (None, "ex1", 0)
    assert (plain.truncated, plain.cached) == (False, False)
    flagged = full_record(metadata={"repeat": 2, "truncated": True, "cached": True})
    assert (flagged.repeat, flagged.truncated, flagged.cached) == (2, True, True)
    assert record.finished
    assert not full_record(error="boom").finished
    assert not full_record(skip_reason="budget reached").finished


def test_no_stage_means_no_cost_and_no_prompt_no_digest():
    bare = full_record(usage={}, prompt=[])
    assert bare.cost_usd is None and (bare.input_tokens, bare.latency_ms) == (0, 0)
    assert bare.prompt_sha256() is None


def test_latency_is_rounded_to_the_microsecond_in_rows_and_properties():
    record = full_record(usage={"model": StageUsage(1, 1, 1.23456, 0.0)})
    assert raw_row(record)["latency_ms"] == 1.235
    assert dict(junit_properties(record))["latency_ms"] == 1.235


def test_junit_properties_name_other_stages_and_a_truncated_input():
    props = dict(junit_properties(full_record(metadata={"truncated": True})))
    assert props["truncated"] is True and "subset" not in props
    assert "model.input_tokens" not in props and props["compressor.cost_usd"] == 0.0005
    assert "truncated" not in dict(junit_properties(full_record()))
    blank = dict(junit_properties(full_record(raw_output=["  \n"])))
    assert "raw_output" not in blank  # only whitespace: nothing to show


def test_an_old_row_without_token_fields_resumes_with_zero_usage():
    old = {"experiment_id": "x", "id": "e", "example_index": 0, "model": "m", "pred": "p",
           "gold": ["p"], "metrics": {"f1": 1}}  # fmt: skip
    record = from_raw_row(old)
    assert record.usage == {"model": StageUsage(0, 0, 0.0, None)}
    assert record.scores == {"f1": 1.0} and isinstance(record.scores["f1"], float)


def test_small_parts_are_shared_up_to_four_items_of_up_to_64_characters():
    def kept(**changes):
        return full_record(**changes).compact()

    four = {f"m{i}": 1.0 for i in range(4)}
    five = {f"m{i}": 1.0 for i in range(5)}
    assert kept(scores=dict(four)).scores is kept(scores=dict(four)).scores
    assert kept(scores=dict(five)).scores is not kept(scores=dict(five)).scores
    assert kept(references=["a"] * 4).references is kept(references=["a"] * 4).references
    assert kept(references=["a"] * 5).references is not kept(references=["a"] * 5).references
    at_limit = ["y" * 64]
    assert kept(references=list(at_limit)).references is kept(references=list(at_limit)).references
    answer = "z" * 64
    assert kept(prediction="".join([answer[:1], answer[1:]])).prediction is sys.intern(answer)
    longer = "z" * 65
    assert kept(prediction="".join([longer[:1], longer[1:]])).prediction is not (
        kept(prediction="".join([longer[:2], longer[2:]])).prediction
    )
    assert kept(metadata={"tags": ["a"]}).metadata == {"tags": ["a"]}  # unhashable: kept as is
    too_long = ["y" * 65]
    assert kept(references=list(too_long)).references is not (
        kept(references=list(too_long)).references
    )


def test_a_stage_without_figures_used_nothing_at_an_unknown_price():
    assert StageUsage() == StageUsage(0, 0, 0.0, None)
