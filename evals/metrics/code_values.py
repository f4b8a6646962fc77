"""Read a value the sandbox sent back (:func:`parity.evals.metrics.code_server.plain`) in the
trusted process: only plain data of built-in types is ever built, never an object of the
candidate's, so comparing it runs no code of the candidate's.

Reading and comparing take bounded time whatever the reply: it may hold at most
:data:`MAX_VALUES` values nested at most :data:`MAX_DEPTH` deep, and no set or dict is built
whose distinct elements (keys) share one hash more than :data:`MAX_SHARED_HASH` times
(``k * (2**61 - 1)`` for every ``k``, or tuples and complex numbers built from such, would
otherwise make building and comparing the set quadratic, in C, holding the GIL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MAX_VALUES = 100_000
MAX_DEPTH = 100
MAX_SHARED_HASH = 8


class NotPlainData(ValueError):
    """The sandbox's reply is not a well-formed plain value."""


def _exact(payload: Any, kind: type) -> Any:
    if type(payload) is not kind:
        raise NotPlainData(f"expected a {kind.__name__}, got a {type(payload).__name__}")
    return payload


def text(payload: Any) -> str:
    """A string sent as the hex of its UTF-8 bytes (lone surrogates kept)."""
    return bytes.fromhex(_exact(payload, str)).decode("utf-8", "surrogatepass")


def hashable_safely(values: Iterable[Any]) -> list[Any]:
    """``values`` as a list, to build a set or dict from in linear time; NotPlainData when
    more than :data:`MAX_SHARED_HASH` distinct ones share a hash (TypeError when one is
    unhashable)."""
    items = list(values)
    distinct: dict[int, list[Any]] = {}
    for item in items:
        bucket = distinct.setdefault(hash(item), [])
        if not any(item == other for other in bucket):
            if len(bucket) == MAX_SHARED_HASH:
                raise NotPlainData(
                    f"more than {MAX_SHARED_HASH} distinct set elements or dict keys share "
                    "one hash, which would make comparing them take quadratic time"
                )
            bucket.append(item)
    return items


class _Reader:
    """Reads one reply, counting its values against :data:`MAX_VALUES`."""

    def __init__(self) -> None:
        self.left = MAX_VALUES

    def items(self, payload: Any, depth: int) -> list[Any]:
        return [self.read(item, depth) for item in _exact(payload, list)]

    def read(self, tagged: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise NotPlainData(f"a reply nests values more than {MAX_DEPTH} deep")
        self.left -= 1
        if self.left < 0:
            raise NotPlainData(f"a reply holds more than {MAX_VALUES} values")
        if type(tagged) is not list or len(tagged) != 2 or type(tagged[0]) is not str:
            raise NotPlainData("a value is [tag, payload]")
        tag, payload = tagged
        if tag == "N" and payload is None:
            return None
        simple = {"B": bool, "I": int}
        if tag in simple:
            return _exact(payload, simple[tag])
        if tag == "S":
            return text(payload)
        if tag == "F":
            return float(_exact(payload, str))
        if tag == "C":
            real, imag = _exact(payload, list)
            return complex(float(_exact(real, str)), float(_exact(imag, str)))
        if tag == "Y":
            return bytes.fromhex(_exact(payload, str))
        if tag == "D":
            pairs = [_exact(pair, list) for pair in _exact(payload, list)]
            if any(len(pair) != 2 for pair in pairs):
                raise NotPlainData("a dict item is [key, value]")
            items = [
                (self.read(key, depth + 1), self.read(value, depth + 1)) for key, value in pairs
            ]
            hashable_safely(key for key, _ in items)
            return dict(items)
        containers = {"L": list, "T": tuple}
        if tag in containers:
            return containers[tag](self.items(payload, depth + 1))
        hashed = {"E": set, "Z": frozenset}
        if tag in hashed:
            return hashed[tag](hashable_safely(self.items(payload, depth + 1)))
        raise NotPlainData(f"unknown tag {tag!r}")


def read_value(tagged: Any) -> Any:
    """The value ``[tag, payload]`` stands for; NotPlainData when it is malformed or too big
    to compare in bounded time."""
    return _Reader().read(tagged, 0)
