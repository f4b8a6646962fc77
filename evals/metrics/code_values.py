"""Read a value the sandbox sent back (:func:`parity.evals.metrics.code_server.plain`) in the
trusted process: only plain data of built-in types is ever built, never an object of the
candidate's, so comparing it runs no code of the candidate's."""

from __future__ import annotations

from typing import Any


class NotPlainData(ValueError):
    """The sandbox's reply is not a well-formed plain value."""


def _exact(payload: Any, kind: type) -> Any:
    if type(payload) is not kind:
        raise NotPlainData(f"expected a {kind.__name__}, got a {type(payload).__name__}")
    return payload


def _items(payload: Any) -> list[Any]:
    return [read_value(item) for item in _exact(payload, list)]


def text(payload: Any) -> str:
    """A string sent as the hex of its UTF-8 bytes (lone surrogates kept)."""
    return bytes.fromhex(_exact(payload, str)).decode("utf-8", "surrogatepass")


def read_value(tagged: Any) -> Any:
    """The value ``[tag, payload]`` stands for; NotPlainData when it is malformed."""
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
        return {read_value(key): read_value(value) for key, value in pairs}
    containers = {"L": list, "T": tuple, "E": set, "Z": frozenset}
    if tag in containers:
        return containers[tag](_items(payload))
    raise NotPlainData(f"unknown tag {tag!r}")
