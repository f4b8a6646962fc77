"""Training: the light training spec config reads, and the LoRA trainer (``python -m parity.train``)."""
