"""Patrol plans: connected, compact areas of the requested size with their expected share."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from tansiq.analytics import AnalyticsError, Grid, PatrolPlan, contiguity_weights


def surface(rng: np.random.Generator) -> tuple[Grid, np.ndarray]:
    grid = Grid(150.0, 0.0, 0.0, nx=30, ny=30)
    row, col = np.divmod(np.arange(grid.n_cells), grid.nx)
    risk = rng.gamma(1.0, 0.01, grid.n_cells)
    for r, c in [(5, 5), (20, 22), (25, 4)]:
        risk += 0.5 * np.exp(-((row - r) ** 2 + (col - c) ** 2) / 8.0)
    return grid, risk


def test_areas_are_connected_disjoint_and_of_the_requested_size(
    rng: np.random.Generator,
) -> None:
    grid, risk = surface(rng)
    plan = PatrolPlan(n_patrols=3, cells_per_patrol=12).fit(risk, grid)
    assert [len(a) for a in plan.areas_] == [12, 12, 12]
    assert len(set(np.concatenate(plan.areas_).tolist())) == 36
    for area in plan.areas_:
        w = contiguity_weights(grid, np.sort(area), queen=False)
        assert connected_components(w, directed=False)[0] == 1


def test_each_area_covers_one_of_the_planted_hot_spots(rng: np.random.Generator) -> None:
    grid, risk = surface(rng)
    plan = PatrolPlan(n_patrols=3, cells_per_patrol=12).fit(risk, grid)
    centres = {(5, 5), (20, 22), (25, 4)}
    found = {divmod(int(c), grid.nx) for area in plan.areas_ for c in area} & centres
    assert found == centres


def test_expected_shares_are_the_share_of_total_risk(rng: np.random.Generator) -> None:
    grid, risk = surface(rng)
    plan = PatrolPlan(n_patrols=2, cells_per_patrol=5).fit(risk, grid)
    for area, share in zip(plan.areas_, plan.expected_share_, strict=True):
        assert share == pytest.approx(risk[area].sum() / risk.sum())
    assert plan.expected_share_[0] >= plan.expected_share_[1]


def test_bad_patrol_sizes_and_empty_surfaces_are_refused() -> None:
    grid = Grid(150.0, 0.0, 0.0, nx=3, ny=3)
    with pytest.raises(AnalyticsError) as info:
        PatrolPlan(n_patrols=0).fit(np.ones(9), grid)
    assert info.value.code == "bad_patrol_size"
    with pytest.raises(AnalyticsError) as info:
        PatrolPlan().fit(np.zeros(9), grid)
    assert info.value.code == "no_risk"
