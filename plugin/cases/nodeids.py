"""Read Parity's case id back out of a pytest node id."""

from __future__ import annotations

EVAL_TEST = "test_example["  # the experiment test's name in every config item's node id


def case_param(nodeid: str) -> str | None:
    """The parametrize id of ``path::test_example[<case id>]``, or None for other node ids."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    return nodeid.rsplit("[", 1)[1][:-1]
