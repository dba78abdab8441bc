"""Hot-spot maps: event counts per cell and kernel density surfaces.

Both are estimators over a period and a set of categories, so that an analyst can map, say,
robberies of last summer with the same call as all events of last week.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import pandas as pd

from tansiq.analytics.grid import Grid
from tansiq.analytics.history import History
from tansiq.analytics.kernels import KernelName, smooth_points
from tansiq.analytics.predictor import as_history

__all__ = ["GridCounts", "KernelDensity", "select_events"]


def select_events(
    history: History,
    start: object | None = None,
    end: object | None = None,
    categories: Sequence[str] | None = None,
) -> History:
    """Events of ``[start, end)`` (local days) and of the given categories, in the study area."""
    chosen = history.between(start, end)
    if categories:
        chosen = chosen.with_categories(list(categories))
    chosen = chosen.in_study_area()
    chosen.require_events("this period and these categories")
    return chosen


class GridCounts:
    """Number of events per grid cell over a period.

    Parameters
    ----------
    start, end : date-like, optional
        Period ``[start, end)`` in local days; the whole history when omitted.
    categories : sequence of str, optional
        Categories to keep; all when omitted.

    Attributes
    ----------
    counts_ : numpy.ndarray
        Events per flat cell of the grid.
    n_events_ : int
    """

    def __init__(
        self,
        start: object | None = None,
        end: object | None = None,
        categories: Sequence[str] | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.categories = categories

    def fit(self, events: History | pd.DataFrame, grid: Grid | None = None) -> Self:
        chosen = select_events(as_history(events, grid), self.start, self.end, self.categories)
        self.counts_ = chosen.cell_counts()
        self.n_events_ = len(chosen)
        return self


class KernelDensity(GridCounts):
    """Kernel density of events at the cell centres, in events per square kilometre.

    Parameters
    ----------
    bandwidth : float
        Kernel bandwidth (radius for the quartic kernel, sigma for the Gaussian) in metres.
    kernel : str
        ``"quartic"`` (the crime-mapping default), ``"gaussian"`` or ``"uniform"``.
    start, end, categories
        As in :class:`GridCounts`.

    Attributes
    ----------
    density_ : numpy.ndarray
        Events per km² per flat cell, summed over the period.

    References
    ----------
    Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*. Chapman & Hall.

    Chainey, S., Tompson, L. & Uhlig, S. (2008). The utility of hotspot mapping for predicting
    spatial patterns of crime. *Security Journal* 21, 4-28.
    """

    def __init__(
        self,
        bandwidth: float = 200.0,
        kernel: KernelName = "quartic",
        start: object | None = None,
        end: object | None = None,
        categories: Sequence[str] | None = None,
    ) -> None:
        super().__init__(start, end, categories)
        self.bandwidth = bandwidth
        self.kernel = kernel

    def fit(self, events: History | pd.DataFrame, grid: Grid | None = None) -> Self:
        history = as_history(events, grid)
        chosen = select_events(history, self.start, self.end, self.categories)
        self.counts_ = chosen.cell_counts()
        self.n_events_ = len(chosen)
        density = smooth_points(history.grid, chosen.x, chosen.y, None, self.bandwidth, self.kernel)
        self.density_ = density * 1e6
        return self
