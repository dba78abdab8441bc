"""Getis-Ord Gi*: agreement with PySAL esda on the same grid and weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tansiq.analytics import AnalyticsError, GetisOrdGiStar, Grid, History, contiguity_weights
from tansiq.analytics import gi_star as tansiq_gi_star


def lattice_counts(rng: np.random.Generator) -> tuple[Grid, np.ndarray]:
    grid = Grid(150.0, 0.0, 0.0, nx=12, ny=10)
    row, col = np.divmod(np.arange(grid.n_cells), grid.nx)
    # A hot block in the north-east on a Poisson background.
    rate = 2.0 + 6.0 * ((row >= 6) & (col >= 8))
    return grid, rng.poisson(rate).astype(float)


def test_z_scores_equal_esda_g_local_star(rng: np.random.Generator) -> None:
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    grid, y = lattice_counts(rng)
    w = contiguity_weights(grid, np.arange(grid.n_cells), queen=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = esda.G_Local(
            y, libpysal.weights.WSP(w).to_W(), transform="B", star=True, permutations=999, seed=1
        )
    z, p_norm, p_sim = tansiq_gi_star(y, w, permutations=999, seed=2)
    np.testing.assert_allclose(z, reference.Zs, rtol=1e-10)
    np.testing.assert_allclose(p_norm, reference.p_norm, rtol=1e-10)
    # Pseudo p-values are Monte Carlo estimates with independent seeds: they agree within
    # sampling error (sd of a p-value near 0.05 from 999 draws is about 0.007).
    assert np.max(np.abs(p_sim - reference.p_sim)) < 0.06
    assert np.mean(np.abs(p_sim - reference.p_sim)) < 0.015
    agree = (p_sim < 0.05) == (reference.p_sim < 0.05)
    assert agree.mean() > 0.95


def test_the_planted_hot_block_is_found_hot(rng: np.random.Generator) -> None:
    grid, y = lattice_counts(rng)
    row, col = np.divmod(np.arange(grid.n_cells), grid.nx)
    xs, ys = grid.centres()
    times = np.repeat(np.datetime64("2019-05-01", "ns"), int(y.sum()))
    import pandas as pd

    events = pd.DataFrame(
        {
            "time": times,
            "x": np.repeat(xs, y.astype(int)),
            "y": np.repeat(ys, y.astype(int)),
            "category": "Assault",
        }
    )
    history = History.from_events(events, grid)
    gi = GetisOrdGiStar(permutations=199, seed=0).fit(history)
    core = (row >= 7) & (col >= 9)
    assert gi.hot_[core].mean() > 0.8
    assert not gi.hot_[(row <= 3) & (col <= 3)].any()


def test_gi_star_refuses_constant_counts() -> None:
    grid = Grid(150.0, 0.0, 0.0, nx=3, ny=3)
    w = contiguity_weights(grid, np.arange(9))
    with pytest.raises(AnalyticsError) as info:
        tansiq_gi_star(np.ones(9), w)
    assert info.value.code == "constant_values"
