"""Names the pytest layer shares: the eval items' marker, the gates' node ids, the default
config and the report attribute a worker's records travel in."""

from __future__ import annotations

from pathlib import Path

EVAL_MARK = "parity_eval"
EVAL_CLASSNAME = "parity.evals.test_experiments"
GATES_PATH = "parity-gates"
DEFAULT_CONFIG = Path("configs") / "experiments.yaml"
# In an xdist worker the call report of an eval item carries its record (as data, so xdist
# sends it along); a serial run hands the record object itself to its aggregator.
RECORD_ATTRIBUTE = "parity_record"
