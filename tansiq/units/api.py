"""Routes for units: registration, status, position."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from tansiq.access.directory import Directory
from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.api.deps import IdempotencyKey, IfMatch, SettingsDep, StoreDep, Who, etag
from tansiq.api.idempotency import created_response
from tansiq.api.middleware import request_id_of
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit.service import record_reads
from tansiq.errors import field_problem, not_found, require_aware
from tansiq.schemas import RecordId
from tansiq.store.base import utcnow
from tansiq.units import batches, positions, service, tracks
from tansiq.units.models import (
    PositionBatchResult,
    PositionReport,
    UnitCreate,
    UnitPage,
    UnitRead,
    UnitStatus,
    UnitStatusReport,
    UnitUpdate,
)
from tansiq.units.position_writer import PositionWriter

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
async def report_position(
    unit_id: RecordId, body: PositionReport, who: Who, request: Request
) -> dict[str, object]:
    """A position fix; an older fix arriving after a newer one is accepted and ignored. The
    answer is the unit's position afterwards, and comes once the fix is durable."""
    require(who, Permission.UNIT_REPORT)
    at, wrong = positions.check_time(body.at, utcnow())
    if wrong is not None or at is None:
        raise field_problem(["body", "at"], wrong or "default")
    fix = positions.Fix(unit_id, body.lat, body.lon, at, body.heading, body.speed)
    (outcome,) = await _submit(request, who, [fix])
    if outcome.result == "not_found":
        raise not_found()
    return {
        "unit_id": unit_id,
        "lat": outcome.lat,
        "lon": outcome.lon,
        "at": outcome.at.isoformat() if outcome.at else None,
    }


@router.get("/{unit_id}/track", response_model=tracks.Track)
def unit_track(
    unit_id: RecordId,
    who: Who,
    store: StoreDep,
    start: Annotated[datetime | None, Query(alias="from", description="default: 24 h ago")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="default: now")] = None,
    every: Annotated[
        int | None, Query(ge=1, le=86_400, description="thin to one fix per N s")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=tracks.MAX_POINTS)] = 2000,
) -> tracks.Track:
    """Where the unit has been: its fixes in order, late-arriving ones included."""
    require_aware("query", **{"from": start, "to": end})
    end = end or utcnow()
    start = start or end - timedelta(hours=24)
    with store.read() as session:
        return tracks.track(session, who, unit_id, start, end, every_s=every, limit=limit)


@router.post(
    "/positions",
    status_code=202,
    response_model=PositionBatchResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": batches.body_schema()}},
        }
    },
    responses={415: {**PROBLEM_RESPONSES[413], "description": "The body is not JSON"}},
)
async def report_positions(who: Who, request: Request) -> PositionBatchResult:
    """Many fixes at once (a tracker gateway, a patrol's buffered track), at most 5,000. Each
    row is checked on its own: good rows are written, bad ones come back in `rejected` with
    their index."""
    require(who, Permission.UNIT_REPORT)
    batches.check_media_type(request.headers.get("content-type"))
    # Read here rather than by a body parameter: the rows go from bytes to fixes in one pass.
    fixes, indexes, rejected = batches.parse_batch(await request.body(), utcnow())
    outcomes = await _submit(request, who, fixes) if fixes else []
    for index, outcome in zip(indexes, outcomes, strict=True):
        if outcome.result == "not_found":
            rejected.append(batches.rejection(index, "unit_id", "unit_not_found"))
    rejected.sort(key=lambda r: r.index)
    return PositionBatchResult(
        applied=sum(o.result == "applied" for o in outcomes),
        stale=sum(o.result == "stale" for o in outcomes),
        rejected=rejected,
    )


async def _submit(
    request: Request, who: Principal, fixes: list[positions.Fix]
) -> list[positions.Outcome]:
    writer: PositionWriter = request.app.state.positions
    return await writer.submit(
        who,
        fixes,
        request_id=request_id_of(request.scope),
        client=request.client.host if request.client else None,
    )
