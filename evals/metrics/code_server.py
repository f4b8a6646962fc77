"""The program run in the sandbox for MBPP: it loads the candidate's code, then evaluates the
calls the trusted process asks for and answers each with its value as plain data.

This file's source is sent into the sandbox, so it imports nothing beyond ``os`` and ``sys``
(both loaded at start-up: each further import costs tens of milliseconds there). Nothing here
is trusted: the candidate's code runs in the same interpreter and can replace any of it. Its
only job is to let a correct program answer; the trusted process accepts nothing but plain
data for the call it asked (:mod:`parity.evals.metrics.code_values`) and evaluates the
asserts itself.

Protocol, one line each way: the request ``<id> <hex of the call's UTF-8 source>`` on
standard input; the reply, a JSON array ``[id, "ok", <tagged value>]`` or ``[id, "error",
"<hex of the message>"]``, on the descriptor that was standard output when the program
started. The candidate's own standard input reads as empty and its standard output goes to
standard error.
"""

from __future__ import annotations

import os
import sys


def _hex(text: str) -> str:
    return str.encode(text, "utf-8", "surrogatepass").hex()


def plain(value: object) -> list[object]:
    """``value`` as ``[tag, payload]`` of ints, bools, None, lists and ASCII strings only;
    TypeError for anything not built from None, bool, int, float, complex, str, bytes,
    list, tuple, dict, set and frozenset (subclasses are read as their base: a Counter as a
    dict, a namedtuple as a tuple)."""
    if value is None:
        return ["N", None]
    if isinstance(value, bool):
        return ["B", bool(value)]
    if isinstance(value, int):
        return ["I", int(value)]
    if isinstance(value, str):
        return ["S", _hex(value)]
    if isinstance(value, float):
        return ["F", float.__repr__(value)]
    if isinstance(value, complex):
        return ["C", [float.__repr__(value.real), float.__repr__(value.imag)]]
    if isinstance(value, bytes):
        return ["Y", bytes.hex(value)]
    if isinstance(value, dict):
        return ["D", [[plain(k), plain(v)] for k, v in dict.items(value)]]
    if isinstance(value, (list, tuple, set, frozenset)):
        tag = "L" if isinstance(value, list) else "T" if isinstance(value, tuple) else "E"
        tag = "Z" if isinstance(value, frozenset) else tag
        return [tag, [plain(item) for item in value]]
    raise TypeError(f"not plain data: a {type(value).__name__}")


def dumps(value: object) -> str:
    """JSON for what :func:`plain` makes (its strings need no escaping)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, str):
        return f'"{value}"'
    assert isinstance(value, list)
    return "[" + ",".join(dumps(item) for item in value) + "]"


def serve(program: str) -> None:
    """Run ``program`` (setup code and candidate code), then answer requests until EOF."""
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.dup2(2, 1)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(program, "main.py", "exec"), namespace)
    for line in requests:
        number, _, source = line.decode().partition(" ")
        try:
            value = eval(bytes.fromhex(source).decode("utf-8", "surrogatepass"), namespace)
            reply = dumps([int(number), "ok", plain(value)])
        except Exception as error:
            message = _hex(f"{type(error).__name__}: {error}"[:500])
            reply = dumps([int(number), "error", message])
        replies.write(reply.encode() + b"\n")
        replies.flush()
    sys.stdout.flush()
