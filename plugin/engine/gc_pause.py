"""Build a large, cycle-free structure without the garbage collector's full passes.

CPython's cyclic collector runs a full pass each time the heap has grown by a quarter, and
each pass visits every container object: loading a config of 100,000 experiments spends
about as long in those passes as in the loading itself. Parsed YAML and the plan made from
it hold no reference cycles, so nothing is left for the collector to free meanwhile.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the block (reference counting still
    frees memory); it is enabled again afterwards if it was before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
