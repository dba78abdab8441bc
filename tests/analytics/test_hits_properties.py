"""Properties of the hit count that any ranking must satisfy (checked with Hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tansiq.analytics import hits_at_coverage

cells = st.integers(min_value=1, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),  # risk with many ties
        st.lists(st.integers(0, 4), min_size=n, max_size=n),  # events
    )
)


@given(cells)
def test_hits_grow_with_coverage_and_stay_within_the_events(data: tuple[list[int], list[int]]):
    risk, events = (np.asarray(a, dtype=float) for a in data)
    hits = [hits_at_coverage(risk, events, k) for k in range(len(risk) + 1)]
    assert hits[0] == 0 and np.isclose(hits[-1], events.sum())
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(hits))


@given(cells)
def test_tied_risks_give_the_same_hits_as_the_average_over_tie_orders(
    data: tuple[list[int], list[int]],
) -> None:
    # Expected value over random tie-breaking equals the proportional rule; check by averaging
    # over all cyclic shifts of the tied cells' order (exact for the within-group share).
    risk, events = (np.asarray(a, dtype=float) for a in data)
    k = max(1, len(risk) // 3)
    order = np.lexsort((np.arange(len(risk)), -risk))
    threshold = risk[order[k - 1]]
    tied = np.flatnonzero(risk == threshold)
    above = events[risk > threshold].sum()
    need = k - int((risk > threshold).sum())
    shifts = [np.roll(tied, s)[:need] for s in range(len(tied))]
    average = above + np.mean([events[s].sum() for s in shifts])
    assert np.isclose(hits_at_coverage(risk, events, k), average)
