"""Shift risk: a cell's share of events in the shift's hours, shrunk to the city's."""

from __future__ import annotations

import numpy as np
import pytest

from tansiq.analytics import AnalyticsError, History, NaiveCounting, ShiftRisk
from tests.analytics.conftest import projected_frame


def test_night_places_get_a_larger_share_of_a_night_shift() -> None:
    night = [f"2019-02-{d:02d} 23:00" for d in range(1, 11)]
    day = [f"2019-02-{d:02d} 11:00" for d in range(1, 11)]
    events = projected_frame(night + day, [(75.0, 75.0)] * 10 + [(375.0, 75.0)] * 10)
    history = History.on_study_grid(events, 150.0, "EPSG:32617")
    model = ShiftRisk(NaiveCounting(30), start_hour=22, end_hour=6, prior=10).fit(
        history, "2019-02-20"
    )
    bar, shop = history.grid.cell_of(np.array([630_075.0, 630_375.0]), np.array([4_833_075.0] * 2))
    # Reference by hand: city share 0.5; bar (10 + 10 * 0.5) / 20, shop (0 + 5) / 20.
    assert model.share_[bar] == pytest.approx(0.75)
    assert model.share_[shop] == pytest.approx(0.25)
    assert model.risk_[bar] == pytest.approx(3 * model.risk_[shop])


def test_a_shift_must_have_valid_hours() -> None:
    with pytest.raises(AnalyticsError) as info:
        ShiftRisk(NaiveCounting(), start_hour=8, end_hour=8)
    assert info.value.code == "bad_shift"
