"""Our ``llmlingua`` and ``longllmlingua`` against the reference package, token by token.

    tox -e llmlingua-ref                                   # the check, as a test
    .tox/llmlingua-ref/bin/python benchmarks/llmlingua_agreement.py [--out DIR] [--hotpotqa N]
        [--qmsum N] [--shard k/n]      # the script; shards run in parallel processes
    .tox/llmlingua-ref/bin/python benchmarks/llmlingua_agreement.py --merge DIR/records.jsonl ...

On the shipped contexts (by default HotpotQA's first two rows, ten paragraphs each, and
QMSum's first specific query of each of 18 meetings whose gold span has 150-450 words),
split into documents as our compressors split them (paragraphs; QMSum's turns), both run
with the same scorer, SmolLM2-135M-Instruct from the shipped GGUF, and the same
parameters (:data:`llmlingua_reference.METHODS`) at the rates 0.5 and 0.33. Each kept
token is placed on the original documents by its characters, and the figure is the share
of the documents' scorer tokens (each document tokenized alone, in its original order)
that both keep or both drop, with each side's achieved ratio (kept / all). ``--out``
writes each side's kept tokens per context and the figures as JSON; each record lists the
tokens decided differently with the reference's margin there (its score minus its
window's threshold), which tells a near tie from a real difference.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from llmlingua_reference import (
    COMMON,
    METHODS,
    RATES,
    SEPARATOR,
    Kept,
    cache_dir,
    compress,
    offline_tiktoken,
    scorer_folder,
    traced_compressor,
)

QMSUM_WORDS = (150, 450)


@dataclass(frozen=True)
class Context:
    """One shipped example's documents (in order) and question."""

    id: str
    documents: list[str]
    question: str


def contexts(hotpotqa: int, qmsum: int) -> list[Context]:
    """The first ``hotpotqa`` HotpotQA rows and the first ``qmsum`` QMSum meetings' first
    specific query with a gold span of 150-450 words, each split into documents as our
    compressors split a context (paragraphs; QMSum's turns)."""
    from parity.evals.datasets import DATASETS
    from parity.fixtures.compressors.llmlingua import split_documents

    examples = DATASETS.get("hotpotqa").load("validation", "shipped", None, None).examples
    chosen = examples[:hotpotqa]
    meetings: set[str] = set()
    for example in DATASETS.get("qmsum").load("test", "shipped", None, "specific").examples:
        meeting = example.id.split("_")[0]
        words = len(example.context.split())
        if len(meetings) < qmsum and meeting not in meetings and _within(words, QMSUM_WORDS):
            meetings.add(meeting)
            chosen.append(example)
    return [
        Context(f"{'qmsum' if e in chosen[hotpotqa:] else 'hotpotqa'}/{e.id}",
                split_documents(e.context), e.question)
        for e in chosen
    ]  # fmt: skip


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


class _Position(int):
    """A token id that remembers its position in the text it was encoded from."""

    position: int


class PositionScorer:
    """Our scorer, whose ``encode`` tags each id with its position, so that the ids our
    compressor keeps tell where they stood (every other call goes to the scorer)."""

    def __init__(self, scorer: Any) -> None:
        self._scorer = scorer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scorer, name)

    def encode(self, text: str, special_tokens: bool = False) -> list[int]:
        """``text``'s ids, each a :class:`_Position`."""
        tagged = []
        for index, token in enumerate(self._scorer.encode(text, special_tokens)):
            value = _Position(token)
            value.position = index
            tagged.append(value)
        return tagged


def compressors(folder: Path) -> dict[tuple[str, float], Any]:
    """Our compressor of each method and rate, as a config builds it, scoring with the
    model in ``folder`` (their shared scorer: one model)."""
    from parity.fixtures.compressors.base import COMPRESSORS

    return {(method, rate): COMPRESSORS.get(method)({"rate": rate, "scorer": str(folder)})
            for method in METHODS for rate in RATES}  # fmt: skip


def ours(compressor: Any, context: Context, method: str, rate: float) -> Kept:
    """What ``compressor`` keeps of ``context``: its own settings (``parameters``: the
    the reference's arguments of ``method`` at ``rate``, or an AssertionError) through the
    algorithm it runs."""
    from parity.fixtures.compressors.lingua import compress_tokens

    scorer = compressor.scorer
    arguments = compressor.parameters
    settings = {name: p.default for name, p in inspect.signature(compress_tokens).parameters.items()
                if p.default is not inspect.Parameter.empty} | arguments  # fmt: skip
    wanted = {**COMMON, **METHODS[method], "rate": rate}
    wanted.pop("use_sentence_level_filter")
    differing = {k: (v, settings.get(k)) for k, v in wanted.items() if settings.get(k) != v}
    if differing:
        raise AssertionError(f"{method} runs other settings than the reference's: {differing}")
    result = compress_tokens(PositionScorer(scorer), context.documents, context.question,
                             **arguments)  # fmt: skip
    prefix = context.question if arguments.get("condition_compare") else None
    texts = [context.documents[i] for i in result.documents]
    joined = SEPARATOR.join(texts if prefix is None else [prefix, *texts])
    start = 0 if prefix is None else _prefix_end(scorer, joined, prefix)
    return Kept(joined=joined, documents=result.documents, prefix_tokens=start,
                positions=[token.position for token in result.ids])  # fmt: skip


def _prefix_end(scorer: Any, joined: str, prefix: str) -> int:
    offsets = _offsets(scorer.tokenizer, joined)
    return sum(1 for _, stop in offsets if stop <= len(prefix + SEPARATOR))


def _offsets(tokenizer: Any, text: str) -> list[tuple[int, int]]:
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return [tuple(pair) for pair in encoded["offset_mapping"]]


def frame(tokenizer: Any, context: Context, kept: Kept) -> list[int | None]:
    """For each scorer token of the original documents (each tokenized alone, in their
    order), the position in ``kept.joined``'s tokens of the token holding its first
    character; None where its document was dropped."""
    owner: list[int | None] = [None] * len(kept.joined)
    for position, (first, stop) in enumerate(_offsets(tokenizer, kept.joined)):
        owner[first:stop] = [position] * (stop - first)
    begins, offset = {}, len(kept.joined) - len(SEPARATOR.join(
        context.documents[i] for i in kept.documents))  # fmt: skip
    for index in kept.documents:
        begins[index] = offset
        offset += len(context.documents[index]) + len(SEPARATOR)
    return [
        owner[begins[index] + first] if index in begins else None
        for index, document in enumerate(context.documents)
        for first, _ in _offsets(tokenizer, document)
    ]


def marks(places: Sequence[int | None], kept: Kept) -> list[bool]:
    """Whether ``kept`` keeps each token of the frame (``places``: :func:`frame`)."""
    chosen = set(kept.positions)
    return [place is not None and place in chosen for place in places]


def differences(places: Sequence[int | None], theirs: Kept, mine: Sequence[bool],
                reference: Sequence[bool]) -> list[dict[str, Any]]:  # fmt: skip
    """Each frame token the two sides decide differently: its index, its position in the
    reference's text and the reference's margin there (None: its document dropped there)."""
    return [
        {"token": i, "position": places[i], "keeps": "reference" if reference[i] else "ours",
         "margin": theirs.margins.get(places[i]) if places[i] is not None else None}
        for i in range(len(places)) if reference[i] != mine[i]
    ]  # fmt: skip


def agreement(reference: Sequence[bool], our: Sequence[bool]) -> dict[str, float]:
    """The share of positions both keep or both drop, and each side's kept share."""
    n = len(reference)
    same = sum(1 for a, b in zip(reference, our, strict=True) if a == b)
    return {
        "positions": n,
        "agreement": same / n if n else 1.0,
        "reference_ratio": sum(reference) / n if n else 1.0,
        "our_ratio": sum(our) / n if n else 1.0,
    }


def run(hotpotqa: int, qmsum: int, shard: tuple[int, int] = (0, 1)) -> Iterator[dict[str, Any]]:
    """Both sides on each context, method and rate: one record each (of the contexts of
    ``shard`` (k, n): every n-th from the k-th)."""
    cache = cache_dir()
    offline_tiktoken(cache / "tiktoken")
    folder = scorer_folder(cache / "smollm2-135m-instruct")
    mine = compressors(folder)  # sets torch's threads; the reference runs under the same
    reference = traced_compressor(folder)
    try:
        for context in contexts(hotpotqa, qmsum)[shard[0] :: shard[1]]:
            for (method, rate), compressor in mine.items():
                began = time.perf_counter()
                theirs = compress(reference, context.documents, context.question, method, rate)
                middle = time.perf_counter()
                our = ours(compressor, context, method, rate)
                ended = time.perf_counter()
                tokenizer = compressor.scorer.tokenizer
                places = frame(tokenizer, context, theirs)
                decided = (marks(places, theirs), marks(frame(tokenizer, context, our), our))
                yield {
                    "context": context.id, "method": method, "rate": rate,
                    **agreement(*decided),
                    "differences": differences(places, theirs, decided[1], decided[0]),
                    "reference_s": middle - began, "our_s": ended - middle,
                    "reference": asdict(theirs) | {"marks": decided[0]},
                    "ours": asdict(our) | {"marks": decided[1]},
                }  # fmt: skip
    finally:
        for compressor in mine.values():
            compressor.close()


def summary(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per method and rate: positions, agreement (pooled over positions), both achieved
    ratios, the lowest context's agreement and the seconds each side took."""
    rows = []
    for method in METHODS:
        for rate in RATES:
            chosen = [r for r in records if r["method"] == method and r["rate"] == rate]
            if not chosen:
                continue
            n = sum(r["positions"] for r in chosen)

            def pooled(key: str, records: list[dict[str, Any]] = chosen, n: int = n) -> float:
                return sum(r[key] * r["positions"] for r in records) / n

            rows.append({
                "method": method, "rate": rate, "contexts": len(chosen), "positions": n,
                "agreement": pooled("agreement"),
                "reference_ratio": pooled("reference_ratio"), "our_ratio": pooled("our_ratio"),
                "lowest": min(chosen, key=lambda r: r["agreement"])["context"],
                "lowest_agreement": min(r["agreement"] for r in chosen),
                "reference_s": sum(r["reference_s"] for r in chosen),
                "our_s": sum(r["our_s"] for r in chosen),
            })  # fmt: skip
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The summary as aligned text."""
    lines = [
        "method         rate  ctx  positions  agree   ratio ref/ours   lowest (ctx)   s ref/ours"
    ]
    for r in rows:
        lines.append(
            f"{r['method']:<14} {r['rate']:<5} {r['contexts']:>3}  {r['positions']:>9}  "
            f"{r['agreement']:6.2%}  {r['reference_ratio']:.3f}/{r['our_ratio']:.3f}   "
            f"{r['lowest_agreement']:6.2%} {r['lowest']}  "
            f"{r['reference_s']:.0f}/{r['our_s']:.0f}"
        )
    return "\n".join(lines)


def progress(record: dict[str, Any]) -> str:
    """One record's line: context, method, rate, agreement and each side's seconds."""
    return (
        f"{record['context']:<34} {record['method']:<14} {record['rate']:<5} "
        f"{record['agreement']:7.2%}  {record['reference_s']:.0f}s/{record['our_s']:.0f}s"
    )


def write(folder: Path, records: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]) -> None:
    """``records.jsonl`` (each side's kept tokens per context, a line each) and
    ``summary.json`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(record) + "\n" for record in records)
    (folder / "records.jsonl").write_text(lines)
    (folder / "summary.json").write_text(json.dumps(list(rows), indent=1))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison, print the summary and (``--out``) write the records."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hotpotqa", type=int, default=2)
    parser.add_argument("--qmsum", type=int, default=18)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--shard", default="0/1", help="k/n: every n-th context from the k-th")
    parser.add_argument("--merge", type=Path, nargs="*", default=[],
                        help="summarize these records.jsonl files instead of running")  # fmt: skip
    options = parser.parse_args(argv)
    if options.merge:
        merged = [json.loads(line) for path in options.merge
                  for line in path.read_text().splitlines() if line]  # fmt: skip
        print(table(summary(merged)))
        return 0
    k, n = (int(part) for part in options.shard.split("/"))
    records = []
    for record in run(options.hotpotqa, options.qmsum, (k, n)):
        records.append(record)
        print(progress(record), flush=True)
        if options.out:  # as they come, so that a stopped run leaves what it measured
            write(options.out, records, summary(records))
    print(table(summary(records)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
