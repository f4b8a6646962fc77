"""Declarative checks for mappings read from YAML: allowed keys, required keys and types."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parity.config.errors import ConfigError
from parity.config.registry import closest

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}


def positive(value: Any) -> str | None:
    """A ``Field.check``: the value must be greater than 0."""
    return None if value > 0 else f"must be greater than 0, got {value}"


def non_negative(value: Any) -> str | None:
    """A ``Field.check``: the value must be 0 or more."""
    return None if value >= 0 else f"must be 0 or more, got {value}"


@dataclass(frozen=True)
class Field:
    """One allowed key: its type(s), whether it is required, and a nested schema for mappings."""

    types: tuple[type, ...]
    required: bool = False
    children: Mapping[str, Field] | None = None
    choices: tuple[Any, ...] | None = None
    nullable: bool = False
    example: str = ""
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)
    items: type | None = None  # a list's element type, when every element must have one

    def describe(self) -> str:
        """Human words for the accepted type(s)."""
        return " or ".join(self._type_name(t) for t in self.types)

    def _type_name(self, kind: type) -> str:
        if kind is list and self.items is not None:
            element = _TYPE_NAMES.get(self.items, self.items.__name__).split(" ", 1)[-1]
            return f"a list of {element}s"
        return _TYPE_NAMES.get(kind, kind.__name__)

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has an accepted type (and, for a list, accepted elements)."""
        if not _type_ok(value, self):
            return False
        if self.items is None or not isinstance(value, list):
            return True
        return all(_type_ok(item, Field((self.items,))) for item in value)


@dataclass(frozen=True)
class Context:
    """Where a value sits, so every error names file, experiment and dotted key."""

    path: str
    experiment: str | None = None
    prefix: str = ""
    source: str = "eval config"  # what holds the values: "eval config", "parity marker"

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def child(self, name: str) -> Context:
        return Context(self.path, self.experiment, f"{self.prefix}{name}.", self.source)

    def error(self, problem: str, key: str | None = None, fix: str | None = None) -> ConfigError:
        return ConfigError(
            self.path, problem, experiment=self.experiment, key=key, fix=fix, source=self.source
        )


def _type_ok(value: Any, spec: Field) -> bool:
    if value is None:
        return spec.nullable
    if isinstance(value, bool) and bool not in spec.types:
        return False
    if float in spec.types and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, spec.types)


def check_mapping(
    data: Any, schema: Mapping[str, Field], ctx: Context, what: str, partial: bool = False
) -> None:
    """Raise ConfigError on the first unknown key, missing required key, or wrong type.

    ``partial`` checks only the keys ``schema`` names (other keys are checked later, once
    the entry that declares them is known).
    """
    if not isinstance(data, Mapping):
        raise ctx.error(
            f"{what} must be a mapping of keys to values, got {type(data).__name__}",
            key=ctx.prefix.rstrip(".") or None,
        )
    for key in data:
        if key not in schema and not partial:
            hint = closest(str(key), list(schema))
            fix = f"did you mean '{ctx.key(hint)}'?" if hint else None
            valid = ", ".join(schema)
            raise ctx.error(
                f"unknown key in {what}; valid keys are: {valid}",
                key=ctx.key(str(key)),
                fix=fix or f"remove it or use one of: {valid}",
            )
    for key, spec in schema.items():
        if key not in data:
            if spec.required:
                example = f" e.g. {spec.example}" if spec.example else ""
                raise ctx.error(
                    f"required key is missing from {what}",
                    key=ctx.key(key),
                    fix=f"add '{key}:' ({spec.describe()}){example}",
                )
            continue
        value = data[key]
        if not spec.accepts(value):
            raise ctx.error(
                f"expected {spec.describe()}, got {type(value).__name__} {value!r}",
                key=ctx.key(key),
                fix=f"set '{key}' to {spec.describe()}"
                + (f", e.g. {spec.example}" if spec.example else ""),
            )
        if spec.choices is not None and value not in spec.choices:
            hint = closest(str(value), [str(c) for c in spec.choices])
            raise ctx.error(
                f"{value!r} is not one of {', '.join(map(str, spec.choices))}",
                key=ctx.key(key),
                fix=f"did you mean '{hint}'?"
                if hint
                else f"use one of {', '.join(map(str, spec.choices))}",
            )
        if spec.check is not None and value is not None:
            problem = spec.check(value)
            if problem:
                raise ctx.error(problem, key=ctx.key(key))
        if spec.children is not None and isinstance(value, Mapping):
            check_mapping(value, spec.children, ctx.child(key), f"'{ctx.key(key)}'")
