"""Sampling is deterministic, sorted, and identical in another process."""

import subprocess
import sys

from parity.cases.sampling import sample_indices


def test_all_rows_when_no_limit_or_limit_too_large():
    assert sample_indices(5, None, 1) == [0, 1, 2, 3, 4]
    assert sample_indices(5, 9, 1) == [0, 1, 2, 3, 4]


def test_sample_is_sorted_unique_and_seed_dependent():
    first = sample_indices(100, 10, 42)
    assert first == sorted(set(first)) and len(first) == 10
    assert sample_indices(100, 10, 42) == first
    assert sample_indices(100, 10, 43) != first


def test_sample_is_identical_in_a_fresh_process_with_other_hash_seed():
    code = "from parity.cases.sampling import sample_indices; print(sample_indices(1000, 7, 42))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123"},
    ).stdout
    assert out.strip() == str(sample_indices(1000, 7, 42))
