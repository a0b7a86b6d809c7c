"""The share rule: property tests against its three written steps."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrisk.shares import share_weights

shares = st.lists(
    st.one_of(st.none(), st.floats(min_value=0.001, max_value=1.0)), min_size=1, max_size=12
)


@given(shares)
def test_weights_are_positive_and_sum_to_one(group: list[float | None]) -> None:
    weights, confidence = share_weights(group)
    assert len(weights) == len(group)
    assert all(w > 0 for w in weights)
    assert math.isclose(sum(weights), 1.0, rel_tol=1e-12)
    given_total = sum(s for s in group if s is not None)
    assert confidence == pytest.approx(min(given_total, 1.0))


@given(shares)
def test_given_shares_keep_their_proportions(group: list[float | None]) -> None:
    weights, _ = share_weights(group)
    pairs = [(s, w) for s, w in zip(group, weights, strict=True) if s is not None]
    for (s1, w1), (s2, w2) in itertools.pairwise(pairs):
        assert w1 / w2 == pytest.approx(s1 / s2, rel=1e-9)


def test_missing_shares_split_the_remainder() -> None:
    assert share_weights([0.6, None, None]).weights == pytest.approx((0.6, 0.2, 0.2))


def test_missing_share_in_a_full_group_takes_the_smallest_given() -> None:
    # 0.8 + 0.4 > 1: the missing one is set to 0.4, then all are rescaled by 1.6.
    assert share_weights([0.8, 0.4, None]).weights == pytest.approx((0.5, 0.25, 0.25))


def test_empty_group_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        share_weights([])
