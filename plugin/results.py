"""One example's outcome, and the two forms it leaves the worker in: item properties and raw rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parity.cases import EvalCase

RESERVED_PROPERTIES = (
    "prediction",
    "references",
    "confidence",
    "subset",
    "truncated",
    "experiment_id",
    "example_id",
    "example_index",
    "model",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error",
)


@dataclass(slots=True)
class ExampleResult:
    """Prediction, scores and usage of one case, or the error that prevented them."""

    case: EvalCase
    prediction: str = ""
    references: list[str] = field(default_factory=list)
    input_context: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None
    skip_reason: str | None = None
    cached: bool = False
    confidence: float | None = None
    truncated: bool = False

    def properties(self) -> list[tuple[str, Any]]:
        """``record_property`` pairs: every score under its own name, then usage and identity.

        Empty values (no price, no confidence) are left out rather than written as "None".
        """
        experiment = self.case.experiment
        identity: list[tuple[str, Any]] = [
            ("experiment_id", experiment.id),
            ("example_id", self.case.example.id),
            ("example_index", self.case.index),
            ("model", experiment.model.name),
        ]
        if self.error or self.skip_reason:
            return [*identity, ("error", self.error or self.skip_reason)]
        pairs: list[tuple[str, Any]] = list(self.metrics.items()) + identity
        pairs += [
            ("latency_ms", round(self.latency_ms, 3)),
            ("input_tokens", self.input_tokens),
            ("output_tokens", self.output_tokens),
            ("cost_usd", self.cost_usd),
            ("prediction", self.prediction),
            ("references", json.dumps(self.references, ensure_ascii=False)),
            ("confidence", self.confidence),
        ]
        subset = self.case.example.metadata.get("subset")
        if subset:
            pairs.append(("subset", subset))
        if self.truncated:
            pairs.append(("truncated", True))
        return [(name, value) for name, value in pairs if value is not None]

    def raw_row(self) -> dict[str, Any]:
        """The per-example JSONL row in ScaleBench's raw-results layout."""
        return {
            "id": self.case.example.id,
            "model": self.case.experiment.model.name,
            "input_question": self.case.example.question,
            "input_context": self.input_context,
            "pred": self.prediction,
            "gold": self.references,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": round(self.latency_ms, 3),
            "cost_usd": self.cost_usd,
            "metrics": self.metrics,
            "cached": self.cached,
            "confidence": self.confidence,
        }

    @classmethod
    def from_raw_row(cls, case: EvalCase, row: Mapping[str, Any]) -> ExampleResult:
        """Rebuild a finished result from its raw JSONL row (used by ``--eval-resume``)."""
        return cls(
            case=case,
            prediction=row["pred"],
            references=list(row["gold"]),
            input_context=row["input_context"],
            metrics={k: float(v) for k, v in row["metrics"].items()},
            latency_ms=float(row["latency_ms"]),
            input_tokens=int(row["input_tokens"]),
            output_tokens=int(row["output_tokens"]),
            cost_usd=row["cost_usd"],
            cached=True,
            confidence=row.get("confidence"),
        )

    def failure(self, item_thresholds: Mapping[str, float]) -> str | None:
        """Why the item fails (provider error or a missed item-level floor), or None."""
        if self.error:
            return self.error
        missed = [
            f"{name} = {self.metrics[name]:.4f} < item floor {limit}"
            for name, limit in item_thresholds.items()
            if self.metrics.get(name, float("-inf")) < limit
        ]
        return "; ".join(missed) or None
