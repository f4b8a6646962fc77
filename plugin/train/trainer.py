"""Train a LoRA adapter for (model, task, condition): ``python -m parity.train``.

Reads ``configs/tasks/<task>.yaml`` (the Baseweight task config: training cap, maximum
sequence length) and ``configs/training/<model>.yaml`` (LoRA rank, alpha, dropout, learning
rate, weight decay, warmup, epochs, batch size, ``enable_thinking``; per-task overrides).
``lora-500`` trains on 500 training rows drawn stratified by label, ``lora-full`` on all of
them (up to the cap). A stratified validation share is carved from those rows — never from
the test split — and picks the best epoch. The adapter lands in
``adapters/<model>/<task>/<condition>/`` (``smoke/adapters/...`` with ``--smoke``) with
``training.json`` beside it: hyperparameters, seed, dataset hash, row counts, package
versions, git commit, wall time and compute hours.

Training sees exactly the prompt evaluation sends (no shots): the template ``prompt:`` in the
task config names (LoRA conditions default to it), else the task's default, with the loss on
the answer tokens only. Prompts longer than ``max_seq_length`` lose their start; they are
counted, warned about and recorded. ``method: peft`` runs anywhere (CPU included);
``method: unsloth`` loads the base in 4 bits through Unsloth (GPU only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from parity.config.errors import ParityError
from parity.evals.datasets import DATASETS, Example
from parity.evals.tasks import TASKS
from parity.fixtures.providers.transformers_hf import base_source
from parity.prompts import load_template
from parity.train.spec import (
    CONDITION_ROWS,
    SMOKE_ROWS,
    TaskSpec,
    TrainingConfig,
    adapter_dir,
    load_task_spec,
    load_training_config,
)


def _label(example: Example) -> str:
    return example.answers[0] if example.answers else ""


def stratified_sample(examples: Sequence[Example], n: int | None, seed: int) -> list[Example]:
    """``n`` examples (all when None) keeping each label's share, seeded; in data order."""
    if n is None or n >= len(examples):
        return list(examples)
    by_label: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_label.setdefault(_label(example), []).append(index)
    rng = random.Random(seed)
    quotas = {label: n * len(idx) / len(examples) for label, idx in by_label.items()}
    taken = {label: math.floor(q) for label, q in quotas.items()}
    remainder = sorted(
        by_label, key=lambda lab: (quotas[lab] - taken[lab], rng.random()), reverse=True
    )
    for label in remainder[: n - sum(taken.values())]:
        taken[label] += 1
    chosen = [i for label, idx in by_label.items() for i in rng.sample(idx, taken[label])]
    return [examples[i] for i in sorted(chosen)]


def split_validation(
    examples: Sequence[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """(training, validation): a stratified ``fraction`` (at least one row) held out."""
    held = stratified_sample(examples, max(1, round(len(examples) * fraction)), seed + 1)
    held_ids = {e.id for e in held}
    return [e for e in examples if e.id not in held_ids], held


def dataset_hash(examples: Sequence[Example]) -> str:
    """A fingerprint of the rows trained on (ids, texts and answers)."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.id, example.question, list(example.answers)]).encode())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    found = {}
    for name in ("torch", "transformers", "peft", "unsloth", "parity-evals"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def answer_loss(model: Any, ids: Any, mask: Any, labels: Any) -> Any:
    """The causal-LM loss on the answer tokens, computing the vocabulary projection only
    where a label is set (the prompt is most of each row; its logits would dominate the
    cost). Equal to the model's own mean token cross-entropy with ``labels``; models that
    transform their logits (Gemma's soft-capping) take the model's own path."""
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(base.config, "final_logit_softcapping", None):
        return model(input_ids=ids, attention_mask=mask, labels=labels).loss
    hidden = base.get_decoder()(input_ids=ids, attention_mask=mask).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != -100
    logits = base.get_output_embeddings()(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


class Trainer:
    """Fits one LoRA adapter with a plain torch loop (peft on any device, or Unsloth)."""

    def __init__(self, config: TrainingConfig, spec: TaskSpec, device: str = "cpu") -> None:
        self.config = config
        self.spec = spec
        self.device = device
        self.task = TASKS.get(spec.parity_task)
        self.template = load_template(spec.prompt or self.task.default_prompt)
        self.truncated = 0

    def _load(self) -> tuple[Any, Any]:
        source, gguf_file = base_source(self.config.base, {"gguf_file": self.config.gguf_file})
        if self.config.method == "unsloth":
            return self._load_unsloth(source)
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer

        kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **kwargs)
        lora = LoraConfig(
            r=self.config.rank, lora_alpha=self.config.alpha, lora_dropout=self.config.dropout,
            target_modules=list(self.config.target_modules), task_type="CAUSAL_LM",
        )  # fmt: skip
        return get_peft_model(model.to(self.device), lora), tokenizer

    def _load_unsloth(self, source: str) -> tuple[Any, Any]:
        """QLoRA through Unsloth's documented API (FastLanguageModel), on a GPU."""
        try:
            from unsloth import FastLanguageModel
        except ImportError:
            raise ParityError(
                "method: unsloth needs the unsloth package and a CUDA GPU (pip install unsloth); "
                "use method: peft to train on this machine"
            ) from None
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name=source, max_seq_length=self.config.max_seq_length, load_in_4bit=True
        )
        model = FastLanguageModel.get_peft_model(
            model, r=self.config.rank, lora_alpha=self.config.alpha,
            lora_dropout=self.config.dropout, target_modules=list(self.config.target_modules),
            random_state=self.config.seed,
        )  # fmt: skip
        return model, tokenizer

    def encode(self, tokenizer: Any, example: Example) -> tuple[list[int], list[int]]:
        """Token ids of prompt + answer, and labels with the prompt masked (-100)."""
        messages = self.task.requests(example, self.template, (), {})[0]
        kwargs = {}
        if self.config.enable_thinking is not None:
            kwargs["enable_thinking"] = self.config.enable_thinking
        prompt = tokenizer.apply_chat_template(
            [dict(m) for m in messages], add_generation_prompt=True, tokenize=False, **kwargs
        )
        answer = _label(example) + (tokenizer.eos_token or "")
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
        limit = self.spec.max_seq_length or self.config.max_seq_length
        if len(prompt_ids) + len(answer_ids) > limit:
            self.truncated += 1  # the prompt's start is cut; counted in training.json
        prompt_ids = prompt_ids[-max(1, limit - len(answer_ids)) :]
        return prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids

    def _batches(self, tokenizer: Any, rows: list[tuple[list[int], list[int]]]) -> Any:
        import torch

        pad = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        )
        for start in range(0, len(rows), self.config.batch_size):
            chunk = rows[start : start + self.config.batch_size]
            width = max(len(ids) for ids, _ in chunk)
            ids = [[pad] * (width - len(i)) + i for i, _ in chunk]
            labels = [[-100] * (width - len(lab)) + lab for _, lab in chunk]
            mask = [[0] * (width - len(i)) + [1] * len(i) for i, _ in chunk]
            yield (torch.tensor(ids, device=self.device), torch.tensor(mask, device=self.device),
                   torch.tensor(labels, device=self.device))  # fmt: skip

    def fit(
        self, train: list[Example], validation: list[Example], output: Path, log: Any = None
    ) -> dict[str, Any]:
        """Train, keep the epoch with the lowest validation loss in ``output``; its record.
        Progress goes to ``log`` (standard error by default)."""
        import torch

        log = log or sys.stderr

        torch.manual_seed(self.config.seed)
        started = time.perf_counter()
        model, tokenizer = self._load()
        load_s = time.perf_counter() - started
        rows = [self.encode(tokenizer, e) for e in train]
        held = [self.encode(tokenizer, e) for e in validation]
        if self.truncated:
            print(f"parity.train: warning: {self.truncated} of {len(rows) + len(held)} prompts "
                  f"are longer than max_seq_length and lose their start; raise max_seq_length "
                  f"in configs/tasks/{self.spec.task_id}.yaml", file=log, flush=True)  # fmt: skip
        steps_per_epoch = math.ceil(len(rows) / self.config.batch_size)
        total = steps_per_epoch * self.config.epochs
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=self.config.learning_rate,
                                      weight_decay=self.config.weight_decay)  # fmt: skip
        warmup = max(1, round(total * self.config.warmup_ratio))
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))),
        )
        history: list[dict[str, float]] = []
        best: float | None = None
        step = 0
        rng = random.Random(self.config.seed)
        for epoch in range(1, self.config.epochs + 1):
            model.train()
            order = rows[:]
            rng.shuffle(order)
            losses = []
            for ids, mask, labels in self._batches(tokenizer, order):
                loss = answer_loss(model, ids, mask, labels)
                loss.backward()
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                losses.append(float(loss.detach()))
                step += 1
                if step % 10 == 0 or step == total:
                    print(f"parity.train: epoch {epoch}/{self.config.epochs} step {step}/{total} "
                          f"loss {sum(losses[-10:]) / len(losses[-10:]):.4f} "
                          f"({time.perf_counter() - started:.0f} s)", file=log, flush=True)  # fmt: skip
            val = self._validation_loss(model, tokenizer, held)
            history.append(
                {"epoch": epoch, "train_loss": sum(losses) / len(losses), "val_loss": val}
            )
            print(
                f"parity.train: epoch {epoch} validation loss {val:.4f}",
                file=log,
                flush=True,
            )
            if best is None or val < best:
                best = val
                model.save_pretrained(output)
                tokenizer.save_pretrained(output)
        best_epoch = min(history, key=lambda h: h["val_loss"])["epoch"]
        return {"history": history, "best_epoch": best_epoch, "load_s": load_s,
                "wall_s": time.perf_counter() - started,
                "truncated_prompts": self.truncated}  # fmt: skip

    def _validation_loss(
        self, model: Any, tokenizer: Any, rows: list[tuple[list[int], list[int]]]
    ) -> float:
        import torch

        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for ids, mask, labels in self._batches(tokenizer, rows):
                total += float(answer_loss(model, ids, mask, labels)) * len(ids)
                count += len(ids)
        return total / max(1, count)


def train(
    model: str,
    task: str,
    condition: str,
    root: Path,
    smoke: bool = False,
    config_path: Path | None = None,
    device: str = "cpu",
    source: str = "auto",
) -> Path:
    """Train the adapter of (model, task, condition) under ``root``; return its folder."""
    if condition not in CONDITION_ROWS:
        raise ParityError(
            f"--condition must be one of {', '.join(CONDITION_ROWS)}, got {condition!r}"
        )
    spec = load_task_spec(task, root)
    config = load_training_config(model, root, config_path).for_task(task)
    if smoke:
        config = TrainingConfig(**{**asdict(config), "epochs": 1})
    loaded = DATASETS.get(spec.parity_dataset).load("train", source, None)
    pool = loaded.examples[: spec.training_cap] if spec.training_cap else loaded.examples
    wanted = SMOKE_ROWS if smoke else CONDITION_ROWS[condition]
    chosen = stratified_sample(pool, wanted, config.seed)
    training, validation = split_validation(chosen, config.validation_fraction, config.seed)
    output = adapter_dir(root, model, task, condition, smoke)
    output.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(config, spec, device)
    result = trainer.fit(training, validation, output)
    hours = round(result["wall_s"] / 3600, 8)  # to the 0.04 ms: a smoke run is under a second
    record = {
        "model": model, "task": task, "condition": condition, "smoke": smoke,
        "hyperparameters": {k: v for k, v in asdict(config).items() if k != "task_overrides"},
        "seed": config.seed, "dataset": spec.parity_dataset, "dataset_source": loaded.source,
        "dataset_sha256": dataset_hash(chosen),
        "rows": {"train": len(training), "validation": len(validation), "pool": len(pool)},
        "packages": _versions(), "git_commit": _git_commit(root), "device": device,
        "wall_s": round(result["wall_s"], 1), "load_s": round(result["load_s"], 1),
        "gpu_hours": 0.0 if device == "cpu" else hours,
        "cpu_hours": hours if device == "cpu" else 0.0,
        "best_epoch": result["best_epoch"], "history": result["history"],
        "prompt": {"name": trainer.template.name, "sha256": trainer.template.sha256},
        "truncated_prompts": result["truncated_prompts"],
    }  # fmt: skip
    write_training_record(output / "training.json", record)
    return output


def write_training_record(path: Path, record: Mapping[str, Any]) -> None:
    """Write ``training.json``; a value that is not a finite number (a loss of NaN or
    infinity: the training diverged) is refused, not written as JSON no reader accepts."""
    try:
        text = json.dumps(record, indent=2, allow_nan=False)
    except ValueError:
        raise ParityError(
            f"{path}: the training record holds a loss that is not a finite number (the "
            "training diverged); nothing was written.\n  Fix: lower the learning rate in "
            "configs/training/<model>.yaml, or check the training rows"
        ) from None
    path.write_text(text + "\n", encoding="utf-8")


def ensure_adapter(model: str, task: str, condition: str, root: Path, smoke: bool = False) -> Path:
    """The adapter folder, trained first if it is missing, once across processes: xdist
    workers that need the same adapter wait on a file lock while one of them trains it."""
    import fcntl

    folder = adapter_dir(root, model, task, condition, smoke)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{condition}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "adapter_config.json").is_file():
            train(model, task, condition, root, smoke=smoke)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m parity.train --model M --task T --condition C``."""
    parser = argparse.ArgumentParser(
        prog="python -m parity.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--model", required=True, help="a configs/training/<model>.yaml name, e.g. smollm2"
    )
    parser.add_argument(
        "--task", required=True, help="a configs/tasks/<task>.yaml name, e.g. banking77"
    )
    parser.add_argument("--condition", required=True, choices=sorted(CONDITION_ROWS))
    parser.add_argument(
        "--root", default=".", help="the project folder that holds adapters/ (default .)"
    )
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_ROWS} rows, 1 epoch, written under smoke/adapters/")  # fmt: skip
    parser.add_argument("--config", type=Path, help="a training YAML instead of the shipped one")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--source", default="auto", choices=("auto", "shipped", "hub"))
    args = parser.parse_args(argv)
    try:
        output = train(args.model, args.task, args.condition, Path(args.root), args.smoke,
                       args.config, args.device, args.source)  # fmt: skip
    except ParityError as exc:
        print(f"parity.train: {exc}", file=sys.stderr)
        return 2
    print(f"parity.train: adapter written to {output}")
    return 0
