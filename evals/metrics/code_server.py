"""The program run in the sandbox for MBPP: it loads the candidate's code, then evaluates the
calls the trusted process asks for and answers each with its value as plain data.

This file's source is sent into the sandbox, so it imports nothing from Parity. Nothing here
is trusted: the candidate's code runs in the same interpreter and can replace any of it. Its
only job is to let a correct program answer; the trusted process accepts nothing but plain
data for the call it asked (:mod:`parity.evals.metrics.code_values`) and evaluates the
asserts itself.

Protocol, one JSON object a line: the request ``{"id": n, "expr": "f(1, 2)"}`` on standard
input; the reply ``{"id": n, "value": <tagged value>}`` or ``{"id": n, "error": "..."}`` on
the descriptor that was standard output when the program started. The candidate's own
standard input reads as empty and its standard output goes to standard error.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def plain(value: Any) -> list[Any]:
    """``value`` as ``[tag, payload]`` made of JSON types only; TypeError for anything that
    is not built from None, bool, int, float, complex, str, bytes, list, tuple, dict, set
    and frozenset (subclasses are read as their base: a Counter as a dict)."""
    if value is None:
        return ["N", None]
    if isinstance(value, bool):
        return ["B", bool(value)]
    if isinstance(value, int):
        return ["I", int(value)]
    if isinstance(value, str):
        return ["S", str.__str__(value)]
    if isinstance(value, float):
        return ["F", float.__repr__(value)]
    if isinstance(value, complex):
        return ["C", [float.__repr__(value.real), float.__repr__(value.imag)]]
    if isinstance(value, bytes):
        return ["Y", bytes(value).hex()]
    if isinstance(value, dict):
        return ["D", [[plain(k), plain(v)] for k, v in dict.items(value)]]
    containers: tuple[tuple[type[Any], str], ...] = (
        (list, "L"), (tuple, "T"), (set, "E"), (frozenset, "Z"),
    )  # fmt: skip
    for kind, tag in containers:
        if isinstance(value, kind):
            return [tag, [plain(item) for item in kind.__iter__(value)]]
    raise TypeError(f"not plain data: a {type(value).__name__}")


def serve(program: str) -> None:
    """Run ``program`` (setup code and candidate code), then answer requests until EOF."""
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.dup2(2, 1)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(program, "main.py", "exec"), namespace)
    for line in requests:
        request = json.loads(line)
        try:
            reply = {"id": request["id"], "value": plain(eval(request["expr"], namespace))}
        except Exception as error:
            reply = {"id": request["id"], "error": f"{type(error).__name__}: {error}"[:500]}
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()
    sys.stdout.flush()
