"""An xdist scheduler that sends each chunk of an experiment to one worker as a unit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from parity.cases import EvalPlan
from parity.chunking import assign_chunks


class ChunkScheduling(LoadScopeScheduling):
    """Like ``--dist load`` for ordinary tests, but keeps every eval chunk on one worker.

    Workers compute a chunk together on its first item, so the chunk must not be split: the
    scope of an eval item is its chunk key; any other test is its own scope.
    """

    def __init__(
        self,
        config: pytest.Config,
        log: Any,
        plan: Callable[[], EvalPlan],
        workers: int,
        batch_size: int,
    ) -> None:
        super().__init__(config, log)
        self._plan = plan
        self._workers = workers
        self._batch_size = batch_size
        self._scopes: dict[str, str] | None = None

    def _scope_map(self) -> dict[str, str]:
        collection = next(iter(self.registered_collections.values()))
        by_id = self._plan().by_id
        node_of: dict[str, str] = {}
        cases = []
        for nodeid in collection:
            param = nodeid.rsplit("[", 1)[1][:-1] if nodeid.endswith("]") else None
            case = by_id.get(param) if param else None
            if case is not None and case.skip_reason is None:
                node_of[case.id] = nodeid
                cases.append(case)
        chunks = assign_chunks(cases, self._workers, self._batch_size)
        return {node_of[case_id]: chunk for case_id, chunk in chunks.items()}

    def _split_scope(self, nodeid: str) -> str:
        if self._scopes is None:
            self._scopes = self._scope_map()
        return self._scopes.get(nodeid, nodeid)
