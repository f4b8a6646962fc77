"""Prompt templates: one YAML file per template with a ``system`` and a ``user`` part, and
optionally ``examples``: worked examples, each a mapping of strings (values for the
placeholders plus what its caller needs, e.g. a judge's reasoning and verdict), that a
caller may send as earlier turns (a judge's rubric does; tasks take their shots from data)."""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from parity.config.errors import DataError
from parity.config.yaml_loader import load_yaml_file, load_yaml_text

_FIELDS = string.Formatter()
_SOURCE = "prompt template"


@dataclass(frozen=True)
class PromptTemplate:
    """A chat prompt with ``{placeholder}`` fields filled from an example."""

    name: str
    system: str
    user: str
    examples: tuple[Mapping[str, str], ...] = dataclass_field(default=(), compare=False)

    def __post_init__(self) -> None:
        for part in (self.system, self.user):
            _check_fields(self.name, part)

    @cached_property
    def placeholders(self) -> frozenset[str]:
        """The placeholder names the template uses (parsed once: it renders every item)."""
        return frozenset(
            name
            for part in (self.system, self.user)
            for _, name, _, _ in _FIELDS.parse(part)
            if name
        )

    @cached_property
    def sha256(self) -> str:
        """The hash of the template's text (system and user parts)."""
        text = json.dumps([self.system, self.user])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def fields(self) -> set[str]:
        """The placeholder names the template uses."""
        return set(self.placeholders)

    def render(self, values: dict[str, str]) -> list[dict[str, str]]:
        """Return OpenAI-style chat messages with the placeholders filled in."""
        missing = self.placeholders - set(values)
        if missing:
            raise DataError(f"prompt '{self.name}' needs value(s) for {', '.join(sorted(missing))}")
        messages = []
        if self.system.strip():
            messages.append({"role": "system", "content": self.system.format_map(values).strip()})
        messages.append({"role": "user", "content": self.user.format_map(values).strip()})
        return messages


def template_names() -> list[str]:
    """Names of the templates that ship with Parity."""
    root = resources.files(__name__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=64)
def load_template(name_or_path: str) -> PromptTemplate:
    """Load a shipped template by name, or a user's template from a ``.yaml`` path."""
    data, name = _template_data(name_or_path)
    parts = ("system", "user")
    if (
        not isinstance(data, dict)
        or "user" not in data
        or not all(isinstance(data.get(part, ""), str) for part in parts)
    ):
        raise DataError(
            f"prompt template '{name_or_path}' needs a 'user' part (and may have 'system'), "
            "each a string"
        )
    examples = data.get("examples") or []
    if not isinstance(examples, list) or not all(
        isinstance(e, dict) and all(isinstance(v, str) for v in e.values()) for e in examples
    ):
        raise DataError(
            f"prompt template '{name_or_path}': 'examples' must be a list of mappings of "
            "strings (placeholder values, e.g. question: ..., answer: ...)"
        )
    return PromptTemplate(
        name=name, system=data.get("system", ""), user=data["user"], examples=tuple(examples)
    )


def _template_data(name_or_path: str) -> tuple[Any, str]:
    """The parsed YAML of a template file or shipped template, and the template's name."""
    if name_or_path.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
        if not path.exists():
            raise DataError(f"prompt template file {path} does not exist")
        return load_yaml_file(path, _SOURCE) or {}, path.stem
    resource = resources.files(__name__) / f"{name_or_path}.yaml"
    if not resource.is_file():
        raise DataError(
            f"unknown prompt template '{name_or_path}'; shipped: {', '.join(template_names())}"
        )
    return load_yaml_text(
        resource.read_text(encoding="utf-8"), name_or_path, _SOURCE
    ) or {}, name_or_path


def _check_fields(name: str, text: str) -> None:
    """Refuse what ``str.format`` would do beyond filling a named field: format specs
    (``{question:>999999999}`` pads to a gigabyte), conversions (``{question!r}``) and empty
    or broken braces, which would fail every item at render time."""
    try:
        parsed = list(_FIELDS.parse(text))
    except ValueError as exc:
        raise DataError(
            f"prompt '{name}': {exc}; write {{{{ and }}}} for a literal brace"
        ) from None
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field:
            raise DataError(
                f"prompt '{name}' has an empty placeholder {{}}; name a field, e.g. "
                "{question}, or write {{}} for literal braces"
            )
        if spec or conversion:
            shown = (
                f"{{{field}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            )
            raise DataError(
                f"prompt '{name}' uses the placeholder {shown}: format specs and conversions "
                f"are not allowed (a width such as :>999999999 makes a gigabyte prompt); "
                f"write {{{field}}}"
            )
