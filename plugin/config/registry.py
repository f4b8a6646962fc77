"""A small name -> implementation registry shared by datasets, tasks, metrics and providers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from parity.config.extensions import load_extensions
from parity.config.suggest import Alias, suggest
from parity.config.suggest import closest as closest  # every "did you mean" uses one matcher

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to registered implementations; one new file registers one new entry."""

    def __init__(self, kind: str, aliases: Mapping[str, Alias] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        # Names users write for an entry (``ollama`` for ``openai-compatible``): suggested,
        # never accepted.
        self.aliases: dict[str, Alias] = dict(aliases or {})

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name``."""

        def decorate(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._entries[name] = obj
            return obj

        return decorate

    @staticmethod
    def _with_extensions() -> None:
        """Make sure installed extensions have registered their entries."""
        load_extensions()

    def get(self, name: str) -> T:
        """Return the entry for ``name``; KeyError names the closest valid one."""
        if name not in self._entries:
            self._with_extensions()
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(self.unknown_message(name)) from None

    def suggestion(self, name: str) -> str | None:
        """``did you mean 'NAME'?`` for an unknown ``name`` (with an alias's advice, such as
        the base URL to use), or None when no entry is close."""
        found = suggest(name, self.names(), self.aliases)
        return found.hint() if found else None

    def unknown_message(self, name: str, suggest: bool = True) -> str:
        """Explain that ``name`` is unknown and (when ``suggest``) suggest the closest valid
        name; a config error passes False, since its Fix line carries the suggestion."""
        hint = self.suggestion(name) if suggest else None
        suggestion = f"{hint} " if hint else ""
        return f"unknown {self.kind} '{name}'; {suggestion}valid: {', '.join(self.names())}"

    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            self._with_extensions()
        return name in self._entries

    def names(self) -> list[str]:
        """All registered names (installed extensions included), sorted."""
        self._with_extensions()
        return sorted(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
