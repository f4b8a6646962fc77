"""Deterministic sampling of examples, identical in every process (serial or xdist worker)."""

from __future__ import annotations

import random


def sample_indices(total: int, num_examples: int | None, seed: int) -> list[int]:
    """Indices of the rows to evaluate, in dataset order.

    All rows when ``num_examples`` is None or not smaller than ``total``; otherwise a
    ``random.Random(seed)`` sample, which depends only on the arguments (no hash
    randomization), so every process draws the same rows.
    """
    if num_examples is None or num_examples >= total:
        return list(range(total))
    return sorted(random.Random(seed).sample(range(total), num_examples))
