"""Events binned to a grid and to local days, ready for the predictors.

Predictors are refitted every day of an evaluation, so the expensive parts (projecting, binning
to cells, turning timestamps into day numbers) are done once here and each fit only slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tansiq.analytics.errors import AnalyticsError
from tansiq.analytics.grid import Grid

__all__ = ["History", "as_day"]

NS_PER_DAY = 86_400 * 10**9


def as_day(at: object) -> pd.Timestamp:
    """A local calendar day (midnight) from a date, string or timestamp."""
    try:
        stamp = pd.Timestamp(at)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise AnalyticsError(
            "bad_date", f"Not a date: {at!r}", f"ليس تاريخاً صالحاً: {at!r}"
        ) from exc
    if pd.isna(stamp):
        raise AnalyticsError("bad_date", f"Not a date: {at!r}", f"ليس تاريخاً صالحاً: {at!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


@dataclass(frozen=True)
class History:
    """Canonical events (see :func:`tansiq.analytics.events.prepare_events`) on a grid.

    Attributes
    ----------
    grid : Grid
    t : numpy.ndarray
        Event time in fractional days since 1970-01-01 local time, ascending.
    day : numpy.ndarray
        Integer local day of each event (``floor(t)``).
    cell : numpy.ndarray
        Flat cell index, ``-1`` off the grid or outside the study area.
    x, y : numpy.ndarray
        Projected coordinates.
    category : numpy.ndarray
        Integer category code into ``categories``.
    categories : tuple of str
    """

    grid: Grid
    t: np.ndarray
    day: np.ndarray
    cell: np.ndarray
    x: np.ndarray
    y: np.ndarray
    category: np.ndarray
    categories: tuple[str, ...]

    @classmethod
    def from_events(cls, events: pd.DataFrame, grid: Grid) -> History:
        """Bin a canonical event frame to ``grid`` (events outside its study area get ``-1``)."""
        frame = events.sort_values("time", kind="stable")
        ns = frame["time"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        t = ns / NS_PER_DAY
        x = frame["x"].to_numpy(dtype=float)
        y = frame["y"].to_numpy(dtype=float)
        cell = grid.cell_of(x, y)
        inside = cell >= 0
        cell[inside] = np.where(grid.study_mask[cell[inside]], cell[inside], -1)
        codes, names = pd.factorize(frame["category"].astype(str), sort=True)
        return cls(
            grid=grid,
            t=t,
            day=np.floor(t).astype(np.int64),
            cell=cell,
            x=x,
            y=y,
            category=codes.astype(np.int64),
            categories=tuple(str(n) for n in names),
        )

    @classmethod
    def on_study_grid(cls, events: pd.DataFrame, cell_size: float, crs: str) -> History:
        """Bin events to a snapped grid whose study area is every cell holding an event."""
        x, y = events["x"].to_numpy(dtype=float), events["y"].to_numpy(dtype=float)
        grid = Grid.covering(x, y, cell_size, crs).with_study_area(x, y)
        return cls.from_events(events, grid)

    def __len__(self) -> int:
        return len(self.t)

    def _take(self, rows: slice | np.ndarray) -> History:
        return History(
            grid=self.grid,
            t=self.t[rows],
            day=self.day[rows],
            cell=self.cell[rows],
            x=self.x[rows],
            y=self.y[rows],
            category=self.category[rows],
            categories=self.categories,
        )

    def before(self, at: object, days: float | None = None) -> History:
        """Events strictly before local midnight of ``at``, optionally only the last ``days``."""
        end = day_number(as_day(at))
        stop = int(np.searchsorted(self.t, end, side="left"))
        start = 0 if days is None else int(np.searchsorted(self.t, end - days, side="left"))
        return self._take(slice(start, stop))

    def between(self, start: object | None, end: object | None) -> History:
        """Events from local midnight of ``start`` up to (not including) midnight of ``end``."""
        lo = 0 if start is None else np.searchsorted(self.t, day_number(as_day(start)), "left")
        hi = len(self.t) if end is None else np.searchsorted(self.t, day_number(as_day(end)))
        return self._take(slice(int(lo), int(hi)))

    def on_day(self, at: object) -> History:
        """Events of the local calendar day ``at``."""
        day = day_number(as_day(at))
        lo, hi = np.searchsorted(self.day, [day, day + 1], side="left")
        return self._take(slice(int(lo), int(hi)))

    def in_study_area(self) -> History:
        return self._take(self.cell >= 0)

    def with_categories(self, names: list[str] | tuple[str, ...]) -> History:
        """Only events of the named categories."""
        unknown = sorted(set(names) - set(self.categories))
        if unknown:
            raise AnalyticsError(
                "unknown_category",
                f"Unknown categories {unknown}; known: {list(self.categories)}",
                f"فئات غير معروفة {unknown}؛ الفئات المعروفة: {list(self.categories)}",
            )
        codes = [self.categories.index(n) for n in names]
        return self._take(np.isin(self.category, codes))

    def cell_counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Events (or total weight) per flat cell of the grid, study area only."""
        keep = self.cell >= 0
        w = None if weights is None else weights[keep]
        return np.bincount(self.cell[keep], weights=w, minlength=self.grid.n_cells).astype(float)

    def require_events(self, what: str) -> None:
        if len(self) == 0:
            raise AnalyticsError(
                "empty_training_window",
                f"No events in the training window for {what}",
                f"لا توجد أحداث في نافذة التدريب لـ {what}",
            )


def day_number(day: pd.Timestamp) -> int:
    """Days since 1970-01-01 of a (naive, local) midnight."""
    return int(day.value // NS_PER_DAY)
