"""Agreement between two raters of the same items: raw agreement, Cohen's kappa and the
confusion table.

Cohen's kappa is (p_o - p_e) / (1 - p_e): the observed agreement p_o beyond the agreement
p_e two raters with these label frequencies would reach by chance, as a share of what
chance leaves. 1 is perfect agreement, 0 chance level, below 0 worse than chance. When
both raters give every item one and the same label, p_e = 1 and kappa is undefined: None
here (scikit-learn's ``cohen_kappa_score`` returns NaN), never a number a gate could pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    """Two raters' agreement over ``n`` items: ``confusion[(a, b)]`` counts items rater A
    labelled ``a`` and rater B ``b``."""

    n: int
    agreement: float
    kappa: float | None  # None: undefined (both raters used one and the same label)
    confusion: dict[tuple[Hashable, Hashable], int]


def agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> Agreement:
    """The agreement of labels ``a`` and ``b`` (one each per item, in the same order);
    ValueError when their lengths differ or there are no items."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} labels against {len(b)}")
    if not a:
        raise ValueError("no items to compare")
    n = len(a)
    confusion = Counter(zip(a, b, strict=True))
    observed = sum(count for (x, y), count in confusion.items() if x == y) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    kappa = None if expected == 1.0 else (observed - expected) / (1.0 - expected)
    return Agreement(n, observed, kappa, dict(confusion))
