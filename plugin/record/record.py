"""The one result record of an evaluated example, and every form derived from it.

An :class:`EvalRecord` is written once, where the example is scored. JUnit properties, raw
JSONL rows (ScaleBench's fields, plus the rest of the record), ``--parity-resume`` and the
controller's aggregation all come from :meth:`EvalRecord.to_dict` through the functions in
this module; nothing else builds those shapes by hand.

Its parts are kept apart so that a consumer never has to guess what a number means:

- ``scores``: metric outputs (proportions in [0, 1]); the only numbers that are averaged.
- ``usage``: tokens, latency and cost per stage (``model`` now; a compressor, a judge or
  training later), summed into the run's totals.
- ``measurements``: any other number (a compression ratio, GPU-seconds); reported, never
  averaged as a score.
- ``metadata``: facts about the example or the call (subset, truncated input, cache hit).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from parity.record.usage import Usage

MODEL_STAGE = "model"
COMPRESSION_STAGE = "compression"
JUDGE_STAGE = "judge"  # a model-graded metric's calls (every judge of the item, summed)
# Raw JSONL rows keep ScaleBench's names for these record fields.
SCALEBENCH_NAMES = {
    "example_id": "id",
    "question": "input_question",
    "prediction": "pred",
    "references": "gold",
    "scores": "metrics",
}
# Not sent from xdist workers to the controller: large, and read from the raw rows instead.
BULKY_FIELDS = frozenset({"prompt", "input_context", "question"})


# What one stage (the model call, a compressor, a judge) consumed for one example: the name
# the record's readers and extensions use for the one usage type.
StageUsage = Usage


@dataclass(slots=True)
class EvalRecord:
    """Everything known about one (experiment, example) pair once it has been evaluated."""

    experiment_id: str
    example_id: str
    example_index: int
    model: str
    question: str = ""
    input_context: str = ""
    prompt: list[list[dict[str, str]]] = field(default_factory=list)
    raw_output: list[str] = field(default_factory=list)
    prediction: str = ""
    references: list[str] = field(default_factory=list)
    confidence: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    usage: dict[str, Usage] = field(default_factory=dict)
    measurements: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skip_reason: str | None = None

    # -- totals over stages ------------------------------------------------------------------
    @property
    def input_tokens(self) -> int:
        """Input tokens over every stage."""
        return sum(u.input_tokens for u in self.usage.values())

    @property
    def output_tokens(self) -> int:
        """Output tokens over every stage."""
        return sum(u.output_tokens for u in self.usage.values())

    @property
    def latency_ms(self) -> float:
        """Wall time spent in every stage, summed."""
        return sum(u.latency_ms for u in self.usage.values())

    @property
    def cost_usd(self) -> float | None:
        """Cost over every stage; None when any stage's price is unknown."""
        costs = [u.cost_usd for u in self.usage.values()]
        if not costs or any(c is None for c in costs):
            return None
        return sum(c for c in costs if c is not None)

    @property
    def subset(self) -> str | None:
        """The dataset's sub-task (LongBench), if any."""
        value = self.metadata.get("subset")
        return str(value) if value else None

    @property
    def example_key(self) -> str:
        """The example across repeats and runs: its id, within its subset when it has one
        (what pairs a candidate's record with its baseline's)."""
        return f"{self.subset}/{self.example_id}" if self.subset else self.example_id

    @property
    def repeat(self) -> int:
        """Which of the experiment's ``repeats`` this record is (0 without repeats)."""
        return int(self.metadata.get("repeat", 0))

    @property
    def truncated(self) -> bool:
        """True when a configured cap left part of the input unread."""
        return bool(self.metadata.get("truncated"))

    @property
    def cached(self) -> bool:
        """True when every model answer came from the cache or an earlier run."""
        return bool(self.metadata.get("cached"))

    @property
    def finished(self) -> bool:
        """True when the example was scored (no error, not skipped)."""
        return self.error is None and self.skip_reason is None

    def compact(self) -> EvalRecord:
        """This record for long-term keeping (the aggregator holds one per item): the bulky
        inputs dropped, and equal small parts (empty lists, ``{"cached": True}``,
        ``{"exact_match": 1.0}``, ``["Paris"]``, short predictions) shared between records.
        A compact record is read, never changed."""
        return replace(
            self,
            question="",
            input_context="",
            prompt=_shared([], []),
            raw_output=_shared(self.raw_output, []),
            references=_shared(self.references, []),
            prediction=_interned(self.prediction),
            scores=_shared(self.scores, {}),
            measurements=_shared(self.measurements, {}),
            metadata=_shared(self.metadata, {}),
            experiment_id=sys.intern(self.experiment_id),
            model=sys.intern(self.model),
        )

    def prompt_sha256(self) -> str | None:
        """A short reference to the rendered prompt (stored in full in the raw rows)."""
        if not self.prompt:
            return None
        text = json.dumps(self.prompt, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def failure(self, item_thresholds: Mapping[str, float]) -> str | None:
        """Why the item fails (provider error or a missed item-level floor), or None."""
        if self.error:
            return self.error
        missed = [
            f"{name} = {self.scores[name]:.4f} < item floor {limit}"
            for name, limit in item_thresholds.items()
            if self.scores.get(name, float("-inf")) < limit
        ]
        return "; ".join(missed) or None

    # -- the one schema ----------------------------------------------------------------------
    def to_dict(self, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The record as JSON-able data (every other form is derived from this).

        Built field by field rather than with ``dataclasses.asdict`` (a deep copy): it runs
        for every item, and the values are never changed after the record is made.
        """
        data = {name: getattr(self, name) for name in RECORD_FIELDS if name not in exclude}
        data["usage"] = {stage: usage_dict(usage) for stage, usage in self.usage.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalRecord:
        """Rebuild a record from :meth:`to_dict` output; unknown keys are ignored."""
        values = {k: v for k, v in data.items() if k in RECORD_FIELDS}
        values["usage"] = {
            stage: Usage(**usage) for stage, usage in (data.get("usage") or {}).items()
        }
        values["scores"] = {k: float(v) for k, v in (data.get("scores") or {}).items()}
        return cls(**values)


RECORD_FIELDS = tuple(f.name for f in fields(EvalRecord))
_SHARED: dict[tuple[Any, ...], Any] = {}
SHARED_STRING_CHARS = 64  # predictions and list items up to this long are shared


def _shared(value: Any, empty: Any) -> Any:
    """One object for every equal small mapping of scalars, every equal short list of short
    strings, and every empty list/dict."""
    if not value:
        return _SHARED.setdefault((type(empty),), empty)
    if isinstance(value, dict) and len(value) <= 4:
        try:
            key = (dict, tuple(sorted(value.items())))
            return _SHARED.setdefault(key, value)
        except TypeError:  # unhashable or unorderable values: keep as is
            return value
    if (
        isinstance(value, list)
        and len(value) <= 4
        and all(isinstance(v, str) and len(v) <= SHARED_STRING_CHARS for v in value)
    ):
        return _SHARED.setdefault((list, *value), value)
    return value


def _interned(text: str) -> str:
    """``text`` itself, or for a short one the one shared copy (labels, short answers)."""
    return sys.intern(text) if len(text) <= SHARED_STRING_CHARS else text


def usage_dict(usage: Usage) -> dict[str, Any]:
    """One stage's usage as data."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "latency_ms": usage.latency_ms,
        "cost_usd": usage.cost_usd,
    }


def junit_properties(record: EvalRecord) -> list[tuple[str, Any]]:
    """``record_property`` pairs: each score under its own name, then identity, usage and the
    answer. Empty values are left out, never written as "None"."""
    identity: list[tuple[str, Any]] = [
        ("experiment_id", record.experiment_id),
        ("example_id", record.example_id),
        ("example_index", record.example_index),
        ("model", record.model),
    ]
    if not record.finished:
        return [*identity, ("error", record.error or record.skip_reason)]
    pairs: list[tuple[str, Any]] = [*record.scores.items(), *identity]
    pairs += [
        ("latency_ms", round(record.latency_ms, 3)),
        ("input_tokens", record.input_tokens),
        ("output_tokens", record.output_tokens),
        ("cost_usd", record.cost_usd),
    ]
    for stage, usage in record.usage.items():
        if stage != MODEL_STAGE:
            pairs += [(f"{stage}.{key}", value) for key, value in usage_dict(usage).items()]
    pairs += [(f"measurement.{name}", value) for name, value in record.measurements.items()]
    raw = "\n---\n".join(record.raw_output)
    pairs += [
        ("prediction", record.prediction),
        ("raw_output", raw if raw.strip() not in ("", record.prediction) else None),
        ("references", json.dumps(record.references, ensure_ascii=False)),
        ("confidence", record.confidence),
        ("subset", record.subset),
        ("truncated", True if record.truncated else None),
        ("prompt_sha256", record.prompt_sha256()),
    ]
    return [(name, value) for name, value in pairs if value is not None]


def raw_row(record: EvalRecord) -> dict[str, Any]:
    """The raw JSONL row: ScaleBench's fields first (``id``, ``model``, ``input_question``,
    ``input_context``, ``pred``, ``gold``, tokens, ``latency_ms``, ``cost_usd``, ``metrics``)
    and ``cached``, then the rest of the record under its own names."""
    data = record.to_dict(exclude=frozenset({"error", "skip_reason"}))
    row: dict[str, Any] = {SCALEBENCH_NAMES.get(k, k): v for k, v in data.items()}
    scalebench = {
        "id": row.pop("id"),
        "model": row.pop("model"),
        "input_question": row.pop("input_question"),
        "input_context": row.pop("input_context"),
        "pred": row.pop("pred"),
        "gold": row.pop("gold"),
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "latency_ms": round(record.latency_ms, 3),
        "cost_usd": record.cost_usd,
        "metrics": row.pop("metrics"),
        "cached": record.cached,
    }
    return {**scalebench, **row}


def from_raw_row(row: Mapping[str, Any]) -> EvalRecord:
    """Rebuild a finished record from its raw JSONL row (``--parity-resume``)."""
    inverse = {v: k for k, v in SCALEBENCH_NAMES.items()}
    data = {inverse.get(k, k): v for k, v in row.items()}
    if "usage" not in data:  # a row written before usage was split by stage
        data["usage"] = {
            MODEL_STAGE: {
                "input_tokens": int(row.get("input_tokens", 0)),
                "output_tokens": int(row.get("output_tokens", 0)),
                "latency_ms": float(row.get("latency_ms", 0.0)),
                "cost_usd": row.get("cost_usd"),
            }
        }
    record = EvalRecord.from_dict(data)
    record.metadata["cached"] = True
    return record
