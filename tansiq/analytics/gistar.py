"""Getis-Ord Gi* hot and cold spots on a grid, with permutation pseudo p-values.

The statistic, its analytical z-score and the conditional-randomisation pseudo p-values follow
Getis & Ord (1992) and Ord & Getis (1995) as implemented in PySAL esda (``G_Local`` with
``star=True`` and binary weights), so results can be checked against it cell for cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.grid import Grid
from tansiq.analytics.history import History
from tansiq.analytics.hotspots import select_events
from tansiq.analytics.predictor import as_history

__all__ = ["GetisOrdGiStar", "contiguity_weights", "gi_star"]


def contiguity_weights(grid: Grid, cells: np.ndarray, queen: bool = True) -> sp.csr_matrix:
    """Binary contiguity among ``cells`` (flat indices): 1 for neighbouring cells, 0 otherwise.

    Cells outside ``cells`` (outside the study area) are not neighbours of anything.
    """
    pos = np.full(grid.n_cells, -1)
    pos[cells] = np.arange(len(cells))
    rows, cols = [], []
    for a, b in grid.neighbours(cells, queen=queen):
        ok = pos[b] >= 0
        rows.append(pos[a[ok]])
        cols.append(pos[b[ok]])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(cells), len(cells)))


def gi_star(
    y: np.ndarray, w: sp.csr_matrix, permutations: int = 999, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gi* z-scores, normal p-values and permutation pseudo p-values.

    Parameters
    ----------
    y : numpy.ndarray
        Value per unit (e.g. event count per cell).
    w : scipy.sparse.csr_matrix
        Binary weights without the diagonal; Gi* adds each unit to its own neighbourhood.
    permutations : int
        Conditional randomisations per unit: the unit keeps its value, its neighbours are drawn
        without replacement from all other units.  0 skips them (pseudo p-values are NaN).
    seed : int, optional

    Returns
    -------
    z, p_norm, p_sim : numpy.ndarray
        ``p_norm`` is one-sided in the direction of ``z``; ``p_sim`` is the folded pseudo
        p-value ``(min(larger, permutations - larger) + 1) / (permutations + 1)``.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    mean = y.mean()
    variance = (y**2).mean() - mean**2
    if n < 3 or variance <= 0 or mean <= 0:
        raise AnalyticsError(
            "constant_values",
            "Gi* needs at least 3 cells and values that differ between cells "
            "(all events fall in one cell or the grid is empty)",
            "يحتاج Gi* إلى 3 خلايا على الأقل وقيم مختلفة بين الخلايا "
            "(كل الأحداث في خلية واحدة أو الشبكة فارغة)",
        )
    k = np.asarray(w.sum(axis=1)).ravel().astype(int)
    lag = w @ y + y
    card = k + 1.0
    # G_i* = lag / sum(y); E and Var as in Ord & Getis (1995) for binary weights with self.
    g = lag / y.sum()
    expected = card / n
    var = card * (n - card) / (n - 1) / n**2 * variance / mean**2
    z = (g - expected) / np.sqrt(var)
    p_norm = stats.norm.sf(np.abs(z))
    if permutations <= 0:
        return z, p_norm, np.full(n, np.nan)
    rng = np.random.default_rng(seed)
    kmax = int(k.max(initial=0))
    # One set of draws from range(n - 1) is shared by all units, as in esda; for unit i the
    # draws >= i shift by one so that i itself is never its own random neighbour.
    draws = np.stack([rng.choice(n - 1, size=kmax, replace=False) for _ in range(permutations)])
    larger = np.zeros(n)
    for size in np.unique(k):
        units = np.flatnonzero(k == size)
        picks = draws[:, :size]
        for chunk in np.array_split(units, max(1, len(units) * permutations // 500_000)):
            idx = picks[None, :, :] + (picks[None, :, :] >= chunk[:, None, None])
            sim = y[idx].sum(axis=2) + y[chunk, None]
            larger[chunk] = (sim >= lag[chunk, None]).sum(axis=1)
    larger = np.minimum(larger, permutations - larger)
    return z, p_norm, (larger + 1) / (permutations + 1)


class GetisOrdGiStar:
    """Gi* hot and cold spots of event counts on the study-area cells.

    Parameters
    ----------
    permutations : int
        Conditional randomisations for the pseudo p-values.
    alpha : float
        Significance level for the ``hot_``/``cold_`` flags (on the pseudo p-value).
    queen : bool
        Queen (8 neighbours) or rook (4) contiguity.
    start, end, categories
        Period and categories of the events counted.
    seed : int, optional

    Attributes
    ----------
    cells_ : numpy.ndarray
        Flat indices of the study cells, the order of all other arrays.
    counts_, z_, p_norm_, p_sim_ : numpy.ndarray
    hot_, cold_ : numpy.ndarray of bool

    References
    ----------
    Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance
    statistics. *Geographical Analysis* 24(3), 189-206.

    Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional
    issues and an application. *Geographical Analysis* 27(4), 286-306.
    """

    def __init__(
        self,
        permutations: int = 999,
        alpha: float = 0.05,
        queen: bool = True,
        start: object | None = None,
        end: object | None = None,
        categories: Sequence[str] | None = None,
        seed: int | None = 0,
    ) -> None:
        self.permutations = permutations
        self.alpha = alpha
        self.queen = queen
        self.start = start
        self.end = end
        self.categories = categories
        self.seed = seed

    def fit(self, events: History | pd.DataFrame, grid: Grid | None = None) -> Self:
        history = as_history(events, grid)
        chosen = select_events(history, self.start, self.end, self.categories)
        cells = history.grid.study_cells
        self.cells_ = cells
        self.counts_ = chosen.cell_counts()[cells]
        w = contiguity_weights(history.grid, cells, queen=self.queen)
        self.z_, self.p_norm_, self.p_sim_ = gi_star(self.counts_, w, self.permutations, self.seed)
        p = self.p_sim_ if self.permutations > 0 else self.p_norm_
        self.hot_ = (self.z_ > 0) & (p < self.alpha)
        self.cold_ = (self.z_ < 0) & (p < self.alpha)
        return self
