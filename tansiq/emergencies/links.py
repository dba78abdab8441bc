"""Incidents of an emergency: explicit links, and suggestions by point-in-area."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tansiq.access.policy import Permission, Principal, visible
from tansiq.access.service import require
from tansiq.emergencies import areas as geo
from tansiq.emergencies.models import (
    Emergency,
    EmergencyIncident,
)
from tansiq.emergencies.schemas import (
    LinkedIncident,
)
from tansiq.emergencies.service import add_timeline, areas_of, check_open, emit, get_visible, touch
from tansiq.errors import not_found
from tansiq.incidents import service as incidents
from tansiq.incidents.lifecycle import OPEN_STATUSES
from tansiq.incidents.models import Incident, IncidentShare
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork

MAX_SUGGESTIONS = 500


def link(uow: UnitOfWork, who: Principal, emergency_id: int, incident_ids: list[int]) -> list[int]:
    """Link incidents (each must be visible to the caller); returns the newly linked ids.

    One unknown or hidden incident refuses the whole request (404): nothing is linked.
    """
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = get_visible(session, who, emergency_id, lock=True)
    check_open(emergency)
    wanted = sorted(set(incident_ids))
    for incident_id in wanted:
        incidents.get_visible(session, who, incident_id)
    already = set(
        session.execute(
            select(EmergencyIncident.incident_id).where(
                EmergencyIncident.emergency_id == emergency.id,
                EmergencyIncident.incident_id.in_(wanted),
            )
        ).scalars()
    )
    new = [i for i in wanted if i not in already]
    if not new:
        return []
    now = utcnow()
    for incident_id in new:
        session.add(
            EmergencyIncident(
                emergency_id=emergency.id,
                incident_id=incident_id,
                linked_at=now,
                linked_by=who.user_id,
            )
        )
    touch(emergency)
    add_timeline(uow, who, emergency, "link", "", {"incident_ids": new})
    emit(uow, "emergency.incidents_linked", emergency, {"incident_ids": new})
    return new


def unlink(uow: UnitOfWork, who: Principal, emergency_id: int, incident_id: int) -> Emergency:
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = get_visible(session, who, emergency_id, lock=True)
    check_open(emergency)
    row = session.get(EmergencyIncident, (emergency.id, incident_id))
    if row is None:
        raise not_found()
    session.delete(row)
    touch(emergency)
    add_timeline(uow, who, emergency, "unlink", "", {"incident_id": incident_id})
    emit(uow, "emergency.incident_unlinked", emergency, {"incident_id": incident_id})
    return emergency


def linked_incidents(session: Session, who: Principal, emergency_id: int) -> list[LinkedIncident]:
    """The linked incidents the caller may see (others stay hidden, as everywhere)."""
    get_visible(session, who, emergency_id)
    rows = session.execute(
        select(Incident, EmergencyIncident.linked_at)
        .join(EmergencyIncident, EmergencyIncident.incident_id == Incident.id)
        .where(
            EmergencyIncident.emergency_id == emergency_id,
            visible(Incident, IncidentShare, who),
        )
        .order_by(Incident.id)
    ).all()
    return [_linked(i, linked_at=at) for i, at in rows]


def _linked(
    i: Incident, *, linked_at: datetime | None = None, area_ids: list[int] | None = None
) -> LinkedIncident:
    return LinkedIncident(
        incident_id=i.id,
        type=i.type_code,
        status=i.status,
        priority=i.priority,
        lat=i.lat,
        lon=i.lon,
        reported_at=i.reported_at,
        linked_at=linked_at,
        area_ids=area_ids or [],
    )


def suggestions(session: Session, who: Principal, emergency_id: int) -> list[LinkedIncident]:
    """Open incidents the caller may see that lie inside an affected area and are not linked.

    The areas' bounding boxes narrow the candidates in SQL; shapely then tests each point
    exactly. Forecast windows are not applied: an incident in the area is relevant whatever the
    forecast said about timing.
    """
    require(who, Permission.READ)
    get_visible(session, who, emergency_id)
    areas = areas_of(session, emergency_id)
    if not areas:
        return []
    boxes = or_(
        *(
            and_(
                Incident.lon >= a.min_lon,
                Incident.lon <= a.max_lon,
                Incident.lat >= a.min_lat,
                Incident.lat <= a.max_lat,
            )
            for a in areas
        )
    )
    linked = select(EmergencyIncident.incident_id).where(
        EmergencyIncident.emergency_id == emergency_id
    )
    candidates = list(
        session.execute(
            select(Incident)
            .where(
                Incident.status.in_([s.value for s in OPEN_STATUSES]),
                boxes,
                Incident.id.not_in(linked),
                visible(Incident, IncidentShare, who),
            )
            .order_by(Incident.reported_at.desc(), Incident.id.desc())
            .limit(MAX_SUGGESTIONS * 4)
        ).scalars()
    )
    if not candidates:
        return []
    lon = [i.lon for i in candidates]
    lat = [i.lat for i in candidates]
    inside: dict[int, list[int]] = {}
    for area in areas:
        hits = geo.contains(geo.load(area.geojson), lon, lat)
        for index in hits.nonzero()[0]:
            inside.setdefault(int(index), []).append(area.id)
    return [_linked(candidates[i], area_ids=inside[i]) for i in sorted(inside)][:MAX_SUGGESTIONS]
