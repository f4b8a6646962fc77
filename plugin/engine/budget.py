"""A spending cap: requests are only issued while the projected spend stays under it."""

from __future__ import annotations

import threading


class Budget:
    """Tracks spent and reserved USD; ``cap_usd=None`` means unlimited."""

    def __init__(self, cap_usd: float | None) -> None:
        self.cap_usd = cap_usd
        self.spent_usd = 0.0
        self._reserved = 0.0
        self.refused = 0
        self._lock = threading.Lock()

    def reserve(self, estimate_usd: float) -> bool:
        """Reserve ``estimate_usd`` if spent + in-flight + estimate stays within the cap."""
        with self._lock:
            if (
                self.cap_usd is not None
                and self.spent_usd + self._reserved + estimate_usd > self.cap_usd
            ):
                self.refused += 1
                return False
            self._reserved += estimate_usd
            return True

    def settle(self, estimate_usd: float, actual_usd: float) -> None:
        """Replace a reservation by the request's actual cost (0 if it failed)."""
        with self._lock:
            self._reserved -= estimate_usd
            self.spent_usd += actual_usd
