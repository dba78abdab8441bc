"""Routes for shelters: the registry, households, assignment, check-in and check-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from tansiq.access.directory import Directory
from tansiq.api.deps import IdempotencyKey, IfMatch, SettingsDep, StoreDep, Who, etag
from tansiq.api.idempotency import created_response
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.roads.engine import Router
from tansiq.schemas import MAX_ID, RecordId, StrictModel
from tansiq.shelters import desk, service
from tansiq.shelters import households as hh
from tansiq.shelters.models import HouseholdStatus, ShelterStatus
from tansiq.shelters.schemas import (
    AssignmentRead,
    AssignRequest,
    BulkAssignmentRead,
    BulkAssignRequest,
    CheckIn,
    HouseholdCreate,
    HouseholdPage,
    HouseholdRead,
    HouseholdUpdate,
    ShelterCreate,
    ShelterRead,
    ShelterUpdate,
)
from tansiq.store.db import Store

router = APIRouter(prefix="/api/v1/shelters", tags=["shelters"], responses=PROBLEM_RESPONSES)


class PurgeRequest(StrictModel):
    retention_days: Annotated[int, Query(ge=0, le=3650)] = hh.RETENTION_DAYS


def _router(request: Request) -> Router | None:
    roads = getattr(request.app.state, "roads", None)
    return None if roads is None else roads.current()


def _reads(store: Store, rows: list[HouseholdRead]) -> None:
    """Every read of evacuees' data is recorded in the audit trail, whatever the platform's
    threshold for auditing reads of classified records: it is personal data."""
    if not rows:
        return
    with store.write() as uow:
        for h in rows:
            uow.audit("shelter_households.read", record_type="shelter_households", record_id=h.id)


# --- households (declared before /{shelter_id} so the paths do not collide) -------------------


@router.post("/households", response_model=HouseholdRead, status_code=201)
def register_household(
    body: HouseholdCreate, who: Who, store: StoreDep, settings: SettingsDep, key: IdempotencyKey
) -> JSONResponse:
    """Register a household (minimum data: a reference, its size, the head's name, needs).
    Send an Idempotency-Key so a retry from a desk cannot register it twice."""
    return created_response(
        store.write,
        who,
        key,
        "POST /shelters/households",
        body,
        lambda uow: hh.read_one(uow.session, who, hh.register(uow, who, body)).model_dump(
            mode="json"
        ),
        "/api/v1/shelters/households",
        settings.idempotency_hours,
    )


@router.get("/households", response_model=HouseholdPage)
def list_households(
    who: Who,
    store: StoreDep,
    shelter_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Annotated[list[HouseholdStatus] | None, Query()] = None,
    reference: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HouseholdPage:
    """Households you may see (registered by your agency, at a shelter your agency manages, or
    all of them from the joint operations room)."""
    with store.read() as session:
        rows, next_cursor = hh.search(
            session,
            who,
            shelter_id=shelter_id,
            status=status or [],
            reference=reference,
            limit=limit,
            cursor=cursor,
        )
        page = HouseholdPage(items=hh.to_read(session, who, rows), next_cursor=next_cursor)
    _reads(store, page.items)
    return page


@router.post("/households/purge")
def purge_households(body: PurgeRequest, who: Who, store: StoreDep) -> dict[str, int]:
    """Delete households whose retention has run out (checked out or never sent anywhere, more
    than `retention_days` ago)."""
    with store.write() as uow:
        return {"purged": hh.purge(uow, who, body.retention_days)}


@router.get("/households/{household_id}", response_model=HouseholdRead)
def get_household(
    household_id: RecordId, who: Who, store: StoreDep, response: Response
) -> HouseholdRead:
    with store.read() as session:
        body = hh.read_one(session, who, hh.get_visible(session, who, household_id))
    _reads(store, [body])
    response.headers["ETag"] = etag(body.version)
    return body


@router.patch("/households/{household_id}", response_model=HouseholdRead)
def update_household(
    household_id: RecordId,
    body: HouseholdUpdate,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> HouseholdRead:
    with store.write() as uow:
        household = hh.update_household(uow, who, household_id, body, version)
        result = hh.read_one(uow.session, who, household)
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/households/{household_id}/assignment", response_model=AssignmentRead)
def assign_household(
    household_id: RecordId,
    body: AssignRequest,
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
) -> AssignmentRead:
    """Hold places for the household at the open shelter with room it reaches soonest: by road
    when a road network is loaded, otherwise in a straight line (`method` says which)."""
    with store.write() as uow:
        sent = desk.assign_nearest(
            uow,
            who,
            household_id,
            _router(request),
            settings.dispatch_straight_line_kmh,
            lat=body.lat,
            lon=body.lon,
        )
        return AssignmentRead(
            household_id=sent.household.id,
            shelter_id=sent.shelter.id,
            shelter_name=sent.shelter.name,
            travel_s=round(sent.seconds, 1),
            distance_m=None if sent.distance_m is None else round(sent.distance_m, 1),
            method="road" if sent.method == "road" else "straight_line",
            household=hh.read_one(uow.session, who, sent.household),
        )


@router.post("/assignments", response_model=BulkAssignmentRead)
def assign_households(
    body: BulkAssignRequest, who: Who, store: StoreDep, settings: SettingsDep, request: Request
) -> BulkAssignmentRead:
    """Plan many households into the shelters' free places with the least total travel, and
    hold the places. `planner`: `optimal` (Lagrangian prices, seconds for 10,000 households),
    `optimal_lp` (exact relaxation, tighter, slower) or `greedy` (each in turn to its nearest
    shelter with room). `gap` bounds how far the plan can be from the best possible one."""
    with store.write() as uow:
        return desk.assign_many(
            uow,
            who,
            body.household_ids,
            _router(request),
            settings.dispatch_straight_line_kmh,
            body.planner,
        )


# --- the registry -----------------------------------------------------------------------------


@router.post("", response_model=ShelterRead, status_code=201)
def create_shelter(
    body: ShelterCreate, who: Who, store: StoreDep, settings: SettingsDep, key: IdempotencyKey
) -> JSONResponse:
    return created_response(
        store.write,
        who,
        key,
        "POST /shelters",
        body,
        lambda uow: service.read_one(uow.session, service.create(uow, who, body)).model_dump(
            mode="json"
        ),
        "/api/v1/shelters",
        settings.idempotency_hours,
    )


@router.get("", response_model=list[ShelterRead])
def list_shelters(
    who: Who,
    store: StoreDep,
    status: Annotated[list[ShelterStatus] | None, Query()] = None,
    emergency_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    agency: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ShelterRead]:
    """Every shelter (public within the ministry), with live occupancy."""
    with store.read() as session:
        rows = service.search(
            session, who, status=status or [], emergency_id=emergency_id, agency=agency
        )
        return service.to_read(rows, Directory(session))


@router.get("/{shelter_id}", response_model=ShelterRead)
def get_shelter(shelter_id: RecordId, who: Who, store: StoreDep, response: Response) -> ShelterRead:
    with store.read() as session:
        body = service.read_one(session, service.get_public(session, who, shelter_id))
    response.headers["ETag"] = etag(body.version)
    return body


@router.patch("/{shelter_id}", response_model=ShelterRead)
def update_shelter(
    shelter_id: RecordId,
    body: ShelterUpdate,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> ShelterRead:
    with store.write() as uow:
        result = service.read_one(
            uow.session, service.update_shelter(uow, who, shelter_id, body, version)
        )
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/{shelter_id}/open", response_model=ShelterRead)
def open_shelter(shelter_id: RecordId, who: Who, store: StoreDep) -> ShelterRead:
    """Open a planned or closed shelter: it takes people from now on (full if it has no room)."""
    with store.write() as uow:
        return service.read_one(uow.session, service.transition(uow, who, shelter_id, "open"))


@router.post("/{shelter_id}/close", response_model=ShelterRead)
def close_shelter(shelter_id: RecordId, who: Who, store: StoreDep) -> ShelterRead:
    """Close a shelter: nobody more is checked in or sent there; those inside may check out."""
    with store.write() as uow:
        return service.read_one(uow.session, service.transition(uow, who, shelter_id, "closed"))


@router.post("/{shelter_id}/check-ins", response_model=HouseholdRead)
def check_in(shelter_id: RecordId, body: CheckIn, who: Who, store: StoreDep) -> HouseholdRead:
    """Check a whole household in; refused (409) when the shelter is not open or has no room
    for all of it, and nothing is stored then."""
    with store.write() as uow:
        household = desk.check_in(uow, who, shelter_id, body.household_id)
        return hh.read_one(uow.session, who, household)


@router.post("/{shelter_id}/check-outs", response_model=HouseholdRead)
def check_out(shelter_id: RecordId, body: CheckIn, who: Who, store: StoreDep) -> HouseholdRead:
    with store.write() as uow:
        household = desk.check_out(uow, who, shelter_id, body.household_id)
        return hh.read_one(uow.session, who, household)
