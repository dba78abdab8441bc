"""Listing, searching and counting incidents, narrowed to what the user may see in the query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.policy import Principal, visible
from tansiq.errors import Problem
from tansiq.i18n.folding import terms
from tansiq.incidents.lifecycle import IncidentStatus
from tansiq.incidents.models import Incident, IncidentShare
from tansiq.store.paging import decode_cursor, encode_cursor


@dataclass
class IncidentFilter:
    status: list[IncidentStatus] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    agency: list[str] = field(default_factory=list)
    priority: list[int] = field(default_factory=list)
    area: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    q: str | None = None


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise Problem(400, "invalid_bbox") from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise Problem(400, "invalid_bbox")
    return west, south, east, north


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(session: Session, who: Principal, f: IncidentFilter) -> Select[Incident]:
    stmt = select(Incident).where(visible(Incident, IncidentShare, who))
    if f.status:
        stmt = stmt.where(Incident.status.in_([s.value for s in f.status]))
    if f.type:
        stmt = stmt.where(Incident.type_code.in_(f.type))
    if f.agency:
        directory = Directory(session)
        stmt = stmt.where(Incident.agency_id.in_([directory.agency_id(a) for a in f.agency]))
    if f.priority:
        stmt = stmt.where(Incident.priority.in_(f.priority))
    if f.area:
        stmt = stmt.where(Incident.area == f.area)
    if f.reported_from and f.reported_to and f.reported_from > f.reported_to:
        raise Problem(400, "invalid_time_range")
    if f.reported_from:
        stmt = stmt.where(Incident.reported_at >= f.reported_from)
    if f.reported_to:
        stmt = stmt.where(Incident.reported_at < f.reported_to)
    if f.bbox:
        west, south, east, north = f.bbox
        lon_ok = (
            Incident.lon.between(west, east)
            if west <= east
            else or_(Incident.lon >= west, Incident.lon <= east)  # box across the antimeridian
        )
        stmt = stmt.where(Incident.lat.between(south, north), lon_ok)
    for term in terms(f.q or ""):
        stmt = stmt.where(Incident.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    return stmt


def search(
    session: Session, who: Principal, f: IncidentFilter, *, limit: int, cursor: str | None = None
) -> tuple[list[Incident], str | None]:
    """Newest first; the cursor continues after the last item of the previous page."""
    stmt = _filtered(session, who, f)
    if cursor:
        at_text, last_id = decode_cursor(cursor, 2)
        try:
            at = datetime.fromisoformat(at_text)
            last_id = int(last_id)
        except (TypeError, ValueError):
            raise Problem(400, "invalid_cursor") from None
        stmt = stmt.where(
            or_(Incident.reported_at < at, and_(Incident.reported_at == at, Incident.id < last_id))
        )
    rows = list(
        session.execute(
            stmt.order_by(Incident.reported_at.desc(), Incident.id.desc()).limit(limit + 1)
        ).scalars()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].reported_at.isoformat(), rows[-1].id)
    return rows, next_cursor


def count(session: Session, who: Principal, f: IncidentFilter) -> int:
    stmt = _filtered(session, who, f).with_only_columns(func.count(Incident.id))
    return int(session.execute(stmt).scalar_one())
