"""The one fuzzy matcher behind every "did you mean" in Parity: registry names (metrics,
datasets, tasks, providers, compressors), config keys and choices, prompt placeholders,
provider aliases (``ollama`` -> ``openai-compatible``), data files and marker names.

A name matches a candidate, best first, when they are equal; equal up to case and
separators (``rouge-l`` / ``rougeL``, ``openai_compatible`` / ``openai-compatible``);
equal once a noise suffix is dropped (``f1_score`` / ``f1``) or up to a plural ``s``
(``threshold`` / ``thresholds``); the same words in another
order (``f1_macro`` / ``macro_f1``); the only candidate that starts or ends with the name's
words (``rag`` / ``rag_qa``); or a few typing slips apart (``hotpotq`` / ``hotpotqa``,
``questoin`` / ``question``), where short names allow fewer slips than long ones. Anything
further gets no suggestion: a wrong guess is worse than none.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# Words users add to a name without changing what it names (``f1_score``, ``bleu_metric``),
# longest first.
NOISE_SUFFIXES = ("scores", "score", "metric")

# What ``pytest -m`` reads as one identifier (``_pytest/mark/expression.py``), and quoted
# strings, which are left alone.
_MARK_TOKEN = re.compile(r"\"[^\"]*\"|'[^']*'|(?:\w|:|\+|-|\.|\[|\]|\\|/)+")
_MARK_KEYWORDS = frozenset({"and", "or", "not", "True", "False", "None"})


@dataclass(frozen=True)
class Alias:
    """Another name users write for a candidate (``ollama`` for ``openai-compatible``) and
    what to do instead (``advice``, shown after the suggestion)."""

    target: str
    advice: str = ""


@dataclass(frozen=True)
class Suggestion:
    """The candidate to suggest and, when an alias led to it, that alias."""

    name: str
    alias: Alias | None = None

    def hint(self) -> str:
        """``did you mean 'NAME'?``, followed by the alias's advice when there is one."""
        text = f"did you mean '{self.name}'?"
        if self.alias is not None and self.alias.advice:
            text += f" ({self.alias.advice})"
        return text


@dataclass(frozen=True)
class _Key:
    """A name as the matcher compares it."""

    words: tuple[str, ...]
    squashed: str  # the words joined: case and separators gone
    core: str  # ``squashed`` without a noise suffix

    @classmethod
    def of(cls, name: str) -> _Key:
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.replace("@", "_at_"))
        words = tuple(word for word in re.split(r"[\W_]+", spaced.casefold()) if word)
        squashed = "".join(words)
        core = squashed
        for suffix in NOISE_SUFFIXES:
            if squashed.endswith(suffix) and len(squashed) > len(suffix):
                core = squashed[: -len(suffix)]
                break
        return cls(words, squashed, core)


def slips_allowed(length: int) -> int:
    """How many typing slips a name of ``length`` letters may hold and still be matched."""
    if length <= 2:
        return 0
    if length <= 5:
        return 1
    return 2 if length <= 10 else 3


def typing_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _tier(name: _Key, candidate: _Key) -> int | None:
    """How closely ``candidate`` matches (0 best), ignoring typing slips; None for no match."""
    if not name.squashed or not candidate.squashed:
        return None
    if name.squashed == candidate.squashed:
        return 0
    if name.core == candidate.core or _plural_of(name.squashed, candidate.squashed):
        return 1
    if len(name.words) > 1 and sorted(name.words) == sorted(candidate.words):
        return 2
    n = len(name.words)
    if len(name.squashed) < 3 or n >= len(candidate.words):
        return None
    return 3 if name.words in (candidate.words[:n], candidate.words[-n:]) else None


def _plural_of(a: str, b: str) -> bool:
    """Whether one of ``a`` and ``b`` is the other with a plural ``s`` or ``es``."""
    short, long = sorted((a, b), key=len)
    return long in (short + "s", short + "es")


def _slips(name: _Key, candidate: _Key) -> int | None:
    """The typing slips between the two, when few enough for ``name``'s length."""
    if not name.squashed or not candidate.squashed:
        return None
    slips = min(
        typing_distance(name.squashed, candidate.squashed),
        typing_distance(name.core, candidate.core),
    )
    return slips if slips <= slips_allowed(len(name.squashed)) else None


def suggest(
    name: str, candidates: Iterable[str], aliases: Mapping[str, Alias] | None = None
) -> Suggestion | None:
    """The candidate ``name`` most likely means, or None when none is close enough.

    ``aliases`` maps other names users write to a candidate (an alias whose target is not
    among ``candidates`` is ignored). The answer is always one of ``candidates``; a name
    that is a candidate is its own answer.
    """
    choices = list(dict.fromkeys(candidates))
    if name in choices:
        return Suggestion(name)
    # (spelling compared, the candidate it leads to, the alias used), candidates first.
    entries: list[tuple[str, str, Alias | None]] = [(c, c, None) for c in choices]
    entries += [(a, alias.target, alias) for a, alias in (aliases or {}).items()
                if alias.target in choices]  # fmt: skip
    key = _Key.of(name)
    keys = [_Key.of(spelling) for spelling, _, _ in entries]
    tiers = [_tier(key, other) for other in keys]
    best_tier = min((t for t in tiers if t is not None), default=None)
    if best_tier is not None:
        found = [entry for entry, t in zip(entries, tiers, strict=True) if t == best_tier]
        if best_tier < 3 or len({target for _, target, _ in found}) == 1:
            return _nearest(name, found)
    slips = [_slips(key, other) for other in keys]
    fewest = min((s for s in slips if s is not None), default=None)
    if fewest is None:
        return None
    return _nearest(name, [entry for entry, s in zip(entries, slips, strict=True) if s == fewest])


def _nearest(name: str, found: list[tuple[str, str, Alias | None]]) -> Suggestion:
    """Among equally good matches, the most similar spelling (the first on a tie)."""

    def similarity(entry: tuple[str, str, Alias | None]) -> float:
        return difflib.SequenceMatcher(None, name.casefold(), entry[0].casefold()).ratio()

    _, target, alias = max(found, key=similarity)
    return Suggestion(target, alias)


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The candidate among ``choices`` that ``name`` most likely means, or None."""
    found = suggest(name, choices)
    return found.name if found else None


def suggest_file(path: str | Path) -> Path | None:
    """A file beside the missing ``path`` that it probably means (``capital.jsonl`` for
    ``capitals.jsonl``, ``capitals.csv`` for ``capitals.jsonl``), under the same folder
    spelling as ``path``; None when the folder cannot be read or nothing is close."""
    wanted = Path(path)
    try:
        siblings = sorted(
            p.name for p in wanted.parent.iterdir() if p.is_file() and not p.name.startswith(".")
        )
    except OSError:
        return None
    stem = _Key.of(wanted.stem).squashed
    same_stem = [s for s in siblings if stem and _Key.of(Path(s).stem).squashed == stem]
    hit = same_stem[0] if same_stem else closest(wanted.name, siblings)
    return wanted.parent / hit if hit is not None else None


def marker_spelling(name: str, markers: Iterable[str]) -> str | None:
    """The marker among ``markers`` that ``name`` spells up to case, ``-`` vs ``_`` and
    other separators (``openai-compatible`` -> ``openai_compatible``), else None."""
    registered = list(markers)
    if name in registered:
        return name
    key = _Key.of(name).squashed
    return next((m for m in registered if key and _Key.of(m).squashed == key), None)


def respell_marker_expression(expression: str, markers: Iterable[str]) -> str:
    """A ``pytest -m`` expression with each identifier that is not a marker, but spells one
    up to case and separators, replaced by that marker (``openai-compatible and not slow``
    -> ``openai_compatible and not slow``); quoted strings and keywords are kept."""
    registered = list(markers)

    def respell(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "\"'" or token in _MARK_KEYWORDS:
            return token
        return marker_spelling(token, registered) or token

    return _MARK_TOKEN.sub(respell, expression)
