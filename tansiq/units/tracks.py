"""A unit's track: its position fixes over a time range, thinned to one per interval on request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tansiq.access.policy import Principal
from tansiq.errors import Problem
from tansiq.units.models import UnitPosition
from tansiq.units.service import get_visible

MAX_POINTS = 10_000


class TrackPoint(BaseModel):
    at: datetime
    lat: float
    lon: float
    heading: float | None
    speed: float | None
    on_road: bool


class Track(BaseModel):
    unit_id: int
    start: datetime
    end: datetime
    every_s: int | None
    points: list[TrackPoint]
    truncated: bool  # more points matched than `limit`: ask for a shorter range or thin more
    geometry: dict[str, Any]  # GeoJSON LineString of the points, for a map


def track(
    session: Session,
    who: Principal,
    unit_id: int,
    start: datetime,
    end: datetime,
    *,
    every_s: int | None = None,
    limit: int = 2000,
) -> Track:
    if start > end:
        raise Problem(422, "invalid_time_range")
    get_visible(session, who, unit_id)  # 404 for a unit out of sight, as everywhere
    rows = session.execute(
        select(
            UnitPosition.at,
            UnitPosition.lat,
            UnitPosition.lon,
            UnitPosition.heading,
            UnitPosition.speed,
            UnitPosition.road_edge,
        )
        .where(UnitPosition.unit_id == unit_id, UnitPosition.at >= start, UnitPosition.at <= end)
        .order_by(UnitPosition.at, UnitPosition.id)
        .execution_options(yield_per=2000)
    )
    points: list[TrackPoint] = []
    bucket: int | None = None
    truncated = False
    for at, lat, lon, heading, speed, edge in rows:
        if every_s:
            this = int((at - start).total_seconds()) // every_s
            if this == bucket:
                continue  # thinned: the first fix of each interval stands for it
            bucket = this
        if len(points) == limit:
            truncated = True
            break
        points.append(
            TrackPoint(
                at=at, lat=lat, lon=lon, heading=heading, speed=speed, on_road=edge is not None
            )
        )
    rows.close()
    return Track(
        unit_id=unit_id,
        start=start,
        end=end,
        every_s=every_s,
        points=points,
        truncated=truncated,
        geometry={"type": "LineString", "coordinates": [[p.lon, p.lat] for p in points]},
    )
