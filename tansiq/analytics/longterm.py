"""Long-term risk: exponentially decayed counts over the whole history, and ensembles.

On city-wide crime the strongest next-day signal is where crime has *persistently* happened:
a 365-day count already beats kernel hot spots and self-exciting models, which attribute only
1-2 % of events to near-repeat triggering.  Counting every past year with a weight that halves
every ``half_life`` days keeps that persistence while reducing the noise of a single year and
letting the map follow places that change.  A small share of the neighbours' risk breaks the many
ties between cells with few events in favour of those in busy surroundings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.history import History, day_number
from tansiq.analytics.predictor import Predictor

__all__ = ["DecayedCounts", "Ensemble"]


class DecayedCounts(Predictor):
    """Expected events per day from exponentially decayed counts, plus a neighbour share.

    ``risk = (1 - neighbour_weight * k) * r + neighbour_weight * sum of the k neighbours' r``
    where ``r_n = sum_i 2 ** (-(D - t_i) / half_life) / (half_life / ln 2)`` over the past
    events ``i`` of cell ``n`` (an exponentially weighted moving average rate, in events/day).

    Parameters
    ----------
    half_life : float
        Days after which an event counts half.
    days : int, optional
        Hard look-back limit in days; the whole history when ``None``.
    neighbour_weight : float
        Weight of each of the 8 queen neighbours' rate.

    References
    ----------
    Chainey, S., Tompson, L. & Uhlig, S. (2008). The utility of hotspot mapping for predicting
    spatial patterns of crime. *Security Journal* 21, 4-28.

    Weisburd, D., Bushway, S., Lum, C. & Yang, S.-M. (2004). Trajectories of crime at places:
    a longitudinal study of street segments in the city of Seattle. *Criminology* 42(2),
    283-322 (crime concentrates at the same places for years).
    """

    name = "decay"

    def __init__(
        self, half_life: float = 365.0, days: int | None = None, neighbour_weight: float = 0.01
    ) -> None:
        self.half_life = half_life
        self.days = days
        self.neighbour_weight = neighbour_weight

    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        window = past.before(day, days=self.days).in_study_area()
        window.require_events(self.name)
        age = day_number(day) - window.t
        rate = window.cell_counts(np.exp2(-age / self.half_life)) * np.log(2) / self.half_life
        if not self.neighbour_weight:
            return np.asarray(rate, dtype=float)
        grid = past.grid
        cells = grid.study_cells
        spread = np.zeros_like(rate)
        for src, dst in grid.neighbours(cells, queen=True):
            spread[src] += rate[dst]
        blended = (1 - 8 * self.neighbour_weight) * rate + self.neighbour_weight * spread
        return np.asarray(blended, dtype=float)


class Ensemble(Predictor):
    """Weighted sum of other predictors' risks (each an expected count per day).

    Parameters
    ----------
    members : sequence of Predictor
    weights : sequence of float
        One non-negative weight per member.
    """

    name = "ensemble"

    def __init__(self, members: Sequence[Predictor], weights: Sequence[float]) -> None:
        if len(members) != len(weights) or not members or min(weights) < 0:
            raise AnalyticsError(
                "bad_ensemble",
                "An ensemble needs one non-negative weight per member",
                "تحتاج المجموعة إلى وزن غير سالب لكل عضو",
            )
        self.members = list(members)
        self.weights = list(weights)

    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        total = np.zeros(past.grid.n_cells)
        for member, weight in zip(self.members, self.weights, strict=True):
            total += weight * member.fit(past, day).risk_
        return total
