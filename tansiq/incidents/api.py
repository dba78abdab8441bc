"""Routes for incidents: report, search, update, lifecycle, notes, sharing, assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.api.deps import IdempotencyKey, IfMatch, SettingsDep, StoreDep, Who, etag
from tansiq.api.idempotency import created_response
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit.service import record_reads
from tansiq.dispatch import service as dispatch
from tansiq.errors import require_aware
from tansiq.incidents import search as finder
from tansiq.incidents import service
from tansiq.incidents.lifecycle import IncidentStatus
from tansiq.incidents.models import (
    IncidentCreate,
    IncidentPage,
    IncidentRead,
    IncidentUpdate,
    NoteCreate,
    ShareRequest,
    TimelineRead,
    TransitionRequest,
)
from tansiq.schemas import RecordId
from tansiq.units import assignments
from tansiq.units import service as unit_service
from tansiq.units.models import Assignment, AssignmentRead, AssignRequest, Unit

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=PROBLEM_RESPONSES)


def _filters(
    status: Annotated[list[IncidentStatus] | None, Query()] = None,
    type: Annotated[list[str] | None, Query(max_length=64)] = None,
    agency: Annotated[list[str] | None, Query(max_length=64)] = None,
    priority: Annotated[list[Annotated[int, Query(ge=1, le=4)]] | None, Query()] = None,
    area: Annotated[str | None, Query(max_length=200)] = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    q: Annotated[str | None, Query(max_length=200, description="free text")] = None,
) -> finder.IncidentFilter:
    require_aware("query", reported_from=reported_from, reported_to=reported_to)
    return finder.IncidentFilter(
        status=status or [],
        type=type or [],
        agency=agency or [],
        priority=priority or [],
        area=area,
        reported_from=reported_from,
        reported_to=reported_to,
        bbox=finder.parse_bbox(bbox),
        q=q,
    )


Filters = Annotated[finder.IncidentFilter, Depends(_filters)]


@router.post("", response_model=IncidentRead, status_code=201)
def report(
    body: IncidentCreate, who: Who, store: StoreDep, settings: SettingsDep, key: IdempotencyKey
) -> JSONResponse:
    """Report an incident. Send an Idempotency-Key so a retry cannot report it twice."""
    return created_response(
        store.write,
        who,
        key,
        "POST /incidents",
        body,
        lambda uow: service.create(uow, who, body).model_dump(mode="json"),
        "/api/v1/incidents",
        settings.idempotency_hours,
    )


@router.get("", response_model=IncidentPage)
def list_incidents(
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> IncidentPage:
    """Incidents you may see, newest first, filtered; follow `next_cursor` for the next page."""
    with store.read() as session:
        rows, next_cursor = finder.search(
            session, who, filters, limit=min(limit, settings.page_size_max), cursor=cursor
        )
        page = IncidentPage(
            items=service.to_read(session, rows, Directory(session)), next_cursor=next_cursor
        )
    record_reads(
        store, "incidents.search_hit", "incidents", [(i.id, i.classification) for i in rows]
    )
    return page


@router.get("/count")
def count_incidents(who: Who, store: StoreDep, filters: Filters) -> dict[str, int]:
    """How many incidents you may see match the filters."""
    with store.read() as session:
        return {"count": finder.count(session, who, filters)}


@router.get("/{incident_id}", response_model=IncidentRead)
def get_incident(
    incident_id: RecordId, who: Who, store: StoreDep, response: Response
) -> IncidentRead:
    with store.read() as session:
        incident = service.get_visible(session, who, incident_id)
        body = service.read_one(session, incident)
    record_reads(store, "incidents.read", "incidents", [(incident.id, incident.classification)])
    response.headers["ETag"] = etag(body.version)
    return body


@router.patch("/{incident_id}", response_model=IncidentRead)
def update_incident(
    incident_id: RecordId,
    body: IncidentUpdate,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> IncidentRead:
    """Change fields; send If-Match with the ETag you read to avoid overwriting a colleague."""
    with store.write() as uow:
        incident = service.update(uow, who, incident_id, body, version)
        result = service.read_one(uow.session, incident)
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/{incident_id}/transitions", response_model=IncidentRead)
def transition(
    incident_id: RecordId,
    body: TransitionRequest,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> IncidentRead:
    """Move the incident to its next status (or cancel it while it is open)."""
    with store.write() as uow:
        incident = service.transition(uow, who, incident_id, body.status, body.note, version)
        result = service.read_one(uow.session, incident)
    response.headers["ETag"] = etag(result.version)
    return result


@router.get("/{incident_id}/timeline", response_model=list[TimelineRead])
def timeline(incident_id: RecordId, who: Who, store: StoreDep) -> list[TimelineRead]:
    with store.read() as session:
        entries = service.timeline(session, who, incident_id)
        classification = service.get_visible(session, who, incident_id).classification
    record_reads(store, "incidents.read", "incidents", [(incident_id, classification)])
    return entries


@router.post("/{incident_id}/notes", response_model=TimelineRead, status_code=201)
def add_note(incident_id: RecordId, body: NoteCreate, who: Who, store: StoreDep) -> TimelineRead:
    with store.write() as uow:
        entry = service.add_note(uow, who, incident_id, body.text)
        return service.timeline_read(entry, Directory(uow.session))


@router.post("/{incident_id}/shares", response_model=IncidentRead)
def share(incident_id: RecordId, body: ShareRequest, who: Who, store: StoreDep) -> IncidentRead:
    """Share with other agencies (owning agency only)."""
    with store.write() as uow:
        return service.read_one(uow.session, service.share(uow, who, incident_id, body.agencies))


@router.delete("/{incident_id}/shares/{agency}", response_model=IncidentRead)
def unshare(incident_id: RecordId, agency: str, who: Who, store: StoreDep) -> IncidentRead:
    with store.write() as uow:
        return service.read_one(uow.session, service.unshare(uow, who, incident_id, agency))


@router.get("/{incident_id}/assignments", response_model=list[AssignmentRead])
def list_assignments(incident_id: RecordId, who: Who, store: StoreDep) -> list[AssignmentRead]:
    with store.read() as session:
        rows = assignments.for_incident(session, who, incident_id)
        classification = service.get_visible(session, who, incident_id).classification
    record_reads(store, "incidents.read", "incidents", [(incident_id, classification)])
    return rows


@router.post("/{incident_id}/assignments", response_model=AssignmentRead, status_code=201)
def assign(
    incident_id: RecordId,
    body: AssignRequest,
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
) -> AssignmentRead:
    """Assign an available unit; a unit holds one active assignment at a time. The travel time
    predicted now is kept to compare with the unit's arrival."""
    predict = dispatch.predictor(
        request.app.state.roads.current(), settings.dispatch_straight_line_kmh
    )
    with store.write() as uow:
        a = assignments.assign(uow, who, incident_id, body.unit_id, predict)
        return _assignment(uow.session, a)


@router.post("/{incident_id}/assignments/{assignment_id}/release", response_model=AssignmentRead)
def release(
    incident_id: RecordId, assignment_id: RecordId, who: Who, store: StoreDep
) -> AssignmentRead:
    with store.write() as uow:
        a = assignments.release(uow, who, incident_id, assignment_id)
        return _assignment(uow.session, a)


def _assignment(session: Session, a: Assignment) -> AssignmentRead:
    unit = session.get(Unit, a.unit_id)
    assert unit is not None
    return unit_service.assignment_read(a, unit.callsign, Directory(session))
