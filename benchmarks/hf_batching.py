"""What turning the hf: engine's batching off costs: BANKING77 questions through the shipped
SmolLM2 (dequantized from its GGUF, float32, torch's default threads), 4 requests in flight,
each run alone (``batch_size: 1``, the default) or up to 4 in a batch (``batch_size: 4``).

    python benchmarks/hf_batching.py                 # 8 questions, 5 interleaved repeats
    python benchmarks/hf_batching.py --questions 8 --repeats 5

Both settings share one engine and alternate (A B, B A, ...), so load from other processes
falls on both alike; the medians of the repeats are reported for the LoRA condition's short
prompt (``classification_tuned``, ~60 tokens) and the zero-shot prompt that lists the 77
labels (``classification``, ~700 tokens), 12 new tokens each as in configs/baseweight_cpu.yaml.
It also counts the batched answers whose text or mean log-probability differs from the
same question's answer alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "evals" / "data" / "banking77"
IN_FLIGHT = 4
MAX_TOKENS = 12


def requests(prompt: str, count: int) -> list:
    """The first ``count`` test questions (every 40th row, so that intents vary) as chat
    requests in the shipped ``prompt`` template, asking for log-probabilities."""
    from parity.fixtures.providers import ChatRequest

    template = yaml.safe_load((REPO / "prompts" / f"{prompt}.yaml").read_text())
    labels = "\n".join(f"- {label}" for label in json.loads((DATA / "labels.json").read_text()))
    rows = [json.loads(line) for line in (DATA / "test.jsonl").read_text().splitlines()]
    chats = []
    for row in rows[::40][:count]:
        values = {"text": row["text"], "labels": labels}
        messages = (
            {"role": "system", "content": template["system"].format(**values).strip()},
            {"role": "user", "content": template["user"].format(**values).strip()},
        )
        chats.append(ChatRequest(messages=messages, max_tokens=MAX_TOKENS, logprobs=True))
    return chats


def timed_run(client, chats: Sequence) -> tuple[float, float, list[tuple[str, float | None]]]:
    """Wall seconds and this process's CPU seconds to answer every request, ``IN_FLIGHT`` at
    a time, and the answers in order."""
    answers: list[tuple[str, float | None]] = [("", None)] * len(chats)
    next_index = iter(range(len(chats)))
    lock = threading.Lock()

    def sender() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            completion = client.complete(chats[index])
            answers[index] = (completion.text, completion.extra.get("mean_logprob"))

    start, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=sender) for _ in range(IN_FLIGHT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, time.process_time() - cpu, answers


def main(argv: Sequence[str]) -> None:
    """Print the medians per prompt and setting, and the answers batching changed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from parity.fixtures.providers import PROVIDERS

    hf = PROVIDERS.get("hf")
    clients = {size: hf("smollm2", {"max_concurrency": IN_FLIGHT, "batch_size": size})
               for size in (1, 4)}  # fmt: skip
    try:
        for prompt in ("classification_tuned", "classification"):
            chats = requests(prompt, args.questions)
            timed_run(clients[1], chats[:2])  # warm up
            seconds: dict[int, list[float]] = {1: [], 4: []}
            cpu: dict[int, list[float]] = {1: [], 4: []}
            answers: dict[int, list] = {}
            for repeat in range(args.repeats):
                for size in (1, 4) if repeat % 2 == 0 else (4, 1):
                    took, used, answers[size] = timed_run(clients[size], chats)
                    seconds[size].append(took)
                    cpu[size].append(used)
            changed = sum(a != b for a, b in zip(answers[1], answers[4], strict=True))
            texts = sum(a[0] != b[0] for a, b in zip(answers[1], answers[4], strict=True))
            alone, batched = (statistics.median(seconds[s]) for s in (1, 4))
            cpu_alone, cpu_batched = (statistics.median(cpu[s]) for s in (1, 4))
            print(
                f"{prompt}: {args.questions} questions, {args.repeats} repeats; median wall "
                f"alone {alone:.2f} s ({args.questions / alone:.2f}/s), batched by 4 "
                f"{batched:.2f} s ({args.questions / batched:.2f}/s): {alone / batched:.2f}x; "
                f"median CPU alone {cpu_alone:.2f} s, batched {cpu_batched:.2f} s: "
                f"{cpu_alone / cpu_batched:.2f}x (wall per repeat alone "
                f"{[round(s, 2) for s in seconds[1]]}, batched "
                f"{[round(s, 2) for s in seconds[4]]}); batching changed {changed} of "
                f"{args.questions} answers (text or mean log-probability), {texts} texts"
            )
    finally:
        for client in clients.values():
            client.close()


if __name__ == "__main__":
    main(sys.argv[1:])
