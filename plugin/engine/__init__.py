"""Engine: runs the model calls apart from pytest's item order (scheduler, call process, pacing, retries, budget, pricing, redaction)."""
