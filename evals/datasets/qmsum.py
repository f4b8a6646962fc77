"""QMSum: query-based meeting summarization, one example per query.

The original layout is one row per meeting; the loader flattens it to one example per query
(general queries first, then specific ones). ``dataset.task`` chooses ``general`` or
``specific`` queries (``null``: both). A general query is answered from the whole transcript;
a specific query from its ``relevant_text_span`` turns (QMSum's gold-span setting).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, LoadedDataset, register_dataset
from parity.evals.datasets.row_fields import LIST


def _turns(
    transcript: list[Mapping[str, str]], spans: Iterable[Iterable[str]] | None = None
) -> str:
    if spans is None:
        chosen = transcript
    else:
        chosen = [t for start, end in spans for t in transcript[int(start) : int(end) + 1]]
    return "\n".join(f"{turn['speaker']}: {turn['content']}" for turn in chosen)


@register_dataset
class QMSum(DatasetLoader):
    """Yale-LILY QMSum (no canonical Hub version: read from a local file or the shipped sample)."""

    name = "qmsum"
    hub_id = "Yale-LILY/QMSum"
    default_split = "test"
    shot_split: ClassVar[str | None] = None
    subsets: ClassVar[tuple[str, ...]] = ("general", "specific")
    shipped: ClassVar[Mapping[str, str]] = {
        "general/test": "qmsum/test.jsonl",
        "specific/test": "qmsum/test.jsonl",
    }
    required_fields: ClassVar[Mapping[str, Field]] = {
        "general_query_list": LIST,
        "specific_query_list": LIST,
        "meeting_transcripts": LIST,
    }

    def load(
        self, split: str | None, source: str, path: str | None, subset: str | None = None
    ) -> LoadedDataset:
        if source == "hub":
            source = "shipped"  # QMSum is not on the Hub in a canonical form
        if subset is None:
            loaded = super().load(split, source, path, "general")
            return LoadedDataset(self._expand(loaded, None), loaded.source, loaded.note)
        loaded = super().load(split, source, path, subset)
        return LoadedDataset(self._expand(loaded, subset), loaded.source, loaded.note)

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        return Example(
            id=str(index), question="", context="", answers=(), metadata={"meeting": row}
        )

    def _expand(self, loaded: LoadedDataset, kind: str | None) -> list[Example]:
        examples = []
        for meeting_example in loaded.examples:
            meeting = meeting_example.metadata["meeting"]
            transcript = meeting["meeting_transcripts"]
            for query_kind in ("general", "specific"):
                if kind not in (None, query_kind):
                    continue
                for number, query in enumerate(meeting[f"{query_kind}_query_list"]):
                    spans = query.get("relevant_text_span") if query_kind == "specific" else None
                    examples.append(
                        Example(
                            id=f"m{meeting_example.id}_{query_kind[0]}{number}",
                            question=query["query"],
                            context=_turns(transcript, spans),
                            answers=(query["answer"],),
                            metadata={"subset": query_kind},
                        )
                    )
        return examples
