"""An xdist scheduler that sends each worker one whole partition of the eval cases.

The runnable eval cases are split by position modulo the worker count
(:func:`parity.engine.runtime.partition_of`); each partition is one xdist scope, so one worker
receives all of it and can queue it in one go, with every experiment's endpoints busy at
once. Any other test is its own scope, as with ``--dist load``. When a worker crashes, xdist
re-queues the unfinished part of its partition, and the worker that takes it over first reads
the rows already written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from parity.cases.cases import EvalPlan
from parity.cases.nodeids import case_id_of
from parity.engine.runtime import partition_of


class PartitionScheduling(LoadScopeScheduling):
    """``--dist load`` for ordinary tests; one scope per worker partition for eval items."""

    def __init__(
        self, config: pytest.Config, log: Any, plan: Callable[[], EvalPlan], workers: int
    ) -> None:
        super().__init__(config, log)
        self._plan = plan
        self._workers = workers
        self._scopes: dict[str, str] | None = None

    def _scope_map(self) -> dict[str, str]:
        collection = next(iter(self.registered_collections.values()))
        if not any(case_id_of(nodeid) for nodeid in collection):
            return {}  # no config item: the eval config is not even read
        by_id = self._plan().by_id
        scopes: dict[str, str] = {}
        position = 0
        for nodeid in collection:
            param = case_id_of(nodeid)
            case = by_id.get(param) if param else None
            if case is not None and case.skip_reason is None:
                scopes[nodeid] = f"parity-partition-{partition_of(position, self._workers)}"
                position += 1
        return scopes

    def _split_scope(self, nodeid: str) -> str:
        if self._scopes is None:
            self._scopes = self._scope_map()
        return self._scopes.get(nodeid, nodeid)
