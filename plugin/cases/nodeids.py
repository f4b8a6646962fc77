"""Read Parity's case id back out of a pytest node id."""

from __future__ import annotations

EVAL_TEST = "test_example["  # the experiment test's name in every config item's node id


def case_param(nodeid: str) -> str | None:
    """The parametrize id of ``path::test_example[<case id>]``, or None for other node ids."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    return nodeid.rsplit("[", 1)[1][:-1]


def case_id_of(nodeid: str) -> str | None:
    """The case id of a config item's node id: ``path.py::test_example[<case id>]`` (the
    experiment module's item) or ``config.yaml::<experiment id>[<example>]`` (the config
    file's); None for any other node id (a Python test's)."""
    param = case_param(nodeid)
    if param is None or EVAL_TEST in nodeid:
        return param
    path, _, name = nodeid.rpartition("::")
    if not path or path.endswith(".py"):
        return None
    return f"{name.rsplit('[', 1)[0]}-{param}"
