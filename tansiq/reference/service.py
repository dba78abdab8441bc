"""Reading and administering incident types and unit types."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.policy import Permission, Principal
from tansiq.access.service import PUBLIC, require
from tansiq.errors import Problem, not_found
from tansiq.events.types import PendingEvent
from tansiq.reference.models import IncidentType, UnitType
from tansiq.reference.schemas import (
    IncidentTypeCreate,
    IncidentTypeRead,
    IncidentTypeUpdate,
    UnitTypeCreate,
    UnitTypeRead,
    UnitTypeUpdate,
)
from tansiq.store.uow import UnitOfWork


def incident_type_read(t: IncidentType, directory: Directory) -> IncidentTypeRead:
    return IncidentTypeRead(
        code=t.code,
        name_en=t.name_en,
        name_ar=t.name_ar,
        lead_agency=directory.agency_code(t.lead_agency_id),
        default_priority=t.default_priority,
        active=t.active,
    )


def unit_type_read(t: UnitType) -> UnitTypeRead:
    return UnitTypeRead.model_validate(t, from_attributes=True)


def incident_type(session: Session, code: str, field: str = "type") -> IncidentType:
    """An active incident type, or a 422 naming the unknown code."""
    t = session.get(IncidentType, code)
    if t is None or not t.active:
        raise Problem(422, "unknown_reference", field=field, value=code)
    return t


def unit_type(session: Session, code: str, field: str = "type") -> UnitType:
    t = session.get(UnitType, code)
    if t is None or not t.active:
        raise Problem(422, "unknown_reference", field=field, value=code)
    return t


def list_incident_types(session: Session) -> list[IncidentType]:
    return list(
        session.execute(
            select(IncidentType).order_by(IncidentType.lead_agency_id, IncidentType.code)
        ).scalars()
    )


def list_unit_types(session: Session) -> list[UnitType]:
    return list(session.execute(select(UnitType).order_by(UnitType.code)).scalars())


def create_incident_type(uow: UnitOfWork, who: Principal, data: IncidentTypeCreate) -> IncidentType:
    require(who, Permission.REFERENCE_ADMIN)
    if uow.session.get(IncidentType, data.code) is not None:
        raise Problem(409, "duplicate", field="code", value=data.code)
    directory = Directory(uow.session)
    t = IncidentType(
        code=data.code,
        name_en=data.name_en,
        name_ar=data.name_ar,
        lead_agency_id=directory.agency_id(data.lead_agency, "lead_agency"),
        default_priority=data.default_priority,
    )
    uow.session.add(t)
    uow.session.flush()
    _emit(uow, "incident_type.created", t.code, incident_type_read(t, directory).model_dump())
    return t


def update_incident_type(
    uow: UnitOfWork, who: Principal, code: str, data: IncidentTypeUpdate
) -> IncidentType:
    require(who, Permission.REFERENCE_ADMIN)
    t = uow.session.get(IncidentType, code)
    if t is None:
        raise not_found()
    directory = Directory(uow.session)
    values = data.model_dump(exclude_none=True)
    if "lead_agency" in values:
        t.lead_agency_id = directory.agency_id(values.pop("lead_agency"), "lead_agency")
    for field, value in values.items():
        setattr(t, field, value)
    _emit(uow, "incident_type.updated", t.code, incident_type_read(t, directory).model_dump())
    return t


def create_unit_type(uow: UnitOfWork, who: Principal, data: UnitTypeCreate) -> UnitType:
    require(who, Permission.REFERENCE_ADMIN)
    if uow.session.get(UnitType, data.code) is not None:
        raise Problem(409, "duplicate", field="code", value=data.code)
    t = UnitType(**data.model_dump())
    uow.session.add(t)
    uow.session.flush()
    _emit(uow, "unit_type.created", t.code, unit_type_read(t).model_dump())
    return t


def update_unit_type(uow: UnitOfWork, who: Principal, code: str, data: UnitTypeUpdate) -> UnitType:
    require(who, Permission.REFERENCE_ADMIN)
    t = uow.session.get(UnitType, code)
    if t is None:
        raise not_found()
    for field, value in data.model_dump(exclude_none=True).items():
        setattr(t, field, value)
    _emit(uow, "unit_type.updated", t.code, unit_type_read(t).model_dump())
    return t


def _emit(uow: UnitOfWork, type_: str, code: str, data: dict[str, object]) -> None:
    uow.emit(PendingEvent(type_, type_.split(".")[0], code, dict(data), PUBLIC))
