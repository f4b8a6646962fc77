"""A summary's ``failures``: example order, own class, redacted and cut, capped."""

from __future__ import annotations

from parity.analysis.aggregation import Aggregator
from parity.analysis.failures import ERROR_CHARS, MAX_FAILURES
from parity.config.config import parse_config
from parity.record.record import EvalRecord
from tests.conftest import experiment


def failed(index: int, error: str) -> EvalRecord:
    return EvalRecord("exp_a", f"e{index}", index, "m", error=error)


def test_failures_are_listed_in_example_order_with_their_own_class(monkeypatch):
    monkeypatch.setenv("PARITY_TEST_API_KEY", "sk-listed-secret-12345")
    agg = Aggregator(parse_config([experiment()], "t.yaml").experiments)
    arrivals = [
        failed(7, "CircuitOpenError: failing (last error: request deadline of 5 s)"),
        failed(2, "APITimeoutError: Request timed out."),
        failed(5, "APIStatusError: 500 key sk-listed-secret-12345 " + "x" * 2000),
    ]
    for record in arrivals:
        agg.add_report("exp_a", "failed", record)
    failures = agg.outcomes["exp_a"].summary()["failures"]
    assert [(f["example_id"], f["error_class"]) for f in failures] == [
        ("e2", "timeout"), ("e5", "error"), ("e7", "error"),
    ]  # fmt: skip
    assert failures[1]["error"].startswith("APIStatusError: 500 key *** xxx")
    assert len(failures[1]["error"]) == ERROR_CHARS


def test_failures_beyond_the_cap_are_counted():
    agg = Aggregator(parse_config([experiment()], "t.yaml").experiments)
    for index in range(MAX_FAILURES + 3):
        agg.add_report("exp_a", "failed", failed(index, "ConnectError: connection refused"))
    summary = agg.outcomes["exp_a"].summary()
    assert len(summary["failures"]) == MAX_FAILURES
    assert summary["n_failures_not_listed"] == 3
