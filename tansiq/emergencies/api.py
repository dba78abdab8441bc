"""Routes for emergencies: declare, change, stand down; areas, incidents, casualties, sitreps,
deployments. Changes need `emergencies:manage`; reading needs `records:read` and visibility."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from tansiq.access.directory import Directory
from tansiq.api.deps import IfMatch, SettingsDep, StoreDep, Who, etag
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit.service import record_reads
from tansiq.emergencies import campaigns, deployments, links, service, sitrep
from tansiq.emergencies import casualties as casualty
from tansiq.emergencies.models import EmergencyKind, EmergencyStatus
from tansiq.emergencies.schemas import (
    AcceptRequest,
    AgencyList,
    AreaCreate,
    AreaRead,
    CampaignCreate,
    CampaignPage,
    CampaignRead,
    CampaignUpdate,
    CasualtyCreate,
    CasualtyRead,
    Channel,
    DeploymentRead,
    EmergencyCreate,
    EmergencyPage,
    EmergencyRead,
    EmergencyTransition,
    EmergencyUpdate,
    IncidentLinks,
    LinkedIncident,
    NoteCreate,
    ProposalRead,
    ProposeRequest,
    TimelineRead,
)
from tansiq.errors import require_aware
from tansiq.schemas import MAX_ID, RecordId

router = APIRouter(prefix="/api/v1/emergencies", tags=["emergencies"], responses=PROBLEM_RESPONSES)


def _read(store: Any, who: Any, emergency_id: int, response: Response | None) -> EmergencyRead:
    with store.read() as session:
        emergency = service.get_visible(session, who, emergency_id)
        body = service.read_one(session, emergency)
    record_reads(store, "emergencies.read", "emergencies", [(body.id, emergency.classification)])
    if response is not None:
        response.headers["ETag"] = etag(body.version)
    return body


@router.post("", response_model=EmergencyRead, status_code=201)
def declare(body: EmergencyCreate, who: Who, store: StoreDep, response: Response) -> EmergencyRead:
    """Declare an emergency (as a draft, then activate it) with its areas and agencies."""
    with store.write() as uow:
        emergency = service.declare(uow, who, body)
        result = service.read_one(uow.session, emergency)
    response.headers["ETag"] = etag(result.version)
    response.headers["Location"] = f"/api/v1/emergencies/{result.id}"
    return result


@router.get("", response_model=EmergencyPage)
def list_emergencies(
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    status: Annotated[list[EmergencyStatus] | None, Query()] = None,
    kind: Annotated[list[EmergencyKind] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> EmergencyPage:
    """Emergencies you may see (led by your agency or with it participating), newest first."""
    with store.read() as session:
        rows, next_cursor = service.search(
            session,
            who,
            status=status or [],
            kind=[k.value for k in kind or []],
            limit=min(limit, settings.page_size_max),
            cursor=cursor,
        )
        page = EmergencyPage(
            items=service.to_read(session, rows, Directory(session)), next_cursor=next_cursor
        )
    record_reads(
        store, "emergencies.search_hit", "emergencies", [(e.id, e.classification) for e in rows]
    )
    return page


@router.get("/{emergency_id}", response_model=EmergencyRead)
def get_emergency(
    emergency_id: RecordId, who: Who, store: StoreDep, response: Response
) -> EmergencyRead:
    return _read(store, who, emergency_id, response)


@router.patch("/{emergency_id}", response_model=EmergencyRead)
def update_emergency(
    emergency_id: RecordId,
    body: EmergencyUpdate,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> EmergencyRead:
    """Change type, severity, titles or classification; send If-Match with the ETag you read."""
    with store.write() as uow:
        emergency = service.update(uow, who, emergency_id, body, version)
        result = service.read_one(uow.session, emergency)
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/{emergency_id}/transitions", response_model=EmergencyRead)
def transition(
    emergency_id: RecordId,
    body: EmergencyTransition,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> EmergencyRead:
    """Activate a draft, or stand the emergency down (`closed`), which releases deployments."""
    with store.write() as uow:
        emergency = service.transition(uow, who, emergency_id, body.status, body.note, version)
        result = service.read_one(uow.session, emergency)
    response.headers["ETag"] = etag(result.version)
    return result


@router.post("/{emergency_id}/participants", response_model=EmergencyRead)
def add_participants(
    emergency_id: RecordId, body: AgencyList, who: Who, store: StoreDep
) -> EmergencyRead:
    """Add participating agencies (lead agency only); they see the emergency from now on."""
    with store.write() as uow:
        e = service.add_participants(uow, who, emergency_id, body.agencies)
        return service.read_one(uow.session, e)


@router.delete("/{emergency_id}/participants/{agency}", response_model=EmergencyRead)
def remove_participant(
    emergency_id: RecordId, agency: str, who: Who, store: StoreDep
) -> EmergencyRead:
    with store.write() as uow:
        e = service.remove_participant(uow, who, emergency_id, agency)
        return service.read_one(uow.session, e)


# --- areas -------------------------------------------------------------------------------------


@router.post("/{emergency_id}/areas", response_model=AreaRead, status_code=201)
def add_area(emergency_id: RecordId, body: AreaCreate, who: Who, store: StoreDep) -> AreaRead:
    """Draw or import an affected area: a GeoJSON Polygon or MultiPolygon (or a Feature of one)
    in WGS84, with an optional forecast window. Empty, self-intersecting or out-of-range
    polygons are refused with the reason."""
    with store.write() as uow:
        return service.area_read(service.add_area(uow, who, emergency_id, body))


@router.delete("/{emergency_id}/areas/{area_id}", response_model=EmergencyRead)
def remove_area(
    emergency_id: RecordId, area_id: RecordId, who: Who, store: StoreDep
) -> EmergencyRead:
    with store.write() as uow:
        return service.read_one(uow.session, service.remove_area(uow, who, emergency_id, area_id))


@router.get(
    "/{emergency_id}/areas.geojson",
    response_class=Response,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def areas_geojson(emergency_id: RecordId, who: Who, store: StoreDep) -> Response:
    """The affected areas as a GeoJSON FeatureCollection (for GIS tools and map layers)."""
    body = _read(store, who, emergency_id, None)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": a.id,
                "geometry": a.geometry,
                "properties": {
                    "name": a.name,
                    "emergency_id": body.id,
                    "valid_from": a.valid_from.isoformat() if a.valid_from else None,
                    "valid_to": a.valid_to.isoformat() if a.valid_to else None,
                },
            }
            for a in body.areas
        ],
    }
    return Response(orjson.dumps(collection), media_type="application/geo+json")


# --- incidents ---------------------------------------------------------------------------------


@router.get("/{emergency_id}/incidents", response_model=list[LinkedIncident])
def linked(emergency_id: RecordId, who: Who, store: StoreDep) -> list[LinkedIncident]:
    with store.read() as session:
        return links.linked_incidents(session, who, emergency_id)


@router.post("/{emergency_id}/incidents")
def link(
    emergency_id: RecordId, body: IncidentLinks, who: Who, store: StoreDep
) -> dict[str, list[int]]:
    """Link incidents you may see; answers the ones newly linked."""
    with store.write() as uow:
        return {"linked": links.link(uow, who, emergency_id, body.incident_ids)}


@router.delete("/{emergency_id}/incidents/{incident_id}", response_model=EmergencyRead)
def unlink(
    emergency_id: RecordId, incident_id: RecordId, who: Who, store: StoreDep
) -> EmergencyRead:
    with store.write() as uow:
        return service.read_one(uow.session, links.unlink(uow, who, emergency_id, incident_id))


@router.get("/{emergency_id}/incident-suggestions", response_model=list[LinkedIncident])
def suggestions(emergency_id: RecordId, who: Who, store: StoreDep) -> list[LinkedIncident]:
    """Open incidents you may see inside an affected area and not yet linked."""
    with store.read() as session:
        return links.suggestions(session, who, emergency_id)


# --- timeline, casualties, sitrep --------------------------------------------------------------


@router.get("/{emergency_id}/timeline", response_model=list[TimelineRead])
def timeline(emergency_id: RecordId, who: Who, store: StoreDep) -> list[TimelineRead]:
    with store.read() as session:
        return service.timeline(session, who, emergency_id)


@router.post("/{emergency_id}/notes", response_model=TimelineRead, status_code=201)
def add_note(emergency_id: RecordId, body: NoteCreate, who: Who, store: StoreDep) -> TimelineRead:
    with store.write() as uow:
        entry = service.add_note(uow, who, emergency_id, body.text)
        return service.timeline_read(entry, Directory(uow.session))


@router.post("/{emergency_id}/casualties", response_model=CasualtyRead, status_code=201)
def report_casualties(
    emergency_id: RecordId, body: CasualtyCreate, who: Who, store: StoreDep
) -> CasualtyRead:
    """Figures from one source (hospital, civil defence, ...) at one time."""
    with store.write() as uow:
        return casualty.casualty_read(casualty.report_casualties(uow, who, emergency_id, body))


@router.get("/{emergency_id}/casualties", response_model=list[CasualtyRead])
def casualties(emergency_id: RecordId, who: Who, store: StoreDep) -> list[CasualtyRead]:
    with store.read() as session:
        return casualty.casualties(session, who, emergency_id)


@router.get(
    "/{emergency_id}/sitrep",
    response_model=sitrep.Sitrep,
    responses={
        200: {
            "description": "JSON by default; HTML or PDF with `format`",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def get_sitrep(
    emergency_id: RecordId,
    who: Who,
    store: StoreDep,
    format: Literal["json", "html", "pdf"] = "json",
    lang: Literal["ar", "en"] = "ar",
    as_of: datetime | None = None,
) -> Any:
    """The situation report as of a time (now by default): JSON, or for commanders HTML or PDF,
    in Arabic (right to left) or English."""
    require_aware("query", as_of=as_of)
    with store.read() as session:
        report = sitrep.build(session, who, emergency_id, as_of)
        classification = service.get_visible(session, who, emergency_id).classification
    record_reads(store, "emergencies.sitrep", "emergencies", [(emergency_id, classification)])
    if format == "json":
        return report
    html = sitrep.render_html(report, lang)
    if format == "html":
        return HTMLResponse(html)
    name = f"sitrep-{emergency_id}-{report.as_of:%Y%m%dT%H%MZ}-{lang}.pdf"
    return Response(
        sitrep.render_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- deployments -------------------------------------------------------------------------------


@router.post("/{emergency_id}/deployment-proposals", response_model=ProposalRead, status_code=201)
def propose(
    emergency_id: RecordId,
    body: ProposeRequest,
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
) -> ProposalRead:
    """Propose standing points (affected areas, open shelters, main road entries) and the
    quickest available units to fill them. Nothing moves until the proposal is accepted."""
    router_ = request.app.state.roads.current()
    with store.write() as uow:
        p = deployments.propose(
            uow, who, emergency_id, body, router_, settings.dispatch_straight_line_kmh
        )
        return deployments.proposal_read(p)


@router.get("/{emergency_id}/deployment-proposals", response_model=list[ProposalRead])
def proposals(emergency_id: RecordId, who: Who, store: StoreDep) -> list[ProposalRead]:
    with store.read() as session:
        return deployments.proposals(session, who, emergency_id)


@router.post(
    "/{emergency_id}/deployment-proposals/{proposal_id}/accept",
    response_model=list[DeploymentRead],
)
def accept(
    emergency_id: RecordId,
    proposal_id: RecordId,
    body: AcceptRequest,
    who: Who,
    store: StoreDep,
) -> list[DeploymentRead]:
    """Deploy the proposal's units (all, or the items chosen by index)."""
    with store.write() as uow:
        made = deployments.accept(uow, who, emergency_id, proposal_id, body)
        return deployments.deployment_reads(uow.session, who, made)


@router.post("/{emergency_id}/deployment-proposals/{proposal_id}/reject", status_code=204)
def reject(emergency_id: RecordId, proposal_id: RecordId, who: Who, store: StoreDep) -> Response:
    with store.write() as uow:
        deployments.reject(uow, who, emergency_id, proposal_id)
    return Response(status_code=204)


@router.get("/{emergency_id}/deployments", response_model=list[DeploymentRead])
def list_deployments(
    emergency_id: RecordId,
    who: Who,
    store: StoreDep,
    include_released: bool = False,
) -> list[DeploymentRead]:
    """Who stands where: active deployments with each unit's latest position."""
    with store.read() as session:
        return deployments.deployments(session, who, emergency_id, active_only=not include_released)


@router.post("/{emergency_id}/deployments/{deployment_id}/release", response_model=DeploymentRead)
def release(
    emergency_id: RecordId, deployment_id: RecordId, who: Who, store: StoreDep
) -> DeploymentRead:
    with store.write() as uow:
        d = deployments.release(uow, who, emergency_id, deployment_id)
        return deployments.deployment_reads(uow.session, who, [d])[0]


# --- campaigns ---------------------------------------------------------------------------------

campaigns_router = APIRouter(
    prefix="/api/v1/campaigns", tags=["campaigns"], responses=PROBLEM_RESPONSES
)


@campaigns_router.post("", response_model=CampaignRead, status_code=201)
def create_campaign(
    body: CampaignCreate, who: Who, store: StoreDep, response: Response
) -> CampaignRead:
    """Record an awareness campaign: topic, audience, areas, channels, period, messages."""
    with store.write() as uow:
        result = campaigns.read_one(uow.session, campaigns.create(uow, who, body))
    response.headers["ETag"] = etag(result.version)
    response.headers["Location"] = f"/api/v1/campaigns/{result.id}"
    return result


@campaigns_router.get("", response_model=CampaignPage)
def list_campaigns(
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    emergency_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    incident_type: Annotated[str | None, Query(max_length=64)] = None,
    channel: Channel | None = None,
    active_at: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> CampaignPage:
    require_aware("query", active_at=active_at)
    with store.read() as session:
        rows, next_cursor = campaigns.search(
            session,
            who,
            emergency_id=emergency_id,
            incident_type_code=incident_type,
            channel=channel,
            active_at=active_at,
            limit=min(limit, settings.page_size_max),
            cursor=cursor,
        )
        return CampaignPage(items=campaigns.to_read(session, rows), next_cursor=next_cursor)


@campaigns_router.get("/{campaign_id}", response_model=CampaignRead)
def get_campaign(
    campaign_id: RecordId, who: Who, store: StoreDep, response: Response
) -> CampaignRead:
    with store.read() as session:
        result = campaigns.read_one(session, campaigns.get_visible(session, who, campaign_id))
    response.headers["ETag"] = etag(result.version)
    return result


@campaigns_router.patch("/{campaign_id}", response_model=CampaignRead)
def update_campaign(
    campaign_id: RecordId,
    body: CampaignUpdate,
    who: Who,
    store: StoreDep,
    version: IfMatch,
    response: Response,
) -> CampaignRead:
    with store.write() as uow:
        c = campaigns.update(uow, who, campaign_id, body, version)
        result = campaigns.read_one(uow.session, c)
    response.headers["ETag"] = etag(result.version)
    return result


@campaigns_router.delete("/{campaign_id}", status_code=204)
def delete_campaign(campaign_id: RecordId, who: Who, store: StoreDep) -> Response:
    with store.write() as uow:
        campaigns.delete(uow, who, campaign_id)
    return Response(status_code=204)
