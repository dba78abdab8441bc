"""Risk for one shift (a range of hours) instead of a whole day.

Places differ in *when* crime happens there (bars at night, shops by day), so a shift's risk is
the day's risk times the cell's share of events in those hours.  The share is estimated from the
cell's own past and shrunk towards the city-wide share, because most cells have too few events
to estimate 24 hourly shares on their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.history import History
from tansiq.analytics.predictor import Predictor

__all__ = ["ShiftRisk"]


class ShiftRisk(Predictor):
    """A day predictor's risk restricted to the hours ``[start_hour, end_hour)``.

    ``risk_n = day_risk_n * (k_n + prior * S) / (N_n + prior)`` where ``N_n`` are the cell's past
    events, ``k_n`` those whose local hour falls in the shift, and ``S`` the city-wide share of
    events in the shift.  A shift may wrap midnight (``start_hour=22, end_hour=6``); its day is
    the one it starts on, and hours after midnight count towards it as they do for the day.

    Parameters
    ----------
    base : Predictor
        The next-day predictor to modulate.
    start_hour, end_hour : int
        Shift hours in local time, 0-24.
    prior : float
        Pseudo-events pulling a cell's shift share towards the city's.
    days : int
        Look-back for the hour shares.

    Attributes
    ----------
    share_ : numpy.ndarray
        Estimated share of each cell's events falling in the shift.

    References
    ----------
    Felson, M. & Poulsen, E. (2003). Simple indicators of crime by time of day.
    *International Journal of Forecasting* 19(4), 595-601.
    """

    name = "shift"

    def __init__(
        self,
        base: Predictor,
        start_hour: int,
        end_hour: int,
        prior: float = 10.0,
        days: int = 730,
    ) -> None:
        if not (0 <= start_hour <= 23 and 1 <= end_hour <= 24 and start_hour != end_hour):
            raise AnalyticsError(
                "bad_shift",
                f"A shift needs hours 0-24 with start != end, got {start_hour}-{end_hour}",
                f"تحتاج المناوبة إلى ساعات بين 0 و24 ببداية مختلفة عن النهاية: "
                f"{start_hour}-{end_hour}",
            )
        self.base = base
        self.start_hour = start_hour
        self.end_hour = end_hour
        self.prior = prior
        self.days = days

    def in_shift(self, t: np.ndarray) -> np.ndarray:
        """Whether each time (days since 1970, local) falls in the shift's hours."""
        hour = np.floor((t - np.floor(t)) * 24 + 1e-9)
        after_start, before_end = hour >= self.start_hour, hour < self.end_hour
        if self.start_hour < self.end_hour:
            return np.asarray(after_start & before_end)
        return np.asarray(after_start | before_end)

    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        day_risk = self.base.fit(past, day).risk_
        window = past.before(day, days=self.days).in_study_area()
        window.require_events(self.name)
        inside = self.in_shift(window.t).astype(float)
        city_share = float(inside.mean())
        k = window.cell_counts(inside)
        n = window.cell_counts()
        self.share_ = (k + self.prior * city_share) / (n + self.prior)
        return np.asarray(day_risk * self.share_, dtype=float)
