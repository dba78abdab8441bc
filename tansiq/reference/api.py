"""Routes for incident types and unit types."""

from __future__ import annotations

from fastapi import APIRouter

from tansiq.access.directory import Directory
from tansiq.api.deps import StoreDep, Who
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.reference import service
from tansiq.reference.schemas import (
    IncidentTypeCreate,
    IncidentTypeRead,
    IncidentTypeUpdate,
    UnitTypeCreate,
    UnitTypeRead,
    UnitTypeUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["reference"], responses=PROBLEM_RESPONSES)


@router.get("/incident-types", response_model=list[IncidentTypeRead])
def list_incident_types(who: Who, store: StoreDep) -> list[IncidentTypeRead]:
    """Incident types, grouped by the agency that normally leads them."""
    with store.read() as session:
        directory = Directory(session)
        return [
            service.incident_type_read(t, directory) for t in service.list_incident_types(session)
        ]


@router.post("/incident-types", response_model=IncidentTypeRead, status_code=201)
def create_incident_type(body: IncidentTypeCreate, who: Who, store: StoreDep) -> IncidentTypeRead:
    with store.write() as uow:
        t = service.create_incident_type(uow, who, body)
        return service.incident_type_read(t, Directory(uow.session))


@router.patch("/incident-types/{code}", response_model=IncidentTypeRead)
def update_incident_type(
    code: str, body: IncidentTypeUpdate, who: Who, store: StoreDep
) -> IncidentTypeRead:
    with store.write() as uow:
        t = service.update_incident_type(uow, who, code, body)
        return service.incident_type_read(t, Directory(uow.session))


@router.get("/unit-types", response_model=list[UnitTypeRead])
def list_unit_types(who: Who, store: StoreDep) -> list[UnitTypeRead]:
    with store.read() as session:
        return [service.unit_type_read(t) for t in service.list_unit_types(session)]


@router.post("/unit-types", response_model=UnitTypeRead, status_code=201)
def create_unit_type(body: UnitTypeCreate, who: Who, store: StoreDep) -> UnitTypeRead:
    with store.write() as uow:
        return service.unit_type_read(service.create_unit_type(uow, who, body))


@router.patch("/unit-types/{code}", response_model=UnitTypeRead)
def update_unit_type(code: str, body: UnitTypeUpdate, who: Who, store: StoreDep) -> UnitTypeRead:
    with store.write() as uow:
        return service.unit_type_read(service.update_unit_type(uow, who, code, body))
