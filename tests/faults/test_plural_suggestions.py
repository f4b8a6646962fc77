"""A config key written in the singular (``threshold``, ``metric``, ``item_threshold``) is
told its plural key, not a longer key that starts with the same word (``threshold_mode``)."""

from __future__ import annotations

import pytest

from parity.config.config import parse_config
from parity.config.errors import ConfigError
from parity.config.suggest import closest
from tests.support.pytest_runs import one_experiment

KEYS = ["threshold_mode", "thresholds", "item_thresholds", "metrics", "metric_options"]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("threshold", "thresholds"),
        ("metric", "metrics"),
        ("item_threshold", "item_thresholds"),
        ("thresholds_mode", "threshold_mode"),
    ],
)
def test_the_plural_ranks_first(written, meant):
    assert closest(written, KEYS) == meant


def test_a_threshold_key_is_told_thresholds():
    experiment = one_experiment()
    experiment["threshold"] = {"f1": 0.5}
    with pytest.raises(ConfigError) as raised:
        parse_config([experiment], "x.yaml")
    assert "did you mean 'thresholds'?" in str(raised.value)
