"""Routes for units: registration, status, position."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from tansiq.access.directory import Directory
from tansiq.api.deps import IdempotencyKey, IfMatch, SettingsDep, StoreDep, Who, etag
from tansiq.api.idempotency import created_response
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit.service import record_reads
from tansiq.schemas import RecordId
from tansiq.units import service
from tansiq.units.models import (
    PositionReport,
    UnitCreate,
    UnitPage,
    UnitRead,
    UnitStatus,
    UnitStatusReport,
    UnitUpdate,
)

router = APIRouter(prefix="/api/v1/units", tags=["units"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=UnitRead, status_code=201)
def register(
    body: UnitCreate, who: Who, store: StoreDep, settings: SettingsDep, key: IdempotencyKey
) -> JSONResponse:
    """Register a unit. Send an Idempotency-Key so a retry cannot register it twice."""
    return created_response(
        store.write,
        who,
        key,
        "POST /units",
        body,
        lambda uow: service.read_one(uow.session, service.register(uow, who, body)).model_dump(
            mode="json"
        ),
        "/api/v1/units",
        settings.idempotency_hours,
    )


@router.get("", response_model=UnitPage)
def list_units(
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    agency: Annotated[list[str] | None, Query(max_length=64)] = None,
    type: Annotated[list[str] | None, Query(max_length=64)] = None,
    status: Annotated[list[UnitStatus] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> UnitPage:
    with store.read() as session:
        rows, next_cursor = service.search(
            session,
            who,
            agency=agency or [],
            type_=type or [],
            status=status or [],
            limit=min(limit, settings.page_size_max),
            cursor=cursor,
        )
        page = UnitPage(
            items=service.to_read(session, rows, Directory(session)), next_cursor=next_cursor
        )
    record_reads(store, "units.search_hit", "units", [(u.id, u.classification) for u in rows])
    return page


@router.get("/{unit_id}", response_model=UnitRead)
def get_unit(unit_id: RecordId, who: Who, store: StoreDep, response: Response) -> UnitRead:
    with store.read() as session:
        unit = service.get_visible(session, who, unit_id)
        body = service.read_one(session, unit)
    record_reads(store, "units.read", "units", [(unit.id, unit.classification)])
    response.headers["ETag"] = etag(body.version)
    return body


@router.patch("/{unit_id}", response_model=UnitRead)
def update_unit(
    unit_id: RecordId,
    body: UnitUpdate,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> UnitRead:
    with store.write() as uow:
        result = service.read_one(uow.session, service.update(uow, who, unit_id, body, version))
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/{unit_id}/status", response_model=UnitRead)
def report_status(
    unit_id: RecordId,
    body: UnitStatusReport,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> UnitRead:
    """The unit's own report: en route or on scene while assigned; available, out of service or
    off duty otherwise."""
    with store.write() as uow:
        unit = service.report_status(uow, who, unit_id, body.status, version)
        result = service.read_one(uow.session, unit)
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/{unit_id}/position", status_code=202)
def report_position(
    unit_id: RecordId, body: PositionReport, who: Who, store: StoreDep
) -> dict[str, object]:
    """A position fix; an older fix arriving after a newer one is accepted and ignored."""
    with store.write() as uow:
        unit = service.report_position(uow, who, unit_id, body)
        return {
            "unit_id": unit.id,
            "lat": unit.lat,
            "lon": unit.lon,
            "at": unit.position_at.isoformat() if unit.position_at else None,
        }
