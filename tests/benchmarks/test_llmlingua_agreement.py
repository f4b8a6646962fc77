"""Our llmlingua and longllmlingua keep the tokens that Microsoft's llmlingua 0.2.2 keeps,
with the same scorer and parameters: at >= 95% of the documents' token positions, per method
and rate, on at least 20 shipped contexts (``benchmarks/llmlingua_agreement.py``).

Runs in ``tox -e llmlingua-ref`` (the reference needs ``transformers<5``); elsewhere it
skips. ``PARITY_LLMLINGUA_REF_HOTPOTQA`` / ``_QMSUM`` set how many contexts of each
(default 2 and 18: a HotpotQA context, ten paragraphs, costs as much as four QMSum ones);
``PARITY_LLMLINGUA_REF_OUT`` a folder for each side's kept tokens."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "llmlingua", reason="runs in tox -e llmlingua-ref (llmlingua on transformers<5)"
)

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "llmlingua_agreement.py"
THRESHOLD = 0.95


def load_agreement() -> Any:
    spec = importlib.util.spec_from_file_location("llmlingua_agreement", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


AGREEMENT = load_agreement()


HOTPOTQA = int(os.environ.get("PARITY_LLMLINGUA_REF_HOTPOTQA", "2"))
QMSUM = int(os.environ.get("PARITY_LLMLINGUA_REF_QMSUM", "18"))


@pytest.fixture(scope="module")
def summary() -> dict[tuple[str, float], dict[str, Any]]:
    """Both sides on every context, method and rate; the summary row of each pair (printed
    with each record as it comes)."""
    records = []
    for record in AGREEMENT.run(HOTPOTQA, QMSUM):
        print(AGREEMENT.progress(record), flush=True)
        records.append(record)
    rows = AGREEMENT.summary(records)
    print(AGREEMENT.table(rows))
    out = os.environ.get("PARITY_LLMLINGUA_REF_OUT")
    if out:
        AGREEMENT.write(Path(out), records, rows)
    assert json.dumps(rows)  # the figures are plain data
    return {(row["method"], row["rate"]): row for row in rows}


@pytest.mark.parametrize("rate", AGREEMENT.RATES)
@pytest.mark.parametrize("method", list(AGREEMENT.METHODS))
def test_kept_tokens_agree_with_the_reference(summary, method, rate):
    row = summary[(method, rate)]
    assert row["contexts"] == HOTPOTQA + QMSUM  # all found (by default 20)
    assert row["agreement"] >= THRESHOLD, AGREEMENT.table([row])
