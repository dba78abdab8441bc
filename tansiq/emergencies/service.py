"""Emergency commands and queries: declare, change, stand down; areas, incidents, casualties.

Every write takes the unit of work and the acting principal (None only for an import by the
system, such as the CAP importer), checks permission and visibility first, and appends its
timeline entry and `emergency.*` event in the same transaction; row changes are audited by the
store. Visibility is the incidents' rule: the lead agency owns the record and the participating
agencies are its shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance
from tansiq.access.policy import Permission, Principal, load_visible, record_audience, visible
from tansiq.access.service import require
from tansiq.emergencies import areas as geo
from tansiq.emergencies.models import (
    AffectedArea,
    Emergency,
    EmergencyIncident,
    EmergencyShare,
    EmergencyStatus,
    EmergencyTimeline,
)
from tansiq.emergencies.schemas import (
    AreaCreate,
    AreaRead,
    EmergencyCreate,
    EmergencyRead,
    EmergencyUpdate,
    TimelineRead,
)
from tansiq.errors import Problem, field_problem, not_found, require_aware
from tansiq.events.types import PendingEvent
from tansiq.incidents import service as incidents
from tansiq.store.base import utcnow
from tansiq.store.paging import decode_cursor, encode_cursor
from tansiq.store.uow import UnitOfWork

S = EmergencyStatus
_NEXT: dict[EmergencyStatus, tuple[EmergencyStatus, ...]] = {
    S.DRAFT: (S.ACTIVE, S.CLOSED),  # a draft (e.g. an imported warning) may be dismissed
    S.ACTIVE: (S.CLOSED,),
    S.CLOSED: (),
}
_STAMP = {S.ACTIVE: "activated_at", S.CLOSED: "closed_at"}


# --- loading and reading -----------------------------------------------------------------------


def get_visible(
    session: Session, who: Principal, emergency_id: int, *, lock: bool = False
) -> Emergency:
    """The emergency if `who` may see it; 404 whether it is missing or hidden."""
    require(who, Permission.READ)
    return load_visible(session, Emergency, EmergencyShare, who, emergency_id, lock=lock)


def shared_agencies(session: Session, emergency_id: int) -> set[int]:
    return set(
        session.execute(
            select(EmergencyShare.agency_id).where(EmergencyShare.record_id == emergency_id)
        ).scalars()
    )


def area_read(a: AffectedArea) -> AreaRead:
    return AreaRead(
        id=a.id,
        name=a.name,
        geometry=geo.to_geojson(a.geojson),
        bbox=[a.min_lon, a.min_lat, a.max_lon, a.max_lat],
        valid_from=a.valid_from,
        valid_to=a.valid_to,
    )


def to_read(
    session: Session, emergencies: list[Emergency], directory: Directory
) -> list[EmergencyRead]:
    ids = [e.id for e in emergencies]
    shares: dict[int, list[str]] = {i: [] for i in ids}
    areas: dict[int, list[AreaRead]] = {i: [] for i in ids}
    links: dict[int, int] = {}
    if ids:
        for record_id, agency_id in session.execute(
            select(EmergencyShare.record_id, EmergencyShare.agency_id)
            .where(EmergencyShare.record_id.in_(ids))
            .order_by(EmergencyShare.agency_id)
        ):
            shares[record_id].append(directory.agency_code(agency_id))
        for area in session.execute(
            select(AffectedArea).where(AffectedArea.emergency_id.in_(ids)).order_by(AffectedArea.id)
        ).scalars():
            areas[area.emergency_id].append(area_read(area))
        links = dict(
            session.execute(
                select(EmergencyIncident.emergency_id, func.count())
                .where(EmergencyIncident.emergency_id.in_(ids))
                .group_by(EmergencyIncident.emergency_id)
            ).all()
        )
    names = directory.usernames(e.created_by for e in emergencies if e.created_by is not None)
    return [
        EmergencyRead(
            id=e.id,
            kind=e.kind,
            severity=e.severity,
            status=EmergencyStatus(e.status),
            title=e.title,
            title_ar=e.title_ar,
            description=e.description,
            lead_agency=directory.agency_code(e.agency_id),
            participating_agencies=shares[e.id],
            classification=Clearance(e.classification).label,
            source=e.source,
            source_ref=e.source_ref,
            created_by=None if e.created_by is None else names.get(e.created_by, "?"),
            created_at=e.created_at,
            updated_at=e.updated_at,
            activated_at=e.activated_at,
            closed_at=e.closed_at,
            version=e.version,
            areas=areas[e.id],
            linked_incidents=links.get(e.id, 0),
            next_statuses=list(_NEXT[EmergencyStatus(e.status)]),
        )
        for e in emergencies
    ]


def read_one(session: Session, emergency: Emergency) -> EmergencyRead:
    return to_read(session, [emergency], Directory(session))[0]


def search(
    session: Session,
    who: Principal,
    *,
    status: Iterable[EmergencyStatus] = (),
    kind: Iterable[str] = (),
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Emergency], str | None]:
    """Emergencies `who` may see, newest first."""
    require(who, Permission.READ)
    stmt = select(Emergency).where(visible(Emergency, EmergencyShare, who))
    statuses, kinds = [s.value for s in status], list(kind)
    if statuses:
        stmt = stmt.where(Emergency.status.in_(statuses))
    if kinds:
        stmt = stmt.where(Emergency.kind.in_(kinds))
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        if not isinstance(last_id, int):
            raise Problem(400, "invalid_cursor")
        stmt = stmt.where(Emergency.id < last_id)
    rows = list(session.execute(stmt.order_by(Emergency.id.desc()).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def find_by_source(session: Session, source: str, source_ref: str) -> Emergency | None:
    """The emergency an import already made from this message (for the importer's dedup)."""
    return session.execute(
        select(Emergency)
        .where(Emergency.source == source, Emergency.source_ref == source_ref)
        .order_by(Emergency.id)
        .limit(1)
    ).scalar_one_or_none()


# --- events and timeline -----------------------------------------------------------------------


def audience_of(session: Session, emergency: Emergency) -> Any:
    return record_audience(
        emergency.classification, emergency.agency_id, shared_agencies(session, emergency.id)
    )


def emit(
    uow: UnitOfWork,
    type_: str,
    emergency: Emergency,
    extra: dict[str, Any] | None = None,
    *,
    extra_agencies: set[int] | None = None,
) -> EmergencyRead:
    """Append an event carrying the emergency (areas by id: geometries can be large)."""
    uow.session.flush()
    body = read_one(uow.session, emergency)
    record = body.model_dump(mode="json", exclude={"areas"})
    record["area_ids"] = [a.id for a in body.areas]
    audience = record_audience(
        emergency.classification,
        emergency.agency_id,
        shared_agencies(uow.session, emergency.id) | (extra_agencies or set()),
    )
    data = {"emergency": record, **(extra or {})}
    uow.emit(PendingEvent(type_, "emergency", str(emergency.id), data, audience))
    return body


def add_timeline(
    uow: UnitOfWork,
    who: Principal | None,
    emergency: Emergency,
    kind: str,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> EmergencyTimeline:
    entry = EmergencyTimeline(
        emergency_id=emergency.id,
        kind=kind,
        author_id=None if who is None else who.user_id,
        text=text,
        data=data or {},
        at=utcnow(),
    )
    uow.session.add(entry)
    return entry


def touch(emergency: Emergency) -> None:
    emergency.updated_at = utcnow()
    emergency.version += 1


def check_open(emergency: Emergency) -> None:
    if emergency.status == S.CLOSED:
        raise Problem(409, "emergency_closed")


# --- commands ----------------------------------------------------------------------------------


def declare(
    uow: UnitOfWork,
    who: Principal | None,
    data: EmergencyCreate,
    *,
    status: str = "draft",
    source: str = "manual",
    source_ref: str | None = None,
) -> Emergency:
    """Declare an emergency; returns the stored record (flushed, with its id).

    Used by the API (`who` is the caller, `status` draft or active) and by importers of outside
    data such as CAP alerts: pass `who=None`, `status="draft"`, `source="cap"` and the message's
    identifier as `source_ref` (see `find_by_source` to skip a message already imported). Without
    a caller, `data.lead_agency` is required and no clearance check applies. Areas are GeoJSON
    Polygon/MultiPolygon geometries (`data.areas[i].geometry`); every area is validated before
    anything is written, so a bad one leaves nothing stored (422 `area_*`). Emits
    `emergency.declared` (and `emergency.activated` when declared active).
    """
    if who is not None:
        require(who, Permission.EMERGENCY_MANAGE)
    target = EmergencyStatus(status)
    if target == S.CLOSED:
        raise field_problem(["status"], "enum", expected="draft, active")
    session = uow.session
    directory = Directory(session)
    if data.lead_agency:
        owner = directory.agency_id(data.lead_agency, "lead_agency")
    elif who is not None:
        owner = who.agency_id
    else:
        raise field_problem(["body", "lead_agency"], "missing")
    checked = [_checked_area(a, ["body", "areas", i]) for i, a in enumerate(data.areas)]
    participants = {
        directory.agency_id(code, "participating_agencies") for code in data.participating_agencies
    }
    if who is not None and owner != who.agency_id:
        participants.add(who.agency_id)  # declared for another agency: the declarer keeps sight
    participants.discard(owner)
    if who is not None:
        classification = incidents.classification_of(data.classification, who)
    else:
        classification = int(Clearance.parse(data.classification))
    now = utcnow()
    emergency = Emergency(
        kind=data.kind.value,
        severity=data.severity.value,
        status=target.value,
        title=data.title,
        title_ar=data.title_ar,
        description=data.description,
        agency_id=owner,
        classification=classification,
        created_by=None if who is None else who.user_id,
        source=source,
        source_ref=source_ref,
        created_at=now,
        updated_at=now,
        activated_at=now if target == S.ACTIVE else None,
        version=1,
    )
    session.add(emergency)
    session.flush()
    for agency_id in sorted(participants):
        session.add(
            EmergencyShare(
                record_id=emergency.id,
                agency_id=agency_id,
                shared_by=None if who is None else who.user_id,
            )
        )
    for name, checked_area, valid_from, valid_to in checked:
        _store_area(session, who, emergency, name, checked_area, valid_from, valid_to)
    add_timeline(uow, who, emergency, "status", "", {"status": target.value, "source": source})
    emit(uow, "emergency.declared", emergency, {"source": source})
    if target == S.ACTIVE:
        emit(uow, "emergency.activated", emergency)
    return emergency


def update(
    uow: UnitOfWork,
    who: Principal,
    emergency_id: int,
    data: EmergencyUpdate,
    if_match: int | None,
) -> Emergency:
    require(who, Permission.EMERGENCY_MANAGE)
    emergency = get_visible(uow.session, who, emergency_id, lock=True)
    incidents.check_version(emergency, if_match)
    check_open(emergency)
    changes = data.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise Problem(
            422,
            "validation_failed",
            errors=[
                {
                    "loc": ["body", k],
                    "type": "null_not_allowed",
                    "msg": "may not be null",
                    "msg_ar": "لا يجوز أن تكون القيمة فارغة",
                }
                for k in nulls
            ],
        )
    if "classification" in changes:
        changes["classification"] = incidents.classification_of(changes["classification"], who)
    for key in ("kind", "severity"):
        if key in changes:
            changes[key] = changes[key].value
    changed = {k: v for k, v in changes.items() if getattr(emergency, k) != v}
    if not changed:
        return emergency
    before = {k: getattr(emergency, k) for k in changed}
    old_classification = emergency.classification
    for key, value in changed.items():
        setattr(emergency, key, value)
    touch(emergency)
    add_timeline(uow, who, emergency, "update", "", {"fields": sorted(changed), "before": before})
    if emergency.classification > old_classification:
        uow.emit(
            PendingEvent(
                "emergency.withdrawn",
                "emergency",
                str(emergency.id),
                {"emergency_id": emergency.id},
                record_audience(
                    old_classification,
                    emergency.agency_id,
                    shared_agencies(uow.session, emergency.id),
                ),
            )
        )
    emit(uow, "emergency.updated", emergency, {"changed": sorted(changed)})
    return emergency


def transition(
    uow: UnitOfWork,
    who: Principal,
    emergency_id: int,
    target: EmergencyStatus,
    note: str | None,
    if_match: int | None,
) -> Emergency:
    """Activate a draft, or stand an emergency down (closed: its deployments are released)."""
    require(who, Permission.EMERGENCY_MANAGE)
    emergency = get_visible(uow.session, who, emergency_id, lock=True)
    incidents.check_version(emergency, if_match)
    current = EmergencyStatus(emergency.status)
    if target not in _NEXT[current]:
        raise Problem(
            409,
            "emergency_illegal_transition",
            current=current.value,
            target=target.value,
            label_prefix="emergency_status",
        )
    now = utcnow()
    emergency.status = target.value
    setattr(emergency, _STAMP[target], now)
    touch(emergency)
    released: list[int] = []
    if target == S.CLOSED:
        from tansiq.emergencies import deployments  # deployments build on this module

        released = deployments.release_all(uow, who, emergency, now)
    add_timeline(
        uow,
        who,
        emergency,
        "status",
        note or "",
        {"from": current.value, "to": target.value, "released_deployments": released},
    )
    emit(
        uow,
        f"emergency.{'activated' if target == S.ACTIVE else 'closed'}",
        emergency,
        {"from": current.value, "to": target.value},
    )
    return emergency


def add_participants(
    uow: UnitOfWork, who: Principal, emergency_id: int, agencies: list[str]
) -> Emergency:
    """Bring agencies into the emergency: they see it from now on (lead agency only)."""
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = get_visible(session, who, emergency_id, lock=True)
    if emergency.agency_id != who.agency_id:
        raise Problem(403, "not_owner")
    directory = Directory(session)
    targets = {directory.agency_id(c, "agencies") for c in agencies} - {emergency.agency_id}
    new = targets - shared_agencies(session, emergency.id)
    if not new:
        return emergency
    for agency_id in sorted(new):
        session.add(
            EmergencyShare(record_id=emergency.id, agency_id=agency_id, shared_by=who.user_id)
        )
    touch(emergency)
    codes = sorted(directory.agency_code(a) for a in new)
    add_timeline(uow, who, emergency, "share", "", {"added": codes})
    emit(uow, "emergency.participants_added", emergency, {"added": codes})
    return emergency


def remove_participant(
    uow: UnitOfWork, who: Principal, emergency_id: int, agency_code: str
) -> Emergency:
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = get_visible(session, who, emergency_id, lock=True)
    if emergency.agency_id != who.agency_id:
        raise Problem(403, "not_owner")
    agency_id = Directory(session).agency_id(agency_code, "agency")
    row = session.get(EmergencyShare, (emergency.id, agency_id))
    if row is None:
        raise not_found()
    session.delete(row)
    touch(emergency)
    add_timeline(uow, who, emergency, "share", "", {"removed": agency_code})
    session.flush()
    uow.emit(
        PendingEvent(
            "emergency.withdrawn",
            "emergency",
            str(emergency.id),
            {"emergency_id": emergency.id},
            record_audience(emergency.classification, agency_id, set()),
        )
    )
    emit(uow, "emergency.updated", emergency, {"changed": ["participating_agencies"]})
    return emergency


def add_note(uow: UnitOfWork, who: Principal, emergency_id: int, text: str) -> EmergencyTimeline:
    require(who, Permission.EMERGENCY_MANAGE)
    emergency = get_visible(uow.session, who, emergency_id, lock=True)
    entry = add_timeline(uow, who, emergency, "note", text)
    uow.session.flush()
    uow.emit(
        PendingEvent(
            "emergency.note_added",
            "emergency",
            str(emergency.id),
            {
                "emergency_id": emergency.id,
                "entry": timeline_read(entry, Directory(uow.session)).model_dump(mode="json"),
            },
            audience_of(uow.session, emergency),
        )
    )
    return entry


# --- areas -------------------------------------------------------------------------------------


def _checked_area(
    area: AreaCreate, loc: list[str | int]
) -> tuple[str, geo.CheckedArea, datetime | None, datetime | None]:
    require_aware(
        str(loc[-1]) if loc else "body", valid_from=area.valid_from, valid_to=area.valid_to
    )
    if area.valid_from and area.valid_to and area.valid_to <= area.valid_from:
        raise field_problem([*loc, "valid_to"], "window_end_before_start")
    checked = geo.check(area.geometry, ".".join(str(p) for p in [*loc, "geometry"]))
    return area.name, checked, area.valid_from, area.valid_to


def _store_area(
    session: Session,
    who: Principal | None,
    emergency: Emergency,
    name: str,
    checked: geo.CheckedArea,
    valid_from: datetime | None,
    valid_to: datetime | None,
) -> AffectedArea:
    min_lon, min_lat, max_lon, max_lat = checked.bbox
    area = AffectedArea(
        emergency_id=emergency.id,
        name=name,
        geojson=checked.geojson,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=None if who is None else who.user_id,
        created_at=utcnow(),
    )
    session.add(area)
    session.flush()
    return area


def add_area(uow: UnitOfWork, who: Principal, emergency_id: int, data: AreaCreate) -> AffectedArea:
    """Draw or import an affected area (validated first: a bad polygon stores nothing)."""
    require(who, Permission.EMERGENCY_MANAGE)
    emergency = get_visible(uow.session, who, emergency_id, lock=True)
    check_open(emergency)
    name, checked, valid_from, valid_to = _checked_area(data, ["body"])
    area = _store_area(uow.session, who, emergency, name, checked, valid_from, valid_to)
    touch(emergency)
    add_timeline(uow, who, emergency, "area", name, {"added": area.id})
    emit(uow, "emergency.area_added", emergency, {"area": area_read(area).model_dump(mode="json")})
    return area


def remove_area(uow: UnitOfWork, who: Principal, emergency_id: int, area_id: int) -> Emergency:
    require(who, Permission.EMERGENCY_MANAGE)
    emergency = get_visible(uow.session, who, emergency_id, lock=True)
    check_open(emergency)
    area = uow.session.get(AffectedArea, area_id)
    if area is None or area.emergency_id != emergency.id:
        raise not_found()
    uow.session.delete(area)
    touch(emergency)
    add_timeline(uow, who, emergency, "area", area.name, {"removed": area_id})
    emit(uow, "emergency.area_removed", emergency, {"area_id": area_id})
    return emergency


def areas_of(session: Session, emergency_id: int) -> list[AffectedArea]:
    return list(
        session.execute(
            select(AffectedArea)
            .where(AffectedArea.emergency_id == emergency_id)
            .order_by(AffectedArea.id)
        ).scalars()
    )


# --- timeline ----------------------------------------------------------------------------------


def timeline(session: Session, who: Principal, emergency_id: int) -> list[TimelineRead]:
    get_visible(session, who, emergency_id)
    entries = list(
        session.execute(
            select(EmergencyTimeline)
            .where(EmergencyTimeline.emergency_id == emergency_id)
            .order_by(EmergencyTimeline.at, EmergencyTimeline.id)
        ).scalars()
    )
    directory = Directory(session)
    directory.usernames(e.author_id for e in entries if e.author_id is not None)
    return [timeline_read(e, directory) for e in entries]


def timeline_read(e: EmergencyTimeline, directory: Directory) -> TimelineRead:
    return TimelineRead(
        id=e.id,
        at=e.at,
        kind=e.kind,
        author=None if e.author_id is None else directory.username(e.author_id),
        text=e.text,
        data=e.data,
    )
