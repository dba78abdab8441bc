"""Patrol plans: N compact, connected patrol areas grown from the riskiest cells.

A patrol can cover a limited area in a shift, so each area has a fixed number of cells.  Areas
are grown greedily: seed at the riskiest free cell, then repeatedly add the free edge-neighbour
with the best risk, discounted by its distance from the area's seed so that areas stay compact
rather than snaking along a road of hot cells.
"""

from __future__ import annotations

import heapq
from typing import Self

import numpy as np
from scipy.ndimage import uniform_filter

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.grid import Grid

__all__ = ["PatrolPlan"]


class PatrolPlan:
    """Split a risk surface into ``n_patrols`` connected areas of ``cells_per_patrol`` cells.

    Parameters
    ----------
    n_patrols : int
        Number of patrols (areas) for the shift.
    cells_per_patrol : int
        Cells one patrol can cover (e.g. 0.5 km² at 150 m cells is about 22 cells).
    compactness : float
        Penalty per cell of distance from the seed: a candidate's score is
        ``risk / (1 + compactness * distance_in_cells)``.  0 grows purely by risk.

    Attributes
    ----------
    areas_ : list of numpy.ndarray
        Flat cell indices of each area, riskiest area first.
    expected_share_ : numpy.ndarray
        Share of the total risk of the study area inside each area: with ``risk`` an expected
        count, the expected share of crime the patrol's area holds.
    expected_events_ : numpy.ndarray
        Sum of risk per area.

    References
    ----------
    Mohler, G. O. et al. (2015). Randomized controlled field trials of predictive policing.
    *JASA* 110(512), 1399-1411 (daily boxes of 150 m cells handed to patrols).
    """

    def __init__(self, n_patrols: int = 5, cells_per_patrol: int = 20, compactness: float = 0.5):
        self.n_patrols = n_patrols
        self.cells_per_patrol = cells_per_patrol
        self.compactness = compactness

    def fit(self, risk: np.ndarray, grid: Grid) -> Self:
        """Grow the areas on ``risk``, per flat cell of ``grid`` (study area only)."""
        if self.n_patrols < 1 or self.cells_per_patrol < 1:
            raise AnalyticsError(
                "bad_patrol_size",
                "n_patrols and cells_per_patrol must be at least 1",
                "يجب أن يكون عدد الدوريات وعدد الخلايا لكل دورية 1 على الأقل",
            )
        risk = np.where(grid.study_mask, np.asarray(risk, dtype=float), 0.0)
        total = risk.sum()
        if not total > 0:
            raise AnalyticsError(
                "no_risk", "The risk surface is zero everywhere", "سطح الخطورة صفري في كل مكان"
            )
        # Areas may cross cells without recorded crime (a park between two hot blocks): a patrol
        # still drives through them, and they keep every area connected and of full size.
        free = np.ones(grid.n_cells, dtype=bool)
        # Seed where the risk of a patrol-sized square around the cell is highest, not at the
        # single hottest cell: an isolated hot cell would otherwise waste a patrol on empty cells.
        side = max(1, int(np.ceil(np.sqrt(self.cells_per_patrol))))
        smooth = uniform_filter(risk.reshape(grid.ny, grid.nx), size=side, mode="constant")
        order = np.argsort(-smooth.ravel(), kind="stable")
        areas: list[np.ndarray] = []
        for _ in range(self.n_patrols):
            seeds = order[free[order] & (risk[order] > 0)]
            if len(seeds) == 0:
                break
            areas.append(self._grow(int(seeds[0]), risk, free, grid))
        areas.sort(key=lambda a: -float(risk[a].sum()))
        self.areas_ = areas
        self.expected_events_ = np.array([risk[a].sum() for a in areas])
        self.expected_share_ = self.expected_events_ / total
        return self

    def _grow(self, seed: int, risk: np.ndarray, free: np.ndarray, grid: Grid) -> np.ndarray:
        sr, sc = divmod(seed, grid.nx)
        area = [seed]
        free[seed] = False
        frontier: list[tuple[float, int]] = []

        def push_neighbours(cell: int) -> None:
            for _, nb in grid.neighbours(np.array([cell])):
                for c in nb.tolist():
                    if free[c]:
                        r, col = divmod(c, grid.nx)
                        dist = float(np.hypot(r - sr, col - sc))
                        score = risk[c] / (1.0 + self.compactness * dist)
                        heapq.heappush(frontier, (-score, c))

        push_neighbours(seed)
        while len(area) < self.cells_per_patrol and frontier:
            _, cell = heapq.heappop(frontier)
            if not free[cell]:
                continue
            free[cell] = False
            area.append(cell)
            push_neighbours(cell)
        return np.array(area, dtype=np.int64)
