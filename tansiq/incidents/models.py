"""Incident tables and the API's incident schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.incidents.lifecycle import IncidentStatus
from tansiq.schemas import StrictModel
from tansiq.store.base import Base, utcnow

ClassificationName = Annotated[str, Field(pattern="^(public|restricted|confidential|secret)$")]
AgencyCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Text4k = Annotated[str, StringConstraints(max_length=4000)]


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_reported", "reported_at", "id"),
        Index("ix_incidents_status_agency", "status", "agency_id"),
        Index("ix_incidents_lat_lon", "lat", "lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("incident_types.code"), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.REPORTED)
    lat: Mapped[float]
    lon: Mapped[float]
    address: Mapped[str | None] = mapped_column(String(500))
    area: Mapped[str | None] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    classification: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    on_scene_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Folded (Arabic-normalised, case-folded) text of the searchable fields.
    search_text: Mapped[str] = mapped_column(Text, default="")


class IncidentShare(Base):
    __tablename__ = "incident_shares"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class TimelineEntry(Base):
    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # note, status, update, share, assignment
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- API schemas -------------------------------------------------------------------------------


class IncidentCreate(StrictModel):
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    priority: Annotated[int, Field(ge=1, le=4)] | None = None
    lat: Lat
    lon: Lon
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    area: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Text4k = ""
    agency: AgencyCode | None = Field(None, description="Reporting agency; yours by default")
    classification: ClassificationName = "restricted"
    share_with: list[AgencyCode] = Field(default_factory=list, max_length=50)


class IncidentUpdate(StrictModel):
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    priority: Annotated[int, Field(ge=1, le=4)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    area: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Text4k | None = None
    classification: ClassificationName | None = None


class TransitionRequest(StrictModel):
    status: IncidentStatus
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None


class NoteCreate(StrictModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class ShareRequest(StrictModel):
    agencies: list[AgencyCode] = Field(min_length=1, max_length=50)


class IncidentRead(BaseModel):
    id: int
    type: str
    priority: int
    status: IncidentStatus
    lat: float
    lon: float
    address: str | None
    area: str | None
    description: str
    agency: str
    classification: str
    shared_with: list[str]
    created_by: str
    reported_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    dispatched_at: datetime | None
    on_scene_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    version: int
    next_statuses: list[IncidentStatus]


class TimelineRead(BaseModel):
    id: int
    at: datetime
    kind: str
    author: str
    text: str
    data: dict[str, Any]


class IncidentPage(BaseModel):
    items: list[IncidentRead]
    next_cursor: str | None
