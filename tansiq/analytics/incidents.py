"""The platform's own incidents as the engine's event table, narrowed to what the caller may see.

This module and :mod:`tansiq.analytics.api` are the platform's side of the engine: they read the
store and speak problem+json.  The estimators never import them, so the package's ``__init__``
does not either and the engine still runs in a notebook without a database.

Only the columns the engine needs are selected, and the visibility rule sits in the query's WHERE
clause, so an incident the caller may not see is never loaded, not even to be dropped.
"""

from __future__ import annotations

import math
import warnings
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from tansiq.access.policy import Principal, visible
from tansiq.analytics.errors import AnalyticsWarning
from tansiq.analytics.events import prepare_events
from tansiq.analytics.history import History
from tansiq.analytics.problems import engine_problems
from tansiq.audit.service import READ_AUDIT_ABOVE
from tansiq.errors import Problem
from tansiq.incidents.lifecycle import IncidentStatus
from tansiq.incidents.models import Incident, IncidentShare
from tansiq.store.db import Store

__all__ = ["Limits", "Loaded", "Scope", "load", "local_midnight", "record_use", "utm_crs"]

# Audit entries name at most this many classified incidents; the total is always recorded.
_AUDIT_IDS = 1000


@dataclass(frozen=True)
class Limits:
    """What one request may cost.  Arrays are dense over the grid's bounding box and the
    near-repeat test compares pairs, so each bound caps memory or CPU, not just output size."""

    max_events: int = 50_000
    max_cells: int = 2_500_000  # all of Kuwait at 150 m is about 1.3 million
    max_kernel_work: int = 500_000_000  # kernel offsets x cells for one density surface
    max_pairs: int = 2_000_000  # incident pairs within the widest near-repeat band
    max_pair_shuffles: int = 100_000_000  # pairs x Monte Carlo shuffles


@dataclass
class Scope:
    """Which incidents an analysis uses and how they are gridded; an open end is unbounded."""

    start: datetime | None = None
    end: datetime | None = None
    types: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None
    include_cancelled: bool = False
    cell_size: float = 150.0
    crs: str | None = None
    timezone: str = "Asia/Kuwait"


@dataclass(frozen=True)
class Loaded:
    """The incidents of a scope on their grid, and what to tell the caller about them."""

    history: History
    crs: str  # as shown to the caller (an EPSG code when there is one)
    ids: np.ndarray
    classified: np.ndarray  # ids of incidents whose reads are audited


def check_timezone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Problem(422, "analytics_unknown_timezone", timezone=name) from None


def local_midnight(day: date, timezone: str) -> datetime:
    """Start of a local calendar day as an aware time."""
    return datetime.combine(day, time(), check_timezone(timezone))


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 UTM zone around a point, as a PROJ string.

    EPSG:32638 (UTM 38N) stops at 48°E by definition, which cuts through Kuwait City; the same
    projection as a PROJ string carries no area of use, so incidents a degree or two east of the
    zone edge are projected (with under 0.2 % scale error) instead of being refused.
    """
    zone = min(60, max(1, math.floor((lon + 180) / 6) + 1))
    south = " +south" if lat < 0 else ""
    return f"+proj=utm +zone={zone}{south} +datum=WGS84 +units=m +no_defs +type=crs"


def _shown(crs: str) -> str:
    epsg = CRS.from_user_input(crs).to_epsg()
    return f"EPSG:{epsg}" if epsg else crs


def _check_crs(crs: str) -> None:
    try:
        projected = CRS.from_user_input(crs).is_projected
    except CRSError:
        projected = False
    if not projected:
        raise Problem(422, "analytics_invalid_crs", crs=crs)


def _query(
    who: Principal, scope: Scope, limit: int
) -> Select[int, datetime, float, float, str, int]:
    stmt = select(
        Incident.id,
        Incident.reported_at,
        Incident.lat,
        Incident.lon,
        Incident.type_code,
        Incident.classification,
    ).where(visible(Incident, IncidentShare, who))
    if scope.start is not None:
        stmt = stmt.where(Incident.reported_at >= scope.start)
    if scope.end is not None:
        stmt = stmt.where(Incident.reported_at < scope.end)
    if scope.types:
        stmt = stmt.where(Incident.type_code.in_(scope.types))
    if not scope.include_cancelled:
        # A cancelled report (a false alarm, a duplicate) is not a crime at that place.
        stmt = stmt.where(Incident.status != IncidentStatus.CANCELLED.value)
    if scope.bbox:
        west, south, east, north = scope.bbox
        lon_ok = (
            Incident.lon.between(west, east)
            if west <= east
            else or_(Incident.lon >= west, Incident.lon <= east)  # box across the antimeridian
        )
        stmt = stmt.where(Incident.lat.between(south, north), lon_ok)
    return stmt.order_by(Incident.reported_at, Incident.id).limit(limit + 1)


def _check_grid(x: np.ndarray, y: np.ndarray, cell_size: float, limit: int) -> None:
    """Refuse before the engine allocates a dense grid over the incidents' bounding box."""
    nx = math.floor(float(x.max()) / cell_size) - math.floor(float(x.min()) / cell_size) + 1
    ny = math.floor(float(y.max()) / cell_size) - math.floor(float(y.min()) / cell_size) + 1
    if nx * ny > limit:
        raise Problem(
            422,
            "analytics_area_too_large",
            span=f"{nx * cell_size / 1000:.0f} km x {ny * cell_size / 1000:.0f} km",
            cells=nx * ny,
            cell_size=f"{cell_size:g}",
            limit=limit,
        )


def load(session: Session, who: Principal, scope: Scope, limits: Limits) -> Loaded:
    """The visible incidents of ``scope`` on a snapped grid whose study area is every cell
    holding one of them.  Refuses (422) an empty result, too many incidents or too many cells."""
    if scope.start and scope.end and scope.start > scope.end:
        raise Problem(400, "invalid_time_range")
    check_timezone(scope.timezone)
    if scope.crs is not None:
        _check_crs(scope.crs)
    rows = session.execute(_query(who, scope, limits.max_events)).all()
    if not rows:
        raise Problem(422, "analytics_no_incidents")
    if len(rows) > limits.max_events:
        raise Problem(422, "analytics_too_many_incidents", limit=limits.max_events)
    frame = pd.DataFrame.from_records(
        rows, columns=["id", "occurred_at", "lat", "lon", "category", "classification"]
    )
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    crs = scope.crs or utm_crs(float(frame["lon"].median()), float(frame["lat"].median()))
    with engine_problems(crs=scope.crs or _shown(crs)), warnings.catch_warnings():
        warnings.simplefilter("ignore", AnalyticsWarning)  # times are aware; nothing is assumed
        events = prepare_events(frame, crs=crs, timezone=scope.timezone)
        xs, ys = events["x"].to_numpy(), events["y"].to_numpy()
        _check_grid(xs, ys, scope.cell_size, limits.max_cells)
        history = History.on_study_grid(events, scope.cell_size, crs)
    ids = frame["id"].to_numpy()
    classified = ids[frame["classification"].to_numpy() > int(READ_AUDIT_ABOVE)]
    return Loaded(history, _shown(crs), ids, classified)


def record_use(store: Store, analysis: str, loaded: Loaded) -> None:
    """Audit the use of classified incidents, as reading one is audited: one entry per analysis
    (not one per incident, which would turn every map into thousands of writes)."""
    if len(loaded.classified) == 0:
        return
    with store.write() as uow:
        uow.audit(
            f"analytics.{analysis}",
            record_type="incidents",
            after={
                "incidents": len(loaded.ids),
                "classified": len(loaded.classified),
                "classified_ids": [int(i) for i in loaded.classified[:_AUDIT_IDS]],
            },
        )


def default_period(
    start: datetime | None, end: datetime | None, days: int = 365
) -> tuple[datetime, datetime]:
    """The period the caller gave; by default up to now and ``days`` days long."""
    end = end or datetime.now(zoneinfo.ZoneInfo("UTC"))
    return start or end - timedelta(days), end
