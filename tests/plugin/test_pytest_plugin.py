"""Parts of the pytest plugin that a run cannot show cheaply."""

from __future__ import annotations

import gc
import subprocess
import sys

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


def test_loading_the_plugin_imports_no_numerics_or_sdk():
    """Every pytest run with Parity installed loads the plugin: numpy, scipy and the SDKs
    (together over a second) wait until a run needs them."""
    heavy = ("numpy", "scipy", "openai", "anthropic", "google.genai", "torch", "sklearn")
    probe = f"import sys, parity.pytest_plugin; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
