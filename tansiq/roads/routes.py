"""What a ranking returns, and the straight-line fallback used when no network is loaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tansiq.roads.build import haversine_m
from tansiq.roads.errors import RoadsError

__all__ = ["Method", "Ranker", "Ranking", "Route", "StraightLine"]

Method = Literal["road", "straight_line"]


@dataclass(frozen=True)
class Route:
    """One unit's way to the incident."""

    unit: int  # index of the unit in the caller's list
    time_s: float
    distance_m: float
    geometry: NDArray[np.float64]  # (n, 2) lon, lat from the unit to the incident


@dataclass
class Ranking:
    """The k quickest units, quickest first; `method` says how the times were estimated."""

    routes: list[Route]
    method: Method
    rejected: dict[int, RoadsError] = field(default_factory=dict)  # units that could not be placed


class Ranker(Protocol):
    """What the dispatch service needs: a road engine or the straight-line fallback."""

    def rank_points(
        self,
        incident: tuple[float, float],
        units_lon: ArrayLike,
        units_lat: ArrayLike,
        k: int = 5,
    ) -> Ranking: ...


class StraightLine:
    """Great-circle distance at a configured speed: a rough estimate, flagged as such."""

    def __init__(self, speed_kmh: float = 40.0) -> None:
        if speed_kmh <= 0:
            raise ValueError("speed_kmh must be positive")
        self.speed_ms = speed_kmh / 3.6

    def rank_points(
        self,
        incident: tuple[float, float],
        units_lon: ArrayLike,
        units_lat: ArrayLike,
        k: int = 5,
    ) -> Ranking:
        lon = np.atleast_1d(np.asarray(units_lon, dtype=float))
        lat = np.atleast_1d(np.asarray(units_lat, dtype=float))
        ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        rejected = {int(i): RoadsError("roads_invalid_point", index=int(i)) for i in _bad(ok)}
        ilon, ilat = incident
        dist = haversine_m(np.full(lon.size, ilon), np.full(lon.size, ilat), lon, lat)
        dist = np.where(ok, dist, np.inf)
        order = np.argsort(dist, kind="stable")[: max(0, min(k, int(ok.sum())))]
        routes = [
            Route(
                unit=int(i),
                time_s=float(dist[i] / self.speed_ms),
                distance_m=float(dist[i]),
                geometry=np.array([[lon[i], lat[i]], [ilon, ilat]]),
            )
            for i in order
        ]
        return Ranking(routes, "straight_line", rejected)


def _bad(ok: NDArray[np.bool_]) -> Sequence[int]:
    return [int(i) for i in np.flatnonzero(~ok)]
