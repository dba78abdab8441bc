"""Classic hot-spot predictors: naive counting, retrospective and prospective hot spots.

They are the yardsticks of the predictive-policing literature and what open_cp implements, so
the evaluation table can compare like with like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tansiq.analytics.history import History, day_number
from tansiq.analytics.kernels import KernelName, smooth_points
from tansiq.analytics.predictor import Predictor

__all__ = ["NaiveCounting", "ProspectiveHotspot", "RetrospectiveHotspot"]


class NaiveCounting(Predictor):
    """Risk = number of events in the cell over the last ``days`` days.

    Parameters
    ----------
    days : int
        Length of the look-back window.

    References
    ----------
    Chainey, S., Tompson, L. & Uhlig, S. (2008). The utility of hotspot mapping for predicting
    spatial patterns of crime. *Security Journal* 21, 4-28.
    """

    name = "naive"

    def __init__(self, days: int = 365) -> None:
        self.days = days

    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        window = past.before(day, days=self.days)
        window.require_events(self.name)
        return window.cell_counts() / self.days


class RetrospectiveHotspot(Predictor):
    """Kernel density of the last ``days`` days of events at the cell centres.

    Parameters
    ----------
    days : int
        Look-back window.
    bandwidth : float
        Kernel bandwidth in metres.
    kernel : str
        ``"quartic"`` (as in open_cp and most crime-mapping software), ``"gaussian"`` or
        ``"uniform"``.

    References
    ----------
    Chainey, S., Tompson, L. & Uhlig, S. (2008). The utility of hotspot mapping for predicting
    spatial patterns of crime. *Security Journal* 21, 4-28.
    """

    name = "retrospective"

    def __init__(self, days: int = 60, bandwidth: float = 200.0, kernel: KernelName = "quartic"):
        self.days = days
        self.bandwidth = bandwidth
        self.kernel = kernel

    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        window = past.before(day, days=self.days)
        window.require_events(self.name)
        return smooth_points(past.grid, window.x, window.y, None, self.bandwidth, self.kernel)


class ProspectiveHotspot(Predictor):
    """Prospective hot spotting: recent, nearby events weigh most.

    Each event of the last ``weeks`` weeks within ``bandwidth`` metres of a cell centre adds
    ``1 / (1 + d / cell_size) * 1 / (1 + w)``, where ``d`` is its distance and ``w`` its age in
    whole weeks, following the inverse space-time weighting of Bowers et al.

    Parameters
    ----------
    weeks : int
        Look-back window in weeks.
    bandwidth : float
        Spatial cut-off in metres.

    References
    ----------
    Bowers, K. J., Johnson, S. D. & Pease, K. (2004). Prospective hot-spotting: the future of
    crime mapping? *British Journal of Criminology* 44(5), 641-658.
    """

    name = "prospective"

    def __init__(self, weeks: int = 8, bandwidth: float = 400.0) -> None:
        self.weeks = weeks
        self.bandwidth = bandwidth

    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        window = past.before(day, days=7 * self.weeks)
        window.require_events(self.name)
        age_weeks = np.floor((day_number(day) - window.t) / 7.0)
        weights = 1.0 / (1.0 + age_weeks)
        return smooth_points(
            past.grid, window.x, window.y, weights, self.bandwidth, "inverse_distance"
        )
