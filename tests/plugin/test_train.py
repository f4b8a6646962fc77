"""LoRA training for a LoRA condition: stratified rows and validation, the real peft loop on a
tiny model, what is saved beside the adapter, and one training across processes."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest

from parity.config.errors import ParityError
from parity.evals.datasets import Example
from parity.prompts import load_template
from parity.train.spec import train_command
from parity.train.trainer import (
    dataset_hash,
    ensure_adapter,
    split_validation,
    stratified_sample,
    train,
)

pytest.importorskip("peft", reason="training needs peft (the open-models extra)")


def examples(counts):
    rows, index = [], 0
    for label, n in counts.items():
        for _ in range(n):
            rows.append(Example(str(index), f"text {index}", "", (label,)))
            index += 1
    return rows


def test_a_stratified_sample_keeps_each_labels_share_and_is_seeded():
    pool = examples({"a": 60, "b": 30, "c": 10})
    sample = stratified_sample(pool, 20, seed=1)
    assert Counter(e.answers[0] for e in sample) == {"a": 12, "b": 6, "c": 2}
    assert [e.id for e in sample] == [e.id for e in stratified_sample(pool, 20, seed=1)]
    assert [e.id for e in sample] != [e.id for e in stratified_sample(pool, 20, seed=2)]
    assert [int(e.id) for e in sample] == sorted(int(e.id) for e in sample)  # data order
    assert stratified_sample(pool, None, 1) == pool


def test_validation_is_carved_from_training_rows_stratified_and_disjoint():
    rows = examples({"a": 40, "b": 40, "c": 20})
    training, validation = split_validation(rows, 0.1, seed=42)
    assert len(validation) == 10 and len(training) == 90
    assert not {e.id for e in training} & {e.id for e in validation}
    assert Counter(e.answers[0] for e in validation) == {"a": 4, "b": 4, "c": 2}
    assert dataset_hash(rows) == dataset_hash(list(rows)) != dataset_hash(rows[1:])


@pytest.fixture
def project(tmp_path):
    """A project whose configs/training/tiny.yaml trains the tiny Llama."""
    from tests.support.tiny_model import save_tiny_llama

    base = save_tiny_llama(tmp_path / "tiny-base")
    (tmp_path / "configs" / "training").mkdir(parents=True)
    (tmp_path / "configs" / "training" / "tiny.yaml").write_text(
        f"base: {base}\nrank: 4\nalpha: 8\ntarget_modules: [q_proj, v_proj]\n"
        "epochs: 2\nbatch_size: 4\nlearning_rate: 0.01\n"
    )
    return tmp_path


def test_training_writes_the_best_epochs_adapter_and_its_record(project, capsys):
    folder = train("tiny", "banking77", "lora-500", project, smoke=True, source="shipped")
    assert folder == project / "smoke" / "adapters" / "tiny" / "banking77" / "lora-500"
    assert (folder / "adapter_config.json").is_file()
    record = json.loads((folder / "training.json").read_text())
    assert record["rows"] == {"train": 11, "validation": 1, "pool": 10003}
    assert record["hyperparameters"]["rank"] == 4 and record["hyperparameters"]["epochs"] == 1
    assert record["seed"] == 42 and len(record["dataset_sha256"]) == 64
    assert {"torch", "transformers", "peft"} <= set(record["packages"])
    assert record["cpu_hours"] > 0 and record["gpu_hours"] == 0.0
    assert [h["epoch"] for h in record["history"]] == [1] and record["best_epoch"] == 1
    assert "parity.train: epoch 1 validation loss" in capsys.readouterr().err
    # The shipped banking77 task config trains on the label-free prompt, nothing cut.
    assert record["prompt"]["name"] == "classification_tuned"
    assert record["prompt"]["sha256"] == load_template("classification_tuned").sha256
    assert record["truncated_prompts"] == 0


def test_prompts_longer_than_the_limit_are_counted_and_warned_about(project, capsys):
    tasks = project / "configs" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "banking77.yaml").write_text(
        "task_id: banking77\nparity_dataset: banking77\nparity_task: classification\n"
        "metric_id: weighted_f1\nmax_seq_length: 64\n"  # the label list alone is longer
    )
    folder = train("tiny", "banking77", "lora-500", project, smoke=True, source="shipped")
    record = json.loads((folder / "training.json").read_text())
    assert record["prompt"]["name"] == "classification" and record["truncated_prompts"] == 12
    assert "12 of 12 prompts are longer than max_seq_length" in capsys.readouterr().err


def test_a_lora_condition_defaults_to_the_prompt_its_adapter_trains_on():
    from parity.config.config import parse_config
    from tests.conftest import experiment

    def prompt(condition):
        raw = experiment(model={"name": "hf:smollm2"}, task={"name": "classification"},
                         dataset={"name": "banking77", "source": "shipped", "num_examples": 2},
                         metrics=["accuracy"], condition=condition)  # fmt: skip
        return parse_config([raw], "t.yaml").experiments[0].prompt

    assert prompt("lora-500") == "classification_tuned"
    assert prompt("5-shot") == prompt("zero-shot") == "classification"


def test_a_diverged_training_writes_no_record(project, monkeypatch):
    """A loss of NaN is refused, as every other JSON writer of Parity refuses it: bare
    ``NaN`` is not JSON and would break whatever reads ``training.json``."""
    import parity.train.trainer as training

    def diverged(self, train, validation, output, log=None):
        nan = float("nan")
        return {"history": [{"epoch": 1, "train_loss": nan, "val_loss": nan}],
                "best_epoch": 1, "load_s": 0.0, "wall_s": 0.1, "truncated_prompts": 0}  # fmt: skip

    monkeypatch.setattr(training.Trainer, "fit", diverged)
    with pytest.raises(ParityError, match="not a finite number"):
        train("tiny", "banking77", "lora-500", project, smoke=True, source="shipped")
    folder = project / "smoke" / "adapters" / "tiny" / "banking77" / "lora-500"
    assert not (folder / "training.json").exists()


def test_an_adapter_is_trained_once_while_other_processes_wait(project, monkeypatch):
    import parity.train.trainer as training

    calls = []

    def fake_train(model, task, condition, root, smoke=False):
        calls.append(threading.current_thread().name)
        folder = training.adapter_dir(root, model, task, condition)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "adapter_config.json").write_text("{}")
        return folder

    monkeypatch.setattr(training, "train", fake_train)
    threads = [threading.Thread(target=ensure_adapter, args=("tiny", "banking77", "lora-500", project))
               for _ in range(4)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1


def test_the_train_command_is_the_one_to_copy():
    assert train_command("smollm2", "banking77", "lora-500") == (
        "python -m parity.train --model smollm2 --task banking77 --condition lora-500"
    )


def test_the_answer_only_loss_equals_the_models_own_loss(tmp_path):
    import torch
    import transformers

    from parity.train.trainer import answer_loss
    from tests.support.tiny_model import save_tiny_llama

    model = transformers.AutoModelForCausalLM.from_pretrained(save_tiny_llama(tmp_path / "m"))
    ids = torch.randint(0, 1000, (3, 12))
    mask = torch.ones_like(ids)
    mask[0, :4] = 0  # left padding on the first row
    labels = torch.full_like(ids, -100)
    labels[:, 9:] = ids[:, 9:]  # the answer: the last three tokens
    expected = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert float(answer_loss(model, ids, mask, labels)) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("model", ["qwen3-8b", "gemma-3-4b", "phi-4-mini"])
def test_the_baseweight_gpu_models_ship_qlora_configs(model, tmp_path):
    from parity.train.trainer import load_training_config

    config = load_training_config(model, tmp_path)  # no project config: the shipped one
    assert config.method == "unsloth" and "/" in config.base  # a hub id
    assert config.for_task("fpb").epochs == config.epochs + 1
    assert config.enable_thinking is (False if model == "qwen3-8b" else None)
