"""Route for dispatch recommendations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tansiq.api.deps import SettingsDep, StoreDep, Who
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.dispatch import service
from tansiq.dispatch.roads import Roads
from tansiq.dispatch.schemas import Recommendation
from tansiq.reference.schemas import Code
from tansiq.schemas import RecordId

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
