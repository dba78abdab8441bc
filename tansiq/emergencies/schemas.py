"""The API's emergency, deployment and campaign schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from tansiq.emergencies.models import EmergencyKind, EmergencyStatus, Severity
from tansiq.incidents.models import AgencyCode, ClassificationName
from tansiq.schemas import MAX_ID, StrictModel

Title = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Text300 = Annotated[str, StringConstraints(max_length=300)]
Text4k = Annotated[str, StringConstraints(max_length=4000)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Geometry = Annotated[
    dict[str, Any],
    Field(description="GeoJSON Polygon or MultiPolygon (or a Feature of one), WGS84"),
]


class AreaCreate(StrictModel):
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    geometry: Geometry
    valid_from: datetime | None = Field(None, description="forecast window start (open if absent)")
    valid_to: datetime | None = Field(None, description="forecast window end (open if absent)")


class EmergencyCreate(StrictModel):
    kind: EmergencyKind
    severity: Severity
    title: Title
    title_ar: Text300 = ""
    description: Text4k = ""
    lead_agency: AgencyCode | None = Field(None, description="Leading agency; yours by default")
    participating_agencies: list[AgencyCode] = Field(default_factory=list, max_length=50)
    classification: ClassificationName = "restricted"
    areas: list[AreaCreate] = Field(default_factory=list, max_length=50)


class EmergencyUpdate(StrictModel):
    kind: EmergencyKind | None = None
    severity: Severity | None = None
    title: Title | None = None
    title_ar: Text300 | None = None
    description: Text4k | None = None
    classification: ClassificationName | None = None


class EmergencyTransition(StrictModel):
    status: EmergencyStatus
    note: Text4k | None = None


class AgencyList(StrictModel):
    agencies: list[AgencyCode] = Field(min_length=1, max_length=50)


class IncidentLinks(StrictModel):
    incident_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=200)


class NoteCreate(StrictModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class CasualtyCreate(StrictModel):
    reported_at: datetime | None = Field(None, description="when the figures held; now if absent")
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    injured: Count = 0
    dead: Count = 0
    missing: Count = 0
    evacuated: Count = 0
    note: Text4k = ""


class AreaRead(BaseModel):
    id: int
    name: str
    geometry: dict[str, Any]
    bbox: list[float]
    valid_from: datetime | None
    valid_to: datetime | None


class EmergencyRead(BaseModel):
    id: int
    kind: EmergencyKind
    severity: Severity
    status: EmergencyStatus
    title: str
    title_ar: str
    description: str
    lead_agency: str
    participating_agencies: list[str]
    classification: str
    source: str
    source_ref: str | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None
    closed_at: datetime | None
    version: int
    areas: list[AreaRead]
    linked_incidents: int
    next_statuses: list[EmergencyStatus]


class EmergencyPage(BaseModel):
    items: list[EmergencyRead]
    next_cursor: str | None


class TimelineRead(BaseModel):
    id: int
    at: datetime
    kind: str
    author: str | None
    text: str
    data: dict[str, Any]


class CasualtyRead(BaseModel):
    id: int
    reported_at: datetime
    source: str
    injured: int
    dead: int
    missing: int
    evacuated: int
    note: str


class LinkedIncident(BaseModel):
    incident_id: int
    type: str
    status: str
    priority: int
    lat: float
    lon: float
    reported_at: datetime
    linked_at: datetime | None = None
    area_ids: list[int] = Field(default_factory=list, description="affected areas it lies in")


# --- deployments -------------------------------------------------------------------------------


class PointKind(StrEnum):
    AREA = "area"
    SHELTER = "shelter"
    ROAD = "road"


class ProposeRequest(StrictModel):
    units_per_point: Annotated[int, Field(ge=1, le=20)] = 1
    max_units: Annotated[int, Field(ge=1, le=500)] = 50
    points: list[PointKind] = Field(
        default_factory=lambda: list(PointKind), min_length=1, max_length=3
    )
    unit_types: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=20
    )


class ProposalItem(BaseModel):
    kind: PointKind
    ref: str
    label: str
    lat: float
    lon: float
    weight: float
    unit_id: int | None = Field(description="none when no unit was left for this point")
    callsign: str | None
    eta_s: float | None
    eta_method: str | None


class ProposalRead(BaseModel):
    id: int
    emergency_id: int
    status: str
    items: list[ProposalItem]
    unfilled_points: int = Field(description="standing points left without a unit")
    created_at: datetime
    decided_at: datetime | None


class AcceptRequest(StrictModel):
    items: list[Annotated[int, Field(ge=0, le=999)]] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="indexes of the items to accept; all items with a unit when absent",
    )


class DeploymentRead(BaseModel):
    id: int
    emergency_id: int
    proposal_id: int | None
    unit_id: int
    callsign: str
    point_kind: PointKind
    point_ref: str
    label: str
    lat: float
    lon: float
    eta_s: float | None
    eta_method: str | None
    deployed_at: datetime
    released_at: datetime | None
    active: bool
    unit_status: str
    unit_lat: float | None
    unit_lon: float | None
    unit_position_at: datetime | None
    distance_m: float | None = Field(description="from the unit's latest position to its post")
    at_post: bool
    on_incident_id: int | None = Field(description="incident the unit is assigned to, if any")


# --- campaigns ---------------------------------------------------------------------------------


class Channel(StrEnum):
    SMS = "sms"
    SOCIAL_MEDIA = "social_media"
    TV = "tv"
    RADIO = "radio"
    MOSQUES = "mosques"
    SCHOOLS = "schools"
    BILLBOARDS = "billboards"
    PRESS = "press"
    WEBSITE = "website"
    APP_PUSH = "app_push"
    COMMUNITY_EVENTS = "community_events"


class CampaignMessage(StrictModel):
    channel: Channel | None = None
    en: Annotated[str, StringConstraints(max_length=2000)] = ""
    ar: Annotated[str, StringConstraints(max_length=2000)] = ""


TypeCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class CampaignCreate(StrictModel):
    topic: Title
    topic_ar: Text300 = ""
    audience: Text300 = ""
    channels: list[Channel] = Field(min_length=1, max_length=len(Channel))
    areas: Geometry | None = None
    starts_at: datetime
    ends_at: datetime
    emergency_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    incident_types: list[TypeCode] = Field(default_factory=list, max_length=50)
    messages: list[CampaignMessage] = Field(default_factory=list, max_length=50)
    agency: AgencyCode | None = None
    classification: ClassificationName = "public"
    share_with: list[AgencyCode] = Field(default_factory=list, max_length=50)


class CampaignUpdate(StrictModel):
    topic: Title | None = None
    topic_ar: Text300 | None = None
    audience: Text300 | None = None
    channels: list[Channel] | None = Field(None, min_length=1, max_length=len(Channel))
    areas: Geometry | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    emergency_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    incident_types: list[TypeCode] | None = Field(None, max_length=50)
    messages: list[CampaignMessage] | None = Field(None, max_length=50)
    classification: ClassificationName | None = None


class CampaignRead(BaseModel):
    id: int
    topic: str
    topic_ar: str
    audience: str
    channels: list[Channel]
    areas: dict[str, Any] | None
    starts_at: datetime
    ends_at: datetime
    state: str = Field(description="planned, running or ended, at the time of reading")
    emergency_id: int | None
    incident_types: list[str]
    messages: list[CampaignMessage]
    agency: str
    classification: str
    shared_with: list[str]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class CampaignPage(BaseModel):
    items: list[CampaignRead]
    next_cursor: str | None
