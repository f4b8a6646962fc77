"""AST mutants of one module's source: the operators of issue 35's audit.

Each mutant changes one node: a comparison flipped or moved off its boundary (``<`` to ``>=``
or ``<=``), a number constant moved by one, ``and``/``or`` swapped, a statement inside a
function deleted (replaced by ``pass``), or a ``return`` of a value made ``return None``.
Docstrings, annotations, imports and ``if TYPE_CHECKING:`` blocks are left alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

_SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip
# each comparison's negation first, then its boundary neighbour
_FLIPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.GtE, ast.LtE), ast.LtE: (ast.Gt, ast.Lt),
    ast.Gt: (ast.LtE, ast.GtE), ast.GtE: (ast.Lt, ast.Gt),
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,), ast.NotIn: (ast.In,),
}  # fmt: skip
_KEPT_STATEMENTS = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom,
    ast.Return, ast.Pass, ast.Global, ast.Nonlocal,
)  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    """One change to a module: where it is (1-based line), what it does, and the new source."""

    line: int
    change: str
    source: str


def mutants(source: str) -> Iterator[Mutant]:
    """Every mutant of ``source``, in a stable order (the order of :func:`ast.walk`)."""
    for index, choice, line, change in _sites(ast.parse(source)):
        tree = ast.parse(source)
        node = _nth_node(tree, index)
        _apply(node, choice)
        yield Mutant(line, change, ast.unparse(tree))


def _nth_node(tree: ast.AST, index: int) -> ast.AST:
    for position, node in enumerate(ast.walk(tree)):
        if position == index:
            return node
    raise IndexError(index)


def _skipped(tree: ast.AST) -> set[int]:
    """ids of the nodes never mutated: docstrings, annotations, TYPE_CHECKING blocks."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(child) for child in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            skip(body[0])
        if isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        if isinstance(node, ast.arg):
            skip(node.annotation)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip(node.returns)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip(node)
    return skipped


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _sites(tree: ast.AST) -> Iterator[tuple[int, object, int, str]]:
    """(node index, choice, line, description) of each possible mutation."""
    skipped = _skipped(tree)
    in_function = {
        id(statement)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for child in ast.walk(node)
        for field in ("body", "orelse", "finalbody")
        if isinstance(getattr(child, field, None), list)
        for statement in getattr(child, field)
    }
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skipped:
            continue
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                for new in _FLIPS[type(op)]:
                    change = f"`{_SYMBOL[type(op)]}` -> `{_SYMBOL[new]}`"
                    yield index, ("compare", position, new), line, change
        elif isinstance(node, ast.BoolOp):
            new_op = "or" if isinstance(node.op, ast.And) else "and"
            old_op = "and" if new_op == "or" else "or"
            yield index, ("boolop",), line, f"`{old_op}` -> `{new_op}`"
        elif _is_number(node):
            assert isinstance(node, ast.Constant)
            for step in (1, -1):
                change = f"{node.value!r} -> {node.value + step!r}"
                yield index, ("constant", step), line, change
        elif isinstance(node, ast.Return) and not _returns_none(node):
            yield index, ("return_none",), line, "return None"
        if id(node) in in_function and not isinstance(node, _KEPT_STATEMENTS):
            yield index, ("delete",), line, f"statement deleted: {_first_line(node)}"


def _is_number(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    )


def _returns_none(node: ast.Return) -> bool:
    return node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None)


def _first_line(node: ast.AST) -> str:
    text = ast.unparse(node).splitlines()[0]
    return text if len(text) <= 60 else text[:57] + "..."


def _apply(node: ast.AST, choice: tuple) -> None:
    kind = choice[0]
    if kind == "compare":
        assert isinstance(node, ast.Compare)
        node.ops[choice[1]] = choice[2]()
    elif kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "constant":
        assert isinstance(node, ast.Constant)
        node.value = node.value + choice[1]
    elif kind == "return_none":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    elif kind == "delete":
        # turn the statement into `pass` in place: same position, a body is never left empty
        node.__class__ = ast.Pass
        node.__dict__.clear()
        node.lineno = node.end_lineno = 1  # type: ignore[attr-defined]
        node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]
