"""Knox near-repeat test: pair counts by band, and detection of planted near repeats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tansiq.analytics import AnalyticsError, Grid, History, KnoxTest


def history_from(t_days: np.ndarray, x: np.ndarray, y: np.ndarray) -> History:
    times = pd.Timestamp("2019-01-01") + pd.to_timedelta(t_days, unit="D")
    events = pd.DataFrame({"time": times, "x": x, "y": y, "category": "Burglary"})
    grid = Grid.covering(x, y, 150.0, "EPSG:32617")
    return History.from_events(events, grid)


def test_pairs_are_counted_in_their_space_and_time_band() -> None:
    # Reference values counted by hand: pairs (0,1): 100 m, 2 days; (0,2): 500 m, 20 days;
    # (1,2): about 412 m, 18 days.
    history = history_from(
        np.array([0.0, 2.0, 20.0]), np.array([0.0, 100.0, 300.0]), np.array([0.0, 0.0, 400.0])
    )
    knox = KnoxTest([0, 200, 600], [0, 7, 30], permutations=9).fit(history)
    observed = knox.table_.set_index(["space_to_m", "time_to_days"])["observed"]
    assert observed[(200.0, 7.0)] == 1
    assert observed[(600.0, 30.0)] == 2
    assert observed.sum() == 3


def test_planted_near_repeats_are_significant_in_the_close_close_band(
    rng: np.random.Generator,
) -> None:
    n = 400
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    t = rng.uniform(0, 365, n)
    # Each of 100 events gets a repeat within 100 m and 3 days.
    rx = x[:100] + rng.uniform(-70, 70, 100)
    ry = y[:100] + rng.uniform(-70, 70, 100)
    rt = t[:100] + rng.uniform(0, 3, 100)
    history = history_from(np.r_[t, rt], np.r_[x, rx], np.r_[y, ry])
    knox = KnoxTest([0, 200, 400, 800], [0, 7, 14, 28], permutations=99, seed=3).fit(history)
    bands = knox.significant_bands()
    assert ((bands["space_to_m"] == 200) & (bands["time_to_days"] == 7)).any()
    close = knox.table_.iloc[0]
    assert close["ratio"] > 3 and close["p_value"] == pytest.approx(0.01)


def test_without_interaction_few_bands_are_significant(rng: np.random.Generator) -> None:
    n = 500
    history = history_from(rng.uniform(0, 365, n), rng.uniform(0, 5000, n), rng.uniform(0, 5000, n))
    knox = KnoxTest(permutations=99, seed=4).fit(history)
    assert knox.table_["significant"].sum() <= 3


def test_band_edges_must_increase() -> None:
    history = history_from(np.array([0.0, 1.0]), np.array([0.0, 10.0]), np.array([0.0, 0.0]))
    with pytest.raises(AnalyticsError) as info:
        KnoxTest([0, 400, 200], [0, 7]).fit(history)
    assert info.value.code == "bad_bands"
