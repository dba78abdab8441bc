"""Spatial kernels evaluated exactly at cell centres.

Binning events to cells before smoothing shifts each event by up to half a cell, which at 150 m
cells and 200-400 m bandwidths visibly blurs hot spots.  Instead every event contributes to the
centres of the cells around it at its true distance; the loop runs over the few cell offsets
inside the bandwidth, not over events, so it stays vectorised.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.grid import Grid

__all__ = ["KERNELS", "KernelName", "smooth_points"]

KernelName = Literal["quartic", "gaussian", "uniform", "inverse_distance"]


def _quartic(u: np.ndarray) -> np.ndarray:
    # Biweight kernel of Silverman (1986), normalised to integrate to 1 over the disc of radius 1.
    return np.where(u < 1.0, 3.0 / np.pi * (1.0 - u**2) ** 2, 0.0)


def _gaussian(u: np.ndarray) -> np.ndarray:
    # ``u`` is distance / sigma; the support is truncated at 3 sigma (see ``reach`` below).
    return np.exp(-0.5 * u**2) / (2.0 * np.pi)


def _uniform(u: np.ndarray) -> np.ndarray:
    return np.where(u <= 1.0, 1.0 / np.pi, 0.0)


def _inverse_distance(u: np.ndarray) -> np.ndarray:
    # Weight of the prospective hot spot (Bowers et al. 2004): 1 / (1 + distance in cells);
    # here ``u`` is distance / cell size and the caller cuts at the bandwidth.
    return 1.0 / (1.0 + u)


KERNELS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    # name: (profile, reach in units of the bandwidth)
    "quartic": (_quartic, 1.0),
    "gaussian": (_gaussian, 3.0),
    "uniform": (_uniform, 1.0),
}


def smooth_points(
    grid: Grid,
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    bandwidth: float,
    kernel: KernelName = "quartic",
) -> np.ndarray:
    """Kernel sum of weighted points at every cell centre, per flat cell.

    With the normalised kernels (``quartic``, ``gaussian``, ``uniform``) the result is a density
    in events per square metre.  ``inverse_distance`` returns the unnormalised sum of
    ``1 / (1 + d / cell_size)`` over points within ``bandwidth``.
    """
    if not bandwidth > 0:
        raise AnalyticsError(
            "bad_bandwidth",
            f"Bandwidth must be positive, got {bandwidth}",
            f"يجب أن يكون عرض النطاق موجباً، القيمة: {bandwidth}",
        )
    profile: Callable[[np.ndarray], np.ndarray]
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    if kernel == "inverse_distance":
        profile, reach, scale, norm = _inverse_distance, 1.0, grid.cell_size, 1.0
    elif kernel in KERNELS:
        profile, reach = KERNELS[kernel]
        scale, norm = bandwidth, 1.0 / bandwidth**2
    else:
        raise AnalyticsError(
            "unknown_kernel",
            f"Unknown kernel '{kernel}'; choose one of {[*KERNELS, 'inverse_distance']}",
            f"نواة غير معروفة '{kernel}'",
        )
    radius = reach * bandwidth
    size = grid.cell_size
    col = np.floor((x - grid.x0) / size).astype(np.int64)
    row = np.floor((y - grid.y0) / size).astype(np.int64)
    steps = int(np.ceil(radius / size)) + 1
    out = np.zeros(grid.n_cells)
    for dr in range(-steps, steps + 1):
        for dc in range(-steps, steps + 1):
            r, c = row + dr, col + dc
            ok = (r >= 0) & (r < grid.ny) & (c >= 0) & (c < grid.nx)
            cx = grid.x0 + (c + 0.5) * size
            cy = grid.y0 + (r + 0.5) * size
            d = np.hypot(cx - x, cy - y)
            ok &= d <= radius
            if not ok.any():
                continue
            value = profile(d[ok] / scale) * norm * w[ok]
            out += np.bincount(r[ok] * grid.nx + c[ok], weights=value, minlength=grid.n_cells)
    return out
