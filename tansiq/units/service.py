"""Unit commands and queries: registration, status, position."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance
from tansiq.access.policy import (
    Permission,
    Principal,
    load_visible,
    record_audience,
    visible,
)
from tansiq.access.service import require
from tansiq.errors import Problem, field_problem
from tansiq.events.types import PendingEvent
from tansiq.incidents.models import Incident
from tansiq.incidents.service import check_version, classification_of, emit_incident
from tansiq.reference.service import unit_type
from tansiq.store.base import utcnow
from tansiq.store.paging import decode_cursor, encode_cursor
from tansiq.store.uow import UnitOfWork
from tansiq.units import positions
from tansiq.units.models import (
    ASSIGNED_STATUSES,
    FREE_STATUSES,
    Assignment,
    AssignmentRead,
    PositionReport,
    Unit,
    UnitCreate,
    UnitRead,
    UnitShare,
    UnitStatus,
    UnitUpdate,
)

# A fix dated this far ahead of the server clock is a device with a wrong clock, not the future.


def get_visible(session: Session, who: Principal, unit_id: int, *, lock: bool = False) -> Unit:
    return load_visible(session, Unit, UnitShare, who, unit_id, lock=lock)


def shared_agencies(session: Session, unit_id: int) -> set[int]:
    return set(
        session.execute(select(UnitShare.agency_id).where(UnitShare.record_id == unit_id)).scalars()
    )


def assignment_read(a: Assignment, callsign: str, directory: Directory) -> AssignmentRead:
    travel = (a.on_scene_at - a.assigned_at).total_seconds() if a.on_scene_at else None
    return AssignmentRead(
        id=a.id,
        incident_id=a.incident_id,
        unit_id=a.unit_id,
        callsign=callsign,
        assigned_at=a.assigned_at,
        assigned_by=directory.username(a.assigned_by),
        released_at=a.released_at,
        active=a.released_at is None,
        predicted_eta_s=a.predicted_eta_s,
        eta_method=a.eta_method,
        en_route_at=a.en_route_at,
        on_scene_at=a.on_scene_at,
        travel_s=travel,
        eta_error_s=(
            None if travel is None or a.predicted_eta_s is None else travel - a.predicted_eta_s
        ),
    )


def to_read(session: Session, units: list[Unit], directory: Directory) -> list[UnitRead]:
    ids = [u.id for u in units]
    shares: dict[int, list[str]] = {i: [] for i in ids}
    active: dict[int, Assignment] = {}
    if ids:
        for record_id, agency_id in session.execute(
            select(UnitShare.record_id, UnitShare.agency_id)
            .where(UnitShare.record_id.in_(ids))
            .order_by(UnitShare.agency_id)
        ):
            shares[record_id].append(directory.agency_code(agency_id))
        for a in session.execute(
            select(Assignment).where(Assignment.unit_id.in_(ids), Assignment.released_at.is_(None))
        ).scalars():
            active[a.unit_id] = a
    directory.usernames(a.assigned_by for a in active.values())
    return [
        UnitRead(
            id=u.id,
            callsign=u.callsign,
            type=u.type_code,
            agency=directory.agency_code(u.agency_id),
            status=UnitStatus(u.status),
            classification=Clearance(u.classification).label,
            shared_with=shares[u.id],
            lat=u.lat,
            lon=u.lon,
            heading=u.heading,
            speed=u.speed,
            position_at=u.position_at,
            active_assignment=(
                assignment_read(active[u.id], u.callsign, directory) if u.id in active else None
            ),
            version=u.version,
            updated_at=u.updated_at,
        )
        for u in units
    ]


def read_one(session: Session, unit: Unit) -> UnitRead:
    return to_read(session, [unit], Directory(session))[0]


def audience_of(session: Session, unit: Unit) -> Any:
    return record_audience(unit.classification, unit.agency_id, shared_agencies(session, unit.id))


def emit_unit(uow: UnitOfWork, type_: str, unit: Unit, extra: dict[str, Any] | None = None) -> None:
    uow.session.flush()
    body = read_one(uow.session, unit).model_dump(mode="json")
    uow.emit(
        PendingEvent(
            type_,
            "unit",
            str(unit.id),
            {"unit": body, **(extra or {})},
            audience_of(uow.session, unit),
        )
    )


def register(uow: UnitOfWork, who: Principal, data: UnitCreate) -> Unit:
    require(who, Permission.UNIT_MANAGE)
    session = uow.session
    directory = Directory(session)
    utype = unit_type(session, data.type)
    owner = directory.agency_id(data.agency) if data.agency else who.agency_id
    shares = {directory.agency_id(c, "share_with") for c in data.share_with}
    if owner != who.agency_id:
        shares.add(who.agency_id)
    shares.discard(owner)
    if (data.lat is None) != (data.lon is None):
        raise Problem(
            422,
            "validation_failed",
            errors=[
                {
                    "loc": ["body", "lat" if data.lat is None else "lon"],
                    "type": "missing",
                    "msg": "lat and lon come together",
                    "msg_ar": "يجب إرسال خط العرض وخط الطول معاً",
                }
            ],
        )
    now = utcnow()
    unit = Unit(
        callsign=data.callsign,
        type_code=utype.code,
        agency_id=owner,
        status=UnitStatus.AVAILABLE,
        classification=classification_of(data.classification, who),
        lat=data.lat,
        lon=data.lon,
        position_at=now if data.lat is not None else None,
        created_at=now,
        updated_at=now,
    )
    if session.execute(select(Unit.id).where(Unit.callsign == data.callsign)).first():
        raise Problem(409, "duplicate", field="callsign", value=data.callsign)
    session.add(unit)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration took the callsign
        raise Problem(409, "duplicate", field="callsign", value=data.callsign) from None
    for agency_id in sorted(shares):
        session.add(UnitShare(record_id=unit.id, agency_id=agency_id, shared_by=who.user_id))
    emit_unit(uow, "unit.created", unit)
    return unit


def update(
    uow: UnitOfWork, who: Principal, unit_id: int, data: UnitUpdate, if_match: int | None
) -> Unit:
    require(who, Permission.UNIT_MANAGE)
    session = uow.session
    unit = get_visible(session, who, unit_id, lock=True)
    check_version(unit, if_match)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "type" in changes:
        unit.type_code = unit_type(session, changes.pop("type")).code
    if "classification" in changes:
        unit.classification = classification_of(changes.pop("classification"), who)
    if "callsign" in changes and changes["callsign"] != unit.callsign:
        if session.execute(select(Unit.id).where(Unit.callsign == changes["callsign"])).first():
            raise Problem(409, "duplicate", field="callsign", value=changes["callsign"])
        unit.callsign = changes["callsign"]
    unit.version += 1
    unit.updated_at = utcnow()
    emit_unit(uow, "unit.updated", unit)
    return unit


def report_status(
    uow: UnitOfWork, who: Principal, unit_id: int, status: UnitStatus, if_match: int | None = None
) -> Unit:
    """A unit's own report. Assignment and release set dispatched and available themselves."""
    require(who, Permission.UNIT_REPORT)
    session = uow.session
    unit = get_visible(session, who, unit_id, lock=True)
    check_version(unit, if_match)
    active = session.execute(
        select(Assignment).where(Assignment.unit_id == unit.id, Assignment.released_at.is_(None))
    ).scalar_one_or_none()
    allowed = (ASSIGNED_STATUSES - {UnitStatus.DISPATCHED}) if active else FREE_STATUSES
    if status not in allowed:
        raise Problem(409, "invalid_unit_status", status=status.value, label_prefix="unit_status")
    if status.value != unit.status:
        now = utcnow()
        unit.status = status.value
        unit.version += 1
        unit.updated_at = now
        if active is not None:
            _stamp(uow, active, unit, status, now)
        emit_unit(uow, "unit.status", unit)
    return unit


def _stamp(
    uow: UnitOfWork, active: Assignment, unit: Unit, status: UnitStatus, now: datetime
) -> None:
    """Keep the first departure and arrival on the assignment: response times are measured from
    them, and a unit that reports "on scene" twice arrived the first time."""
    if status == UnitStatus.EN_ROUTE and active.en_route_at is None:
        active.en_route_at = now
    elif status == UnitStatus.ON_SCENE and active.on_scene_at is None:
        active.on_scene_at = now
    else:
        return
    incident = uow.session.get(Incident, active.incident_id)
    assert incident is not None  # the foreign key guarantees it
    body = assignment_read(active, unit.callsign, Directory(uow.session))
    emit_incident(
        uow, "assignment.updated", incident, extra={"assignment": body.model_dump(mode="json")}
    )


def report_position(
    uow: UnitOfWork, who: Principal, unit_id: int, fix: PositionReport
) -> positions.Outcome:
    """One fix in the caller's unit of work (the demo; the API batches through PositionWriter)."""
    require(who, Permission.UNIT_REPORT)
    at, wrong = positions.check_time(fix.at, utcnow())
    if wrong is not None or at is None:
        raise field_problem(["body", "at"], wrong or "default")
    return positions.record_one(
        uow, who, positions.Fix(unit_id, fix.lat, fix.lon, at, fix.heading, fix.speed)
    )


def search(
    session: Session,
    who: Principal,
    *,
    agency: list[str],
    type_: list[str],
    status: list[UnitStatus],
    limit: int,
    cursor: str | None,
) -> tuple[list[Unit], str | None]:
    stmt = select(Unit).where(visible(Unit, UnitShare, who))
    if agency:
        directory = Directory(session)
        stmt = stmt.where(Unit.agency_id.in_([directory.agency_id(a) for a in agency]))
    if type_:
        stmt = stmt.where(Unit.type_code.in_(type_))
    if status:
        stmt = stmt.where(Unit.status.in_([s.value for s in status]))
    if cursor:
        (callsign,) = decode_cursor(cursor, 1)
        stmt = stmt.where(Unit.callsign > str(callsign))
    rows = list(session.execute(stmt.order_by(Unit.callsign).limit(limit + 1)).scalars())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].callsign)
    return rows, next_cursor
