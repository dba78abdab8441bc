"""Route for dispatch recommendations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from tansiq.access.directory import Directory
from tansiq.api.deps import SettingsDep, StoreDep, Who
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.dispatch import kpis, service
from tansiq.dispatch.roads import Roads
from tansiq.dispatch.schemas import DispatchRequest, KpiReport, Recommendation
from tansiq.errors import require_aware
from tansiq.reference.schemas import Code
from tansiq.schemas import RecordId
from tansiq.store.base import utcnow
from tansiq.units.models import AssignmentRead, Unit
from tansiq.units.service import assignment_read

router = APIRouter(prefix="/api/v1/incidents", tags=["dispatch"], responses=PROBLEM_RESPONSES)


@router.get("/{incident_id}/recommendations", response_model=Recommendation)
def recommendations(
    incident_id: RecordId,
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
    k: Annotated[int, Query(ge=1, le=50, description="how many units")] = 5,
    unit_type: Annotated[
        list[Code], Query(max_length=20, description="only these unit types (default: by need)")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
) -> Recommendation:
    """The available units that suit the incident, quickest first, with travel time, distance
    and route. Assign one with POST /api/v1/incidents/{id}/assignments."""
    roads: Roads = request.app.state.roads
    with store.read() as session:
        return service.recommend(
            session,
            who,
            incident_id,
            roads.current(),
            k=k,
            unit_types=unit_type,
            fallback_kmh=settings.dispatch_straight_line_kmh,
        )


@router.post("/{incident_id}/dispatch", response_model=AssignmentRead, status_code=201)
def dispatch_best(
    incident_id: RecordId,
    body: DispatchRequest,
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
) -> AssignmentRead:
    """Assign the quickest suitable available unit in one step (the first of the
    recommendations); the predicted travel time is kept to compare with the arrival."""
    roads: Roads = request.app.state.roads
    with store.write() as uow:
        a = service.dispatch_best(
            uow,
            who,
            incident_id,
            roads.current(),
            unit_types=body.unit_type,
            fallback_kmh=settings.dispatch_straight_line_kmh,
        )
        unit = uow.session.get(Unit, a.unit_id)
        assert unit is not None
        return assignment_read(a, unit.callsign, Directory(uow.session))


kpi_router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"], responses=PROBLEM_RESPONSES)


@kpi_router.get("/kpis", response_model=KpiReport)
def response_kpis(
    who: Who,
    store: StoreDep,
    start: Annotated[
        datetime | None, Query(alias="from", description="default: 30 days ago")
    ] = None,
    end: Annotated[datetime | None, Query(alias="to", description="default: now")] = None,
    by: Annotated[list[kpis.Dimension], Query(max_length=4)] = [],  # noqa: B006
    agency: Annotated[list[Code], Query(max_length=50)] = [],  # noqa: B006
    type: Annotated[list[Code], Query(max_length=50)] = [],  # noqa: B006
    priority: Annotated[list[Annotated[int, Query(ge=1, le=4)]], Query()] = [],  # noqa: B006
    area: Annotated[list[Annotated[str, Query(max_length=200)]], Query(max_length=50)] = [],  # noqa: B006
) -> KpiReport:
    """Call-to-dispatch, dispatch-to-arrival and total response time (p50, p90) of the incidents
    reported in [from, to), grouped by any of agency, type, priority and area, with the error of
    the ETAs predicted at dispatch. Counts only the incidents the caller may see."""
    require_aware("query", **{"from": start, "to": end})
    end = end or utcnow()
    start = start or end - timedelta(days=30)
    with store.read() as session:
        return kpis.report(
            session,
            who,
            start,
            end,
            by=list(dict.fromkeys(by)),
            agency=agency,
            type_=type,
            priority=priority,
            area=area,
        )
