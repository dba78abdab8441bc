"""The interface every next-day predictor follows.

A predictor is an estimator: configuration in ``__init__``, ``fit(events, at)`` uses only events
strictly before local midnight of ``at`` and sets ``risk_``, a score per flat grid cell for the
day ``at`` (zero outside the study area).  Higher is riskier; only the ranking is evaluated, but
predictors that can should make ``risk_`` an expected count so that ensembles can add them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Self

import numpy as np
import pandas as pd

from tansiq.analytics.grid import Grid
from tansiq.analytics.history import History, as_day

__all__ = ["Predictor", "as_history"]


def as_history(events: History | pd.DataFrame, grid: Grid | None) -> History:
    """Accept either a prepared :class:`History` or a canonical event frame plus a grid."""
    if isinstance(events, History):
        return events
    if grid is None:
        raise TypeError("a grid is needed to fit on a DataFrame")
    return History.from_events(events, grid)


class Predictor(ABC):
    """Base class of next-day risk predictors."""

    #: Name used by the CLI's ``--method``.
    name: str = "predictor"
    risk_: np.ndarray
    day_: pd.Timestamp

    def fit(self, events: History | pd.DataFrame, at: object, grid: Grid | None = None) -> Self:
        """Fit on events strictly before ``at`` and score the cells for the day ``at``.

        Parameters
        ----------
        events : History or pandas.DataFrame
            All known events; those at or after local midnight of ``at`` are ignored, so the
            same object can be reused for every day of an evaluation.
        at : date-like
            The day to predict.
        grid : Grid, optional
            Needed only when ``events`` is a DataFrame.
        """
        history = as_history(events, grid)
        day = as_day(at)
        risk = np.asarray(self._score(history.before(day), day), dtype=float)
        risk[~history.grid.study_mask] = 0.0
        self.risk_ = risk
        self.day_ = day
        return self

    @abstractmethod
    def _score(self, past: History, day: pd.Timestamp) -> np.ndarray:
        """Risk per flat cell for ``day`` from ``past`` (already cut before ``day``)."""

    def get_params(self) -> dict[str, Any]:
        """Configuration, for reports and for cloning in evaluations."""
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"
