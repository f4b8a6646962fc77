"""MBPP asserts checked in the trusted process, the candidate's calls answered by the sandbox.

Each assert line is parsed with :mod:`ast`. Every part of its expression that mentions a name
other than the trusted ones below (the function under test, names from ``test_setup_code``)
is a *call*: its source is sent to the sandbox, which evaluates it and returns plain data.
Everything else (the expected values, ``==``, ``set(...)``, ``math.isclose(...)``) is
evaluated here, on that plain data, and never sent. So the candidate sees the inputs of each
assert but never the expected side, and no object of its own ever reaches the comparison.

A call absorbs single-argument conversions around it (``list(f(x))``, ``set(f(x))``), so a
function returning a ``map`` or a generator still passes where the assert converts it.
An assert whose trusted part uses anything outside a small expression language (a
comprehension, a lambda, a method call on a literal, a ``math`` function outside
:data:`TRUSTED_ATTRIBUTES`, ``**``, ``<<`` and ``*`` on a returned value, which could make a
huge number or list here, ``*`` by a number up to 10 being kept, or ``%`` on one, which could
format a huge string) is refused with a ValueError naming it. So that no check takes more
than bounded time on a crafted reply, ``set``, ``frozenset`` and ``dict`` here refuse elements
whose hashes collide (:func:`~parity.evals.metrics.code_values.hashable_safely`), ``sum``
adds numbers only, ``bytes`` takes no size and ``round`` no ``ndigits`` below -1000.
"""

from __future__ import annotations

import ast
import builtins
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from parity.evals.metrics.code_values import hashable_safely

TRUSTED_NAMES: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "bytes", "complex", "dict", "divmod", "float",
        "frozenset", "int", "len", "list", "max", "min", "reversed", "round", "set",
        "sorted", "str", "sum", "tuple",
    )
}  # fmt: skip


def _set(values: Any = (), /) -> set[Any]:
    return set(hashable_safely(values))


def _frozenset(values: Any = (), /) -> frozenset[Any]:
    return frozenset(hashable_safely(values))


def _dict(pairs: Any = (), /, **named: Any) -> dict[Any, Any]:
    items = [(key, value) for key, value in (pairs.items() if isinstance(pairs, dict) else pairs)]
    items += named.items()
    hashable_safely(key for key, _ in items)
    return dict(items)


def _sum(values: Any, /, start: Any = 0) -> Any:
    if type(start) not in (int, float, complex):
        raise TypeError("sum here adds numbers only (adding lists or tuples is quadratic)")
    return sum(values, start)


def _bytes(*args: Any) -> bytes:
    if args and isinstance(args[0], int):
        raise TypeError("bytes(n) of a returned n could be of any size")
    return bytes(*args)


def _round(number: Any, ndigits: Any = None) -> Any:
    if isinstance(ndigits, int) and ndigits < -1000:
        raise ValueError("round to more than 1000 digits left of the point computes 10**-ndigits")
    return round(number, ndigits)


TRUSTED_NAMES.update(
    set=_set, frozenset=_frozenset, dict=_dict, sum=_sum, bytes=_bytes, round=_round
)
TRUSTED_MODULES: dict[str, Any] = {"math": math}
# functions and constants that take bounded time whatever their arguments (not factorial,
# comb, perm, prod, pow, ...: ``math.factorial(f(1))`` holds the GIL for as long as f chose)
TRUSTED_ATTRIBUTES = frozenset(
    {
        "isclose", "pi", "e", "tau", "inf", "nan", "isnan", "isinf", "isfinite", "sqrt",
        "floor", "ceil", "fabs", "trunc", "log", "log2", "log10", "exp", "sin", "cos", "tan",
        "asin", "acos", "atan", "atan2", "degrees", "radians", "copysign",
    }
)  # fmt: skip
ABSORBED = frozenset({"list", "tuple", "set", "frozenset", "sorted", "dict", "str"})
CALL = "_parity_call"
_ALLOWED = (
    ast.Expression, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Name, ast.Load,
    ast.UnaryOp, ast.unaryop, ast.BinOp, ast.operator, ast.BoolOp, ast.boolop, ast.Compare,
    ast.cmpop, ast.Call, ast.keyword, ast.IfExp, ast.Subscript, ast.Slice, ast.Attribute,
)  # fmt: skip


class CallFailed(Exception):
    """The sandbox gave no plain value for a call: it raised, ended or replied wrongly."""


def _trusted(name: str) -> bool:
    return name in TRUSTED_NAMES or name in TRUSTED_MODULES


def _head(node: ast.expr) -> ast.expr:
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _is_call(node: ast.expr) -> bool:
    """``node`` is evaluated in the sandbox as a whole."""
    head = _head(node)
    if isinstance(head, ast.Name) and not _trusted(head.id):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ABSORBED
        and len(node.args) == 1
        and not node.keywords
        and _is_call(node.args[0])
    )


class _Split(ast.NodeTransformer):
    """Replaces each call by ``_parity_call(i)`` and collects its source."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr) and _is_call(node):
            self.calls.append(ast.unparse(node))
            index = ast.Constant(len(self.calls) - 1)
            return ast.copy_location(ast.Call(ast.Name(CALL, ast.Load()), [index], []), node)
        return self.generic_visit(node)


@dataclass(frozen=True)
class Check:
    """One assert: the calls the sandbox answers, and the rest, evaluated here."""

    source: str
    calls: tuple[str, ...]
    test: Any  # the compiled trusted expression


def _refusal(node: ast.AST) -> str | None:
    """What in the trusted part cannot be evaluated here (every unknown name is a call)."""
    if not isinstance(node, _ALLOWED):
        return f"{type(node).__name__} outside the function's calls"
    if isinstance(node, ast.Attribute) and not (
        isinstance(node.value, ast.Name)
        and node.value.id in TRUSTED_MODULES
        and node.attr in TRUSTED_ATTRIBUTES
    ):
        return f"the attribute {ast.unparse(node)!r}"
    if isinstance(node, ast.BinOp) and _grows(node):
        return f"{ast.unparse(node)!r}, which can make a value of any size from a small reply"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _has_call(node.left):
        return f"{ast.unparse(node)!r}, which formats a returned string to any size"
    return None


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == CALL for n in ast.walk(node))


def _small_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
        and abs(node.value) <= 10
    )


def _grows(node: ast.BinOp) -> bool:
    """``**``, ``<<`` or ``*`` with a returned value in it (``*`` by a number up to 10 is kept)."""
    if not isinstance(node.op, (ast.Pow, ast.LShift, ast.Mult)) or not _has_call(node):
        return False
    return not (
        isinstance(node.op, ast.Mult) and (_small_number(node.left) or _small_number(node.right))
    )


def parse_assert(line: str) -> Check:
    """The check for one MBPP ``assert`` line; ValueError when it cannot be checked here."""
    try:
        module = ast.parse(line.strip())
    except SyntaxError as error:
        raise ValueError(f"MBPP test {line!r} is not valid Python: {error.msg}") from error
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Assert):
        raise ValueError(f"MBPP test {line!r} is not a single assert statement")
    split = _Split()
    test = split.visit(module.body[0].test)
    assert isinstance(test, ast.expr)
    expression = ast.Expression(test)
    ast.fix_missing_locations(expression)
    for node in ast.walk(expression):
        problem = _refusal(node)
        if problem:
            raise ValueError(
                f"MBPP test {line!r} cannot be checked outside the sandbox: it uses {problem}"
            )
    return Check(line, tuple(split.calls), compile(expression, "<assert>", "eval"))


def holds(check: Check, call: Callable[[str], Any]) -> bool:
    """Whether the assert holds, ``call`` answering each call's source with its plain value
    (raising :class:`CallFailed` when there is none)."""
    scope = {"__builtins__": {}, **TRUSTED_NAMES, **TRUSTED_MODULES}
    scope[CALL] = lambda index: call(check.calls[index])
    try:
        return bool(eval(check.test, scope))
    except Exception:  # CallFailed, or the assert raised on the returned data
        return False
