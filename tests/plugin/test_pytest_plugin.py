"""Parts of the pytest plugin that a run cannot show cheaply."""

from __future__ import annotations

import gc

from parity.pytest_plugin import FREEZE_FROM_ITEMS, freeze_collected_objects


def test_only_a_large_run_freezes_the_objects_collection_made():
    gc.unfreeze()
    assert not freeze_collected_objects(FREEZE_FROM_ITEMS - 1)
    assert gc.get_freeze_count() == 0
    try:
        assert freeze_collected_objects(FREEZE_FROM_ITEMS)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
