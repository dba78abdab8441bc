"""Assigning units to incidents and releasing them.

A unit holds at most one active assignment. The unit row is locked first (PostgreSQL) or the
database write lock is held (SQLite), and a partial unique index on active assignments refuses a
second one whatever the interleaving: two dispatchers pressing "assign" at the same moment get
one assignment and one clear 409.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.errors import Problem, not_found
from tansiq.incidents import service as incidents
from tansiq.incidents.lifecycle import OPEN_STATUSES, IncidentStatus
from tansiq.incidents.models import Incident
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork
from tansiq.units import service as units
from tansiq.units.models import Assignment, AssignmentRead, Unit, UnitStatus

# Predicts a unit's travel time to an incident as (seconds, method), or None when it cannot
# (no known position). Dispatch provides it; this module does not know about roads.
Predictor = Callable[[Unit, Incident], "tuple[float, str] | None"]


def assign(
    uow: UnitOfWork,
    who: Principal,
    incident_id: int,
    unit_id: int,
    predict: Predictor | None = None,
) -> Assignment:
    """Send a unit, keeping the travel time predicted at this moment to compare with its arrival."""
    require(who, Permission.ASSIGN)
    session = uow.session
    incident = incidents.get_visible(session, who, incident_id, lock=True)
    unit = units.get_visible(session, who, unit_id, lock=True)
    status = IncidentStatus(incident.status)
    if status not in OPEN_STATUSES:
        raise Problem(409, "incident_not_open", status=status.value)
    if _active(session, unit.id) is not None:
        raise Problem(409, "unit_busy", callsign=unit.callsign)
    if unit.status != UnitStatus.AVAILABLE:
        raise Problem(
            409,
            "unit_not_available",
            callsign=unit.callsign,
            status=unit.status,
            label_prefix="unit_status",
        )
    now = utcnow()
    eta = predict(unit, incident) if predict is not None else None
    assignment = Assignment(
        incident_id=incident.id,
        unit_id=unit.id,
        assigned_by=who.user_id,
        assigned_at=now,
        predicted_eta_s=None if eta is None else round(eta[0], 1),
        eta_method=None if eta is None else eta[1],
    )
    session.add(assignment)
    try:
        session.flush()
    except IntegrityError:
        raise Problem(409, "unit_busy", callsign=unit.callsign) from None
    unit.status = UnitStatus.DISPATCHED.value
    unit.version += 1
    unit.updated_at = now
    # Sending the first unit is what "dispatched" means; an unacknowledged report is acknowledged.
    if status == IncidentStatus.REPORTED:
        incidents.move(uow, who, incident, IncidentStatus.ACKNOWLEDGED)
    if IncidentStatus(incident.status) == IncidentStatus.ACKNOWLEDGED:
        incidents.move(uow, who, incident, IncidentStatus.DISPATCHED)
    _record(uow, who, incident, unit, assignment, "assignment.created")
    return assignment


def release(uow: UnitOfWork, who: Principal, incident_id: int, assignment_id: int) -> Assignment:
    require(who, Permission.ASSIGN)
    session = uow.session
    incident = incidents.get_visible(session, who, incident_id, lock=True)
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.incident_id != incident.id:
        raise not_found()
    unit = units.get_visible(session, who, assignment.unit_id, lock=True)
    if assignment.released_at is not None:
        raise Problem(409, "assignment_not_active")
    _release(uow, who, incident, unit, assignment)
    return assignment


def release_all(uow: UnitOfWork, who: Principal, incident: Incident) -> None:
    """Free every unit of an incident that has been resolved, closed or cancelled."""
    session = uow.session
    for assignment in (
        session.execute(
            select(Assignment).where(
                Assignment.incident_id == incident.id, Assignment.released_at.is_(None)
            )
        )
        .scalars()
        .all()
    ):
        unit = session.execute(
            select(Unit).where(Unit.id == assignment.unit_id).with_for_update()
        ).scalar_one()
        _release(uow, who, incident, unit, assignment)


def for_incident(session: Session, who: Principal, incident_id: int) -> list[AssignmentRead]:
    incidents.get_visible(session, who, incident_id)
    rows = session.execute(
        select(Assignment, Unit.callsign)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.incident_id == incident_id)
        .order_by(Assignment.assigned_at, Assignment.id)
    ).all()
    directory = Directory(session)
    return [units.assignment_read(a, callsign, directory) for a, callsign in rows]


def _active(session: Session, unit_id: int) -> Assignment | None:
    return session.execute(
        select(Assignment).where(Assignment.unit_id == unit_id, Assignment.released_at.is_(None))
    ).scalar_one_or_none()


def _release(
    uow: UnitOfWork, who: Principal, incident: Incident, unit: Unit, assignment: Assignment
) -> None:
    now = utcnow()
    assignment.released_at = now
    assignment.released_by = who.user_id
    unit.status = UnitStatus.AVAILABLE.value
    unit.version += 1
    unit.updated_at = now
    _record(uow, who, incident, unit, assignment, "assignment.released")


def _record(
    uow: UnitOfWork,
    who: Principal,
    incident: Incident,
    unit: Unit,
    assignment: Assignment,
    type_: str,
) -> None:
    uow.session.flush()
    kind = "assignment" if type_.endswith("created") else "release"
    incidents.add_timeline(
        uow,
        who,
        incident,
        kind,
        "",
        {"unit_id": unit.id, "callsign": unit.callsign, "assignment_id": assignment.id},
    )
    body = units.assignment_read(assignment, unit.callsign, Directory(uow.session))
    data = {"assignment": body.model_dump(mode="json")}
    # Seen by whoever sees the incident, and by whoever sees the unit.
    incidents.emit_incident(uow, type_, incident, extra=data)
    units.emit_unit(uow, "unit.status", unit)
