"""The one YAML reader for every file Parity loads (experiment configs, prompt templates,
training configs, the pricing table): UTF-8 only, no duplicate keys, nesting and aliases
bounded.

Values nest at most ``MAX_DEPTH`` mappings or lists deep: deeper ones would overflow Python's
recursion (copying, merging and hashing configs recurse) far from the file that caused it.

An alias (``*name``) repeats its anchor's whole value without copying it in the file, so a
few hundred bytes of nested aliases can stand for gigabytes once serialized into a request.
Aliases may add at most ``ALIAS_FACTOR`` times the file's own size (and at least
``MIN_ALIAS_BUDGET`` characters); a file over that is refused before anything is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from parity.config.schema import Context

ALIAS_FACTOR = 10
MAX_DEPTH = 100
MIN_ALIAS_BUDGET = 1_000_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_file(path: Path, source: str = "eval config") -> Any:
    """Parse the YAML file at ``path`` (a ``source``: "eval config", "prompt template"...);
    raise ConfigError naming the file, line and fix when it is not UTF-8, not valid YAML,
    repeats a key, or expands too far."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise Context(str(path), source=source).error(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} (line {line})",
            fix="re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 FILE > NEW_FILE)",
        ) from None
    return load_yaml_text(text, str(path), source)


def load_yaml_text(text: str, path: str, source: str = "eval config") -> Any:
    """Parse YAML ``text`` read from ``path`` (named in errors), as :func:`load_yaml_file`."""
    ctx = Context(path, source=source)
    loader = _Loader(text)
    loader.ctx = ctx
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "*" in text:  # no alias without one: a large plain config skips the walk
            _check_expansion(node, ctx, max(MIN_ALIAS_BUDGET, ALIAS_FACTOR * len(text)))
        _check_depth(node, ctx)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or str(exc)
        raise ctx.error(
            f"not valid YAML{where}: {problem}", fix="correct the YAML syntax"
        ) from None
    except yaml.YAMLError as exc:
        raise ctx.error(f"not valid YAML: {exc}", fix="correct the YAML syntax") from None
    finally:
        loader.dispose()


class _Loader(_BASE_LOADER):
    """The safe loader, refusing a key given twice in one mapping (YAML forbids it; PyYAML
    keeps the last value silently)."""

    ctx = Context("<yaml>")

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue  # merged keys may be overridden; complex keys are PyYAML's to judge
            key = self.construct_object(key_node)
            earlier = first.setdefault(key, key_node)
            if earlier is not key_node:
                raise self.ctx.error(
                    f"the key '{key}' appears twice in one mapping (lines "
                    f"{earlier.start_mark.line + 1} and {key_node.start_mark.line + 1}); "
                    "YAML would silently keep only the last one",
                    fix=f"remove one of the two '{key}:' lines",
                    key=str(key),
                )
        return super().construct_mapping(node, deep=deep)


def _children(node: Node) -> Iterator[tuple[str, Node, Node]]:
    """Each child of ``node`` with its label (key or index) and the node that marks it."""
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield f"[{index}]", item, node
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            label = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            yield "", key_node, key_node
            yield label, value_node, key_node


def _expanded_sizes(root: Node, ctx: Context) -> dict[int, int]:
    """The size (characters of scalars, plus one per node) of every node with its aliases
    expanded, computed once per distinct node; a node that contains itself is refused."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            own = len(node.value) if isinstance(node, ScalarNode) else 0
            sizes[id(node)] = 1 + own + sum(sizes[id(c)] for _, c, _ in _children(node))
            open_nodes.discard(id(node))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise ctx.error(
                f"the anchor at line {node.start_mark.line + 1} is used inside its own value, "
                "which makes an endless structure",
                fix="remove the alias that points back to its enclosing anchor",
            )
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for _, child, _ in _children(node))
    return sizes


def _check_expansion(root: Node, ctx: Context, budget: int) -> None:
    """Refuse a document whose aliases add more than ``budget`` to its size, naming the key
    and line of the alias that crosses it."""
    sizes = _expanded_sizes(root, ctx)
    added = 0
    seen = {id(root)}
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, key = stack.pop()
        later: list[tuple[Node, str]] = []
        for label, child, marker in _children(node):
            child_key = f"{key}.{label}" if key and label and label[0] != "[" else key + label
            if id(child) not in seen:
                seen.add(id(child))
                later.append((child, child_key))
                continue
            added += sizes[id(child)]
            if added > budget:
                raise ctx.error(
                    f"YAML aliases expand the file past {budget:,} characters (limit: "
                    f"{ALIAS_FACTOR}x the file, at least {MIN_ALIAS_BUDGET:,}); the alias at "
                    f"line {marker.start_mark.line + 1} crosses it",
                    fix="write the values out, or use fewer nested aliases",
                    key=child_key or None,
                )
        stack.extend(reversed(later))


def _heights(root: Node) -> dict[int, int]:
    """How many mappings or lists deep each node nests (a scalar: 0), once per distinct node
    (aliases shared; a node inside its own value was refused by :func:`_check_expansion`)."""
    heights: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            inner = (heights[id(child)] for _, child, _ in _children(node))
            heights[id(node)] = 0 if isinstance(node, ScalarNode) else 1 + max(inner, default=0)
        elif id(node) not in heights:
            stack.append((node, True))
            stack.extend((child, False) for _, child, _ in _children(node))
    return heights


def _check_depth(root: Node, ctx: Context) -> None:
    """Refuse values nested more than ``MAX_DEPTH`` mappings or lists deep, naming the line
    where the first level past the limit starts and the key that holds it."""
    heights = _heights(root)
    if heights[id(root)] <= MAX_DEPTH:
        return
    node, key = root, ""
    for _ in range(MAX_DEPTH):  # follow the deepest child down to the first level too deep
        label, node, _ = max(_children(node), key=lambda found: heights[id(found[1])])
        if len(key) < 60:
            key = f"{key}.{label}" if key and label and label[0] != "[" else key + label
    raise ctx.error(
        f"values nest {heights[id(root)]} mappings or lists deep (limit: {MAX_DEPTH}); "
        f"level {MAX_DEPTH + 1} starts at line {node.start_mark.line + 1}",
        fix=f"flatten the value to at most {MAX_DEPTH} levels (a JSON string, or fewer levels)",
        key=key or None,
    )
