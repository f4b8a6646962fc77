"""What a call or a stage consumed: the one value type for tokens, latency and cost.

A provider's :class:`~parity.fixtures.providers.Completion`, a compressor's
:class:`~parity.fixtures.compressors.Compression`, a ``parity_model`` reply, a pipeline's
model call and each stage of an :class:`~parity.record.record.EvalRecord` are all a :class:`Usage`
with their own fields added, so these four are declared here and nowhere else. This module
imports nothing from Parity.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens in and out, wall time and cost of one call or stage (cost None: not known)."""

    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    cost_usd: float | None = None
