"""Square analysis grids in a projected CRS.

A grid's origin is snapped to a multiple of the cell size, so that two runs on different event
sets (or two agencies) produce cells that line up exactly and exports can be joined on ``x, y``.
Cells are numbered row-major from the south-west corner: ``flat = row * nx + col``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from tansiq.analytics.errors import AnalyticsError

__all__ = ["MAX_CELLS", "Grid"]

#: Arrays are dense over the grid's bounding box, so a typo (swapped lat/lon, one stray event in
#: another city) must fail clearly rather than allocate gigabytes.
MAX_CELLS = 20_000_000

FloatArray = np.ndarray
IntArray = np.ndarray


@dataclass(frozen=True)
class Grid:
    """A rectangular grid of square cells, optionally restricted to a study area.

    Parameters
    ----------
    cell_size : float
        Side of a cell in metres.
    x0, y0 : float
        South-west corner; a multiple of ``cell_size``.
    nx, ny : int
        Number of columns and rows.
    crs : str
        The projected CRS the coordinates are in.
    mask : numpy.ndarray, optional
        Boolean per flat cell: ``True`` for cells in the study area.  All cells when omitted.
    """

    cell_size: float
    x0: float
    y0: float
    nx: int
    ny: int
    crs: str = "EPSG:32617"
    mask: FloatArray | None = field(default=None, compare=False, repr=False)

    @classmethod
    def covering(cls, x: FloatArray, y: FloatArray, cell_size: float, crs: str) -> Grid:
        """The smallest snapped grid that contains every point."""
        if not cell_size > 0 or not math.isfinite(cell_size):
            raise AnalyticsError(
                "bad_cell_size",
                f"Cell size must be a positive number of metres, got {cell_size}",
                f"يجب أن يكون حجم الخلية عدداً موجباً من الأمتار، القيمة: {cell_size}",
            )
        if len(x) == 0:
            raise AnalyticsError(
                "no_events", "No events to build a grid from", "لا توجد أحداث لبناء الشبكة"
            )
        x0 = math.floor(float(np.min(x)) / cell_size) * cell_size
        y0 = math.floor(float(np.min(y)) / cell_size) * cell_size
        nx = math.floor((float(np.max(x)) - x0) / cell_size) + 1
        ny = math.floor((float(np.max(y)) - y0) / cell_size) + 1
        if nx * ny > MAX_CELLS:
            span = f"{nx * cell_size / 1000:.0f} km x {ny * cell_size / 1000:.0f} km"
            raise AnalyticsError(
                "grid_too_large",
                f"The events span {span}, {nx * ny:,} cells of {cell_size:g} m (limit "
                f"{MAX_CELLS:,}); check for stray events or use larger cells",
                f"تمتد الأحداث على {span}، أي {nx * ny:,} خلية بحجم {cell_size:g} م "
                f"(الحد {MAX_CELLS:,})؛ تحقق من الأحداث الشاذة أو استخدم خلايا أكبر",
            )
        return cls(cell_size, x0, y0, nx, ny, crs)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def study_mask(self) -> FloatArray:
        """Boolean per flat cell; all ``True`` when no study area was set."""
        if self.mask is None:
            return np.ones(self.n_cells, dtype=bool)
        return self.mask

    @property
    def study_cells(self) -> IntArray:
        """Flat indices of the study-area cells, ascending."""
        return np.flatnonzero(self.study_mask)

    def with_study_area(self, x: FloatArray, y: FloatArray) -> Grid:
        """The same grid restricted to cells holding at least one of the given points."""
        return replace(self, mask=self.counts(x, y) > 0)

    def cell_of(self, x: FloatArray, y: FloatArray) -> IntArray:
        """Flat cell index of each point, ``-1`` for points off the grid."""
        col = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell_size).astype(np.int64)
        row = np.floor((np.asarray(y, dtype=float) - self.y0) / self.cell_size).astype(np.int64)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return np.where(inside, row * self.nx + col, -1)

    def counts(self, x: FloatArray, y: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        """Number (or total weight) of points per flat cell; off-grid points are ignored."""
        cells = self.cell_of(x, y)
        keep = cells >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(cells[keep], weights=w, minlength=self.n_cells).astype(float)

    def centres(self) -> tuple[FloatArray, FloatArray]:
        """Projected centre of every flat cell."""
        flat = np.arange(self.n_cells)
        x = self.x0 + (flat % self.nx + 0.5) * self.cell_size
        y = self.y0 + (flat // self.nx + 0.5) * self.cell_size
        return x, y

    def neighbours(self, cells: IntArray, queen: bool = False) -> list[tuple[IntArray, IntArray]]:
        """Pairs ``(cell, neighbour)`` within the grid, one array pair per direction.

        Rook contiguity (shared edge) by default, queen (shared edge or corner) on request.
        """
        steps = [(0, 1), (0, -1), (1, 0), (-1, 0)]
        if queen:
            steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
        col, row = cells % self.nx, cells // self.nx
        out = []
        for dr, dc in steps:
            r, c = row + dr, col + dc
            ok = (r >= 0) & (r < self.ny) & (c >= 0) & (c < self.nx)
            out.append((cells[ok], r[ok] * self.nx + c[ok]))
        return out
