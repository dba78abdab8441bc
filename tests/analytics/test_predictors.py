"""Next-day predictors: hand-computed reference values and use of the past only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tansiq.analytics import (
    AnalyticsError,
    DecayedCounts,
    Ensemble,
    Grid,
    GridSEPP,
    History,
    KernelDensity,
    NaiveCounting,
    ProspectiveHotspot,
    RetrospectiveHotspot,
    make_method,
)
from tansiq.analytics.methods import METHODS
from tests.analytics.conftest import projected_frame

# Events at cell centres of a 150 m grid whose origin is (630000, 4833000) (offsets in metres).
CENTRE = (75.0, 75.0)
EAST = (225.0, 75.0)


def history_of(times: list[str], xy: list[tuple[float, float]]) -> History:
    # Two old anchor events stretch the grid so that kernels are not cut at its edge, and
    # every cell is in the study area, so that spread to empty cells can be checked.
    anchors = [(-600.0, -600.0), (1500.0, 1500.0)]
    events = projected_frame([*times, "2000-01-01", "2000-01-01"], [*xy, *anchors])
    grid = Grid.covering(events["x"].to_numpy(), events["y"].to_numpy(), 150.0, "EPSG:32617")
    return History.from_events(events, grid)


def test_naive_counting_counts_the_last_days_only() -> None:
    history = history_of(
        ["2019-03-01", "2019-03-09", "2019-03-09 23:00", "2019-03-10"], [CENTRE] * 4
    )
    model = NaiveCounting(days=5).fit(history, "2019-03-10")
    cell = history.grid.cell_of(np.array([630_075.0]), np.array([4_833_075.0]))[0]
    assert model.risk_[cell] == pytest.approx(2 / 5)


def test_prospective_hotspot_weights_match_bowers_johnson_pease() -> None:
    # Reference: Bowers et al. (2004) weights 1/(1 + distance in cells) * 1/(1 + age in weeks).
    history = history_of(["2019-03-07", "2019-02-28"], [CENTRE, CENTRE])
    model = ProspectiveHotspot(weeks=8, bandwidth=400).fit(history, "2019-03-10")
    cells = history.grid.cell_of(np.array([630_075.0, 630_225.0]), np.array([4_833_075.0] * 2))
    # Ages: 3 days (week 0) and 10 days (week 1); the east neighbour is one cell away.
    assert model.risk_[cells[0]] == pytest.approx(1 + 1 / 2)
    assert model.risk_[cells[1]] == pytest.approx((1 + 1 / 2) / 2)


def test_kernel_density_integrates_to_the_number_of_events() -> None:
    history = history_of(["2019-03-01", "2019-03-02"], [(600.0, 600.0), (700.0, 650.0)])
    density = KernelDensity(bandwidth=450.0, start="2019-01-01").fit(history).density_
    cell_km2 = 0.15**2
    assert density.sum() * cell_km2 == pytest.approx(2.0, rel=0.03)


def test_retrospective_hotspot_peaks_where_the_events_are() -> None:
    history = history_of(["2019-03-01", "2019-03-02"], [(600.0, 600.0), (610.0, 620.0)])
    risk = RetrospectiveHotspot(days=60, bandwidth=200).fit(history, "2019-03-10").risk_
    assert (
        int(np.argmax(risk))
        == history.grid.cell_of(np.array([630_600.0]), np.array([4_833_600.0]))[0]
    )


def test_decayed_counts_halve_an_events_weight_every_half_life() -> None:
    history = history_of(["2019-03-09", "2018-03-09"], [CENTRE, CENTRE])
    model = DecayedCounts(half_life=365, neighbour_weight=0.0).fit(history, "2019-03-10")
    cell = history.grid.cell_of(np.array([630_075.0]), np.array([4_833_075.0]))[0]
    # Ages in days are 1 and 366 at midnight of the predicted day.
    expected = (2 ** (-1 / 365) + 2 ** (-366 / 365)) * np.log(2) / 365
    assert model.risk_[cell] == pytest.approx(expected)


def test_decayed_counts_lend_neighbours_a_small_share() -> None:
    history = history_of(["2019-03-09"], [CENTRE])
    risk = DecayedCounts(neighbour_weight=0.02).fit(history, "2019-03-10").risk_
    centre, east = history.grid.cell_of(
        np.array([630_075.0, 630_225.0]), np.array([4_833_075.0] * 2)
    )
    assert risk[east] == pytest.approx(0.02 * risk[centre] / (1 - 8 * 0.02))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_ignores_events_on_or_after_the_predicted_day(
    sample_history: History, name: str
) -> None:
    at = pd.Timestamp("2019-06-01")
    full = make_method(name).fit(sample_history, at).risk_
    cut = sample_history.before(at)
    past_only = make_method(name).fit(cut, at).risk_
    np.testing.assert_allclose(full, past_only)
    assert np.all(full[~sample_history.grid.study_mask] == 0)


def test_every_method_reports_an_empty_training_window(sample_history: History) -> None:
    for name in METHODS:
        with pytest.raises(AnalyticsError) as info:
            make_method(name).fit(sample_history, "2001-01-01")
        assert info.value.code == "empty_training_window", name


def test_all_events_in_one_cell_put_all_risk_in_that_cell() -> None:
    # Documented behaviour: prediction works and ranks the single cell first.
    events = projected_frame(["2019-01-01", "2019-01-02", "2019-01-03"], [CENTRE] * 3)
    history = History.on_study_grid(events, 150.0, "EPSG:32617")
    for name in METHODS:
        risk = make_method(name).fit(history, "2019-01-04").risk_
        assert risk.shape == (1,) and risk[0] > 0, name


def test_an_ensemble_adds_weighted_member_risks(sample_history: History) -> None:
    a = NaiveCounting(365).fit(sample_history, "2019-06-01").risk_
    b = GridSEPP().fit(sample_history, "2019-06-01").risk_
    both = Ensemble([NaiveCounting(365), GridSEPP()], [0.25, 0.75])
    np.testing.assert_allclose(both.fit(sample_history, "2019-06-01").risk_, 0.25 * a + 0.75 * b)
    with pytest.raises(AnalyticsError):
        Ensemble([NaiveCounting()], [1.0, 2.0])
