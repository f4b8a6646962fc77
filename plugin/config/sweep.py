"""A target-rate sweep: ``compression: {method: ..., rates: [0.5, 0.33]}`` expands into one
compressed experiment per rate, as ``conditions:`` expands into one per condition.

Each expanded experiment keeps everything else of its entry (baseline, gates, tags), so each
rate is paired with the same uncompressed baseline. Its id is the entry's id plus ``_r`` and
the rate as written (``hotpotqa_extractive`` + 0.33 -> ``hotpotqa_extractive_r0.33``); the
same ``r0.33`` is a ``-k`` keyword of its items and, made marker-safe, the marker ``r0_33``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from parity.config.schema import Context

RATES_KEY = "model.compression.rates"
_EXAMPLE = "rates: [0.5, 0.33, 0.2, 0.1]"


def rate_text(rate: float) -> str:
    """A rate as ids and keywords spell it: positional, without trailing zeros (0.33 ->
    ``0.33``, 1.0 -> ``1``, 1e-05 -> ``0.00001``)."""
    return f"{rate:.12f}".rstrip("0").rstrip(".")


def rate_keyword(rate: float) -> str:
    """The ``-k`` keyword naming a compression rate: ``r0.33``."""
    return f"r{rate_text(rate)}"


def rate_id(experiment_id: str, rate: float) -> str:
    """The id of one rate of a sweep: ``hotpotqa_extractive`` + 0.33 ->
    ``hotpotqa_extractive_r0.33``."""
    return f"{experiment_id}_{rate_keyword(rate)}"


def expand_rates(raw: Any, path: str, position: int) -> list[Any]:
    """``model.compression.rates: [a, b]`` makes one experiment per rate (``{id}_r{rate}``,
    ``compression.rate`` set); any other entry is returned as it is."""
    compression = _compression(raw)
    if compression is None or "rates" not in compression:
        return [raw]
    label = raw.get("id") if isinstance(raw.get("id"), str) else f"#{position + 1}"
    rates = _checked_rates(compression, Context(path, experiment=label))
    expanded = []
    for rate in rates:
        one = copy.deepcopy(dict(raw))
        settings = {k: v for k, v in compression.items() if k != "rates"}
        one["model"] = {**one["model"], "compression": {**settings, "rate": rate}}
        one["id"] = rate_id(str(raw.get("id")), rate)
        expanded.append(one)
    return expanded


def _compression(raw: Any) -> Mapping[str, Any] | None:
    """The entry's ``model.compression`` mapping, when it has one."""
    model = raw.get("model") if isinstance(raw, Mapping) else None
    compression = model.get("compression") if isinstance(model, Mapping) else None
    return compression if isinstance(compression, Mapping) else None


def _checked_rates(compression: Mapping[str, Any], ctx: Context) -> list[float]:
    """The sweep's rates, or one ConfigError naming what is wrong and the fix."""
    rates = compression["rates"]
    if "rate" in compression:
        raise ctx.error(
            "set 'rate' (one experiment) or 'rates' (a sweep), not both",
            key=RATES_KEY,
            fix=f"remove 'rate: {compression['rate']}', or remove 'rates'",
        )
    if not isinstance(rates, list) or not rates:
        raise ctx.error(
            f"rates must be a non-empty list of numbers, got {rates!r}",
            key=RATES_KEY,
            fix=f"e.g. {_EXAMPLE}",
        )
    for rate in rates:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ctx.error(
                f"{rate!r} is not a rate: each must be a number above 0 and at most 1 "
                "(the share of the context kept)",
                key=RATES_KEY,
                fix=f"e.g. {_EXAMPLE}",
            )
    spelled = [rate_text(float(rate)) for rate in rates]
    twice = sorted({text for text in spelled if spelled.count(text) > 1})
    if twice:
        raise ctx.error(
            f"the rate {twice[0]} is listed twice", key=RATES_KEY, fix="list each rate once"
        )
    return [float(rate) for rate in rates]
