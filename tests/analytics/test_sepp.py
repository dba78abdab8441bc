"""Grid ETAS by EM: parameters recovered from a simulated self-exciting process."""

from __future__ import annotations

import numpy as np
import pytest

from tansiq.analytics import GridSEPP, History
from tansiq.analytics.sepp import fit_grid_etas
from tests.analytics.conftest import projected_frame


def simulate_grid_hawkes(
    rng: np.random.Generator, mu: np.ndarray, theta: float, omega: float, length: float
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster (branching) simulation: background events, then Poisson(theta) children each,
    delayed by Exp(omega), in the parent's cell (Mohler et al. 2011, section 2)."""
    counts = rng.poisson(mu * length)
    cells = np.repeat(np.arange(len(mu)), counts)
    times = rng.uniform(0, length, size=len(cells))
    all_t, all_c = [times], [cells]
    parents_t, parents_c = times, cells
    while len(parents_t):
        kids = rng.poisson(theta, size=len(parents_t))
        child_t = np.repeat(parents_t, kids) + rng.exponential(1 / omega, size=kids.sum())
        child_c = np.repeat(parents_c, kids)
        keep = child_t < length
        parents_t, parents_c = child_t[keep], child_c[keep]
        all_t.append(parents_t)
        all_c.append(parents_c)
    return np.concatenate(all_t), np.concatenate(all_c)


def test_em_recovers_the_parameters_of_a_simulated_grid_hawkes_process(
    rng: np.random.Generator,
) -> None:
    mu = rng.gamma(2.0, 0.01, size=300)
    t, cell = simulate_grid_hawkes(rng, mu, theta=0.3, omega=0.5, length=2000.0)
    mu_hat, theta, omega, _, converged = fit_grid_etas(t, cell, 300, (0.0, 2000.0))
    assert converged
    assert theta == pytest.approx(0.3, abs=0.04)
    assert omega == pytest.approx(0.5, rel=0.15)
    assert mu_hat.sum() == pytest.approx(mu.sum(), rel=0.1)


def test_without_triggering_em_attributes_almost_everything_to_the_background(
    rng: np.random.Generator,
) -> None:
    mu = rng.gamma(2.0, 0.01, size=300)
    t, cell = simulate_grid_hawkes(rng, mu, theta=0.0, omega=1.0, length=2000.0)
    _, theta, _, _, _ = fit_grid_etas(t, cell, 300, (0.0, 2000.0))
    assert theta < 0.03


def test_exact_duplicates_do_not_make_the_fit_diverge() -> None:
    # Same hour, same cell: the decay rate is capped instead of running off to infinity.
    events = projected_frame(
        ["2019-01-01 10:00"] * 4 + ["2019-01-20", "2019-02-03"], [(75.0, 75.0)] * 6
    )
    history = History.on_study_grid(events, 150.0, "EPSG:32617")
    model = GridSEPP(days=60).fit(history, "2019-02-10")
    assert np.isfinite(model.risk_).all()
    assert model.omega_ <= 24.0 and 0 <= model.theta_ < 1


def test_prediction_is_background_plus_the_decayed_boost_of_past_events() -> None:
    events = projected_frame(["2019-01-01 12:00", "2019-01-09 12:00"], [(75.0, 75.0)] * 2)
    history = History.on_study_grid(events, 150.0, "EPSG:32617")
    model = GridSEPP(days=30).fit(history, "2019-01-10")
    ages = np.array([8.5, 0.5])
    boost = model.theta_ * np.sum(np.exp(-model.omega_ * ages) - np.exp(-model.omega_ * (ages + 1)))
    assert model.risk_[0] == pytest.approx(model.mu_[0] + boost)


def test_only_exact_duplicates_give_the_fastest_decay_without_warnings() -> None:
    import warnings

    t = np.array([1.0, 1.0, 5.0, 5.0, 9.0])
    cell = np.zeros(5, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, theta, omega, _, _ = fit_grid_etas(t, cell, 1, (0.0, 10.0), max_omega=24.0)
    assert omega == 24.0 and 0 < theta < 1
