"""``python -m parity.train``: train a LoRA adapter for (model, task, condition)."""

from parity.train.trainer import main

if __name__ == "__main__":
    raise SystemExit(main())
