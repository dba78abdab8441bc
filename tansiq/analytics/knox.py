"""Knox test for near-repeat victimisation over a table of space and time bands.

For every pair of events the distance and the time between them fall into one space band and
one time band.  If events cluster in space *and* time beyond what their separate spatial and
temporal patterns explain, close-close cells of the table hold more pairs than when the event
times are shuffled among the events (Monte Carlo, as in the Near Repeat Calculator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.grid import Grid
from tansiq.analytics.history import History
from tansiq.analytics.hotspots import select_events
from tansiq.analytics.predictor import as_history

__all__ = ["KnoxTest"]


def _check_edges(edges: Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(edges, dtype=float)
    if arr.ndim != 1 or len(arr) < 2 or arr[0] < 0 or np.any(np.diff(arr) <= 0):
        raise AnalyticsError(
            "bad_bands",
            f"{what} band edges must be at least two increasing non-negative numbers, got {edges}",
            f"حدود نطاقات {what} يجب أن تكون عددين متزايدين غير سالبين على الأقل: {edges}",
        )
    return arr


class KnoxTest:
    """Knox space-time interaction test with Monte Carlo significance.

    Parameters
    ----------
    space_bands : sequence of float
        Band edges in metres; band ``i`` is ``[edges[i], edges[i+1])``.  A first band
        ``[0, 1)`` isolates "same location" as the Near Repeat Calculator does.
    time_bands : sequence of float
        Band edges in days, same convention.
    permutations : int
        Shuffles of the event times among events.
    alpha : float
        Significance level for ``table_["significant"]``.
    start, end, categories
        Which events to analyse.
    seed : int, optional

    Attributes
    ----------
    table_ : pandas.DataFrame
        One row per (space band, time band): ``observed`` pairs, ``expected`` (mean over
        shuffles), ``ratio`` = observed / expected (the Knox ratio), ``p_value`` =
        (shuffles with at least as many pairs + 1) / (permutations + 1), and ``significant``
        (``p_value < alpha`` and ``ratio > 1``: a near-repeat band).
    n_events_ : int

    References
    ----------
    Knox, G. (1964). The detection of space-time interactions. *Journal of the Royal
    Statistical Society C* 13(1), 25-30.

    Johnson, S. D., Bernasco, W., Bowers, K. J., et al. (2007). Space-time patterns of risk:
    a cross national assessment of residential burglary victimization. *Journal of
    Quantitative Criminology* 23, 201-219.

    Ratcliffe, J. H. (2009). *Near Repeat Calculator* (version 1.3). Temple University.
    """

    def __init__(
        self,
        space_bands: Sequence[float] = (0, 1, 200, 400, 600, 800, 1000),
        time_bands: Sequence[float] = (0, 7, 14, 21, 28, 35),
        permutations: int = 99,
        alpha: float = 0.05,
        start: object | None = None,
        end: object | None = None,
        categories: Sequence[str] | None = None,
        seed: int | None = 0,
    ) -> None:
        self.space_bands = space_bands
        self.time_bands = time_bands
        self.permutations = permutations
        self.alpha = alpha
        self.start = start
        self.end = end
        self.categories = categories
        self.seed = seed

    def fit(self, events: History | pd.DataFrame, grid: Grid | None = None) -> Self:
        s_edges = _check_edges(self.space_bands, "space")
        t_edges = _check_edges(self.time_bands, "time")
        chosen = select_events(as_history(events, grid), self.start, self.end, self.categories)
        if len(chosen) < 2:
            raise AnalyticsError(
                "too_few_events",
                "The Knox test needs at least two events",
                "يحتاج اختبار نوكس إلى حدثين على الأقل",
            )
        # Only pairs closer than the last space edge can count; times never change their
        # distance, so the pair list is built once and only time gaps are recomputed per shuffle.
        tree = cKDTree(np.column_stack([chosen.x, chosen.y]))
        pairs = tree.query_pairs(r=float(s_edges[-1]), output_type="ndarray")
        i, j = pairs[:, 0], pairs[:, 1]
        dist = np.hypot(chosen.x[i] - chosen.x[j], chosen.y[i] - chosen.y[j])
        keep = dist < s_edges[-1]
        i, j, dist = i[keep], j[keep], dist[keep]
        s_band = np.searchsorted(s_edges, dist, side="right") - 1
        n_s, n_t = len(s_edges) - 1, len(t_edges) - 1

        def table(times: np.ndarray) -> np.ndarray:
            gap = np.abs(times[i] - times[j])
            t_band = np.searchsorted(t_edges, gap, side="right") - 1
            ok = t_band < n_t
            flat = s_band[ok] * n_t + t_band[ok]
            return np.bincount(flat, minlength=n_s * n_t).astype(float)

        observed = table(chosen.t)
        rng = np.random.default_rng(self.seed)
        sims = np.stack([table(rng.permutation(chosen.t)) for _ in range(self.permutations)])
        expected = sims.mean(axis=0) if self.permutations else np.full_like(observed, np.nan)
        at_least = (sims >= observed).sum(axis=0)
        p_value = (at_least + 1) / (self.permutations + 1)
        ratio = np.divide(
            observed, expected, out=np.full_like(observed, np.nan), where=expected > 0
        )
        s_idx, t_idx = np.divmod(np.arange(n_s * n_t), n_t)
        self.table_ = pd.DataFrame(
            {
                "space_from_m": s_edges[s_idx],
                "space_to_m": s_edges[s_idx + 1],
                "time_from_days": t_edges[t_idx],
                "time_to_days": t_edges[t_idx + 1],
                "observed": observed.astype(int),
                "expected": expected,
                "ratio": ratio,
                "p_value": p_value,
            }
        )
        self.table_["significant"] = (self.table_["p_value"] < self.alpha) & (
            self.table_["ratio"] > 1
        )
        self.n_events_ = len(chosen)
        return self

    def significant_bands(self) -> pd.DataFrame:
        """Rows of ``table_`` with significant near-repeat risk."""
        return self.table_[self.table_["significant"]].reset_index(drop=True)
