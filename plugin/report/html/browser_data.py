"""The example browser's data: every raw row in a compact form, its texts kept once in a
shared string table (a context two experiments share, a system prompt every row repeats),
a prompt's copy of the row's context kept as a reference to it, and very long texts cut
with a pointer to the raw file that holds them whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parity.analysis.error_classes import error_class
from parity.record.record import from_raw_row
from parity.report.html.run_data import RunData, row_key

MAX_CHARS = 20_000  # longer texts are cut here in the page (the raw JSONL keeps them whole)
CONTEXT = -1  # a prompt part standing for the row's context


class StringTable:
    """Texts by index, each distinct text stored once."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: Any, source: str = "") -> int:
        """The index of ``text`` (cut at :data:`MAX_CHARS`, saying where it is whole)."""
        text = "" if text is None else str(text)
        if len(text) > MAX_CHARS:
            more = len(text) - MAX_CHARS
            text = (
                text[:MAX_CHARS] + f"\n[… {more:,} more characters in {source or 'the raw rows'}]"
            )
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self.texts)
            self.texts.append(text)
        return index


def _prompt(prompt: Any, context: str, table: StringTable, source: str) -> list[list[Any]]:
    """Each call's messages as ``[role, part, ...]``: content split around the row's context
    (:data:`CONTEXT` stands for it), so the page holds each context once."""
    if isinstance(prompt, str):  # a stored run's rows from before prompts were lists
        prompt = [[{"role": "user", "content": prompt}]]
    calls = []
    for call in prompt or []:
        for message in call if isinstance(call, list) else [call]:
            content = (
                str(message.get("content", "")) if isinstance(message, Mapping) else str(message)
            )
            role = str(message.get("role", "")) if isinstance(message, Mapping) else ""
            pieces = content.split(context) if len(context) >= 40 else [content]
            parts: list[Any] = [role]
            for i, piece in enumerate(pieces):
                if i:
                    parts.append(CONTEXT)
                parts.append(table.add(piece, source))
            calls.append(parts)
    return calls


def compact_row(
    row: Mapping[str, Any], experiment: int, table: StringTable, source: str,
    summary: Mapping[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """One row for the page (short keys: the page holds thousands), with its error class
    (Baseweight's, as the summary counts them) when it is wrong."""
    context = str(row.get("input_context") or "")
    measurements = row.get("measurements") or {}
    compact: dict[str, Any] = {
        "e": experiment,
        "k": row_key(row),
        "q": table.add(row.get("input_question"), source),
        "c": table.add(context, source),
        "p": table.add(row.get("pred"), source),
        "g": [table.add(g, source) for g in row.get("gold") or []],
        "r": [table.add(r, source) for r in row.get("raw_output") or []],
        "m": _prompt(row.get("prompt"), context, table, source),
        "s": {k: v for k, v in (row.get("metrics") or {}).items() if isinstance(v, (int, float))},
        "l": row.get("latency_ms"),
        "ti": row.get("input_tokens"),
        "to": row.get("output_tokens"),
        "$": row.get("cost_usd"),
    }
    if "compression_ratio" in measurements:
        compact["cr"] = measurements["compression_ratio"]
    klass = error_class(
        from_raw_row(row), str(summary.get("task")), list(summary.get("metrics", {}))
    )
    if klass is not None:
        compact["y"] = klass
    return compact


def missing_rows(summaries: Sequence[Mapping[str, Any]], present: set[tuple[int, str]],
                 table: StringTable) -> list[dict[str, Any]]:  # fmt: skip
    """A row for each side of a pair that has none, saying why (``failed on the candidate
    side``): the raw files hold finished examples only, and a comparison names the rest."""
    ids = [str(s["experiment_id"]) for s in summaries]
    empty = table.add("")
    stubs = []
    for index, summary in enumerate(summaries):
        comparison = summary.get("comparison") or {}
        baseline = ids.index(comparison["baseline"]) if comparison.get("baseline") in ids else None
        for key, why in (comparison.get("unpaired") or {}).items():
            for side, experiment in (("candidate", index), ("baseline", baseline)):
                named = f"on the {side} side" in why or "on both sides" in why
                if experiment is not None and named and (experiment, key) not in present:
                    present.add((experiment, key))
                    stubs.append({"e": experiment, "k": key, "q": empty, "c": empty, "p": empty,
                                  "g": [], "r": [], "m": [], "s": {}, "x": table.add(why)})  # fmt: skip
    return stubs


def browser_data(run: RunData, summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The browser's JSON: experiments (with the baseline each is paired with, when that
    baseline is in this run), rows (and a stub for each example a pair lost) and the string
    table."""
    ids = [str(s["experiment_id"]) for s in summaries]
    table = StringTable()
    experiments, rows = [], []
    for index, summary in enumerate(summaries):
        baseline = (summary.get("comparison") or {}).get("baseline")
        experiments.append({
            "id": ids[index],
            "baseline": ids.index(baseline) if baseline in ids else None,
            "metrics": [m for m in summary.get("metrics", {})],
        })  # fmt: skip
        source = run.files.get(ids[index], "")
        rows += [
            compact_row(row, index, table, source, summary) for row in run.rows.get(ids[index], [])
        ]
    rows += missing_rows(summaries, {(row["e"], row["k"]) for row in rows}, table)
    return {"experiments": experiments, "rows": rows, "texts": table.texts, "context": CONTEXT}
