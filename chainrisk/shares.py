"""The share rule of data-format.md: turn partly known shares into positive weights.

Within one group (the producers of a component, or the suppliers of one component to
one buyer):

1. shares given are kept; missing ones split the remainder ``1 - sum(given)``
   equally when that remainder is positive;
2. when the remainder is not positive, each missing share is set to the smallest
   given share;
3. all shares are then rescaled to sum to 1.

``share_confidence`` is the sum of the given shares, capped at 1.

Examples
--------
>>> share_weights([0.5, None, None])
ShareWeights(weights=(0.5, 0.25, 0.25), confidence=0.5)
>>> share_weights([0.7, 0.6, None]).weights  # over-full: missing gets the smallest, rescaled
(0.3684210526315789, 0.3157894736842105, 0.3157894736842105)
>>> share_weights([None, None])
ShareWeights(weights=(0.5, 0.5), confidence=0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class ShareWeights(NamedTuple):
    """Positive weights summing to 1, and how much of them was given."""

    weights: tuple[float, ...]
    confidence: float


def share_weights(shares: Sequence[float | None]) -> ShareWeights:
    """Return the weights of a group after the share rule, and its share confidence.

    Given shares must be positive (the bundle reader guarantees it).
    """
    if not shares:
        raise ValueError("a share group has at least one member")
    given = [s for s in shares if s is not None]
    if any(s <= 0 for s in given):
        raise ValueError("given shares must be positive")
    total_given = float(sum(given))
    missing = len(shares) - len(given)
    if missing:
        remainder = 1.0 - total_given
        fill = remainder / missing if remainder > 0 else min(given)
        filled = [fill if s is None else s for s in shares]
    else:
        filled = [s for s in shares if s is not None]
    total = sum(filled)
    return ShareWeights(tuple(s / total for s in filled), min(total_given, 1.0))
