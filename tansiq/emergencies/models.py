"""Emergency tables: the event, its affected areas, linked incidents, timeline, casualties,
deployment proposals and the units deployed to standing points, and awareness campaigns.

Table names and `emergencies.id` are a contract: shelters reference them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base, JSONType, utcnow


class EmergencyKind(StrEnum):
    HEAVY_RAIN = "heavy_rain"
    FLOOD = "flood"
    FIRE = "fire"
    SANDSTORM = "sandstorm"
    HAZMAT = "hazardous_material"
    EARTHQUAKE = "earthquake"
    HEATWAVE = "heatwave"
    BUILDING_COLLAPSE = "building_collapse"
    OTHER = "other"


class Severity(StrEnum):
    """CAP's severity scale, so imported alerts keep their meaning."""

    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"
    EXTREME = "extreme"


SEVERITY_WEIGHT = {
    Severity.MINOR: 1.0,
    Severity.MODERATE: 2.0,
    Severity.SEVERE: 3.0,
    Severity.EXTREME: 4.0,
}


class EmergencyStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Emergency(Base):
    __tablename__ = "emergencies"
    __table_args__ = (Index("ix_emergencies_status_agency", "status", "agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=EmergencyStatus.DRAFT)
    title: Mapped[str] = mapped_column(String(300))
    title_ar: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # The lead agency owns the record; participating agencies are its shares.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    classification: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(32), default="manual")  # manual, cap, ...
    source_ref: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class EmergencyShare(Base):
    """A participating agency: it sees the emergency and what is linked to it."""

    __tablename__ = "emergency_shares"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("emergencies.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AffectedArea(Base):
    """A polygon or multipolygon (GeoJSON, WGS84) with its bounding box for SQL prefiltering."""

    __tablename__ = "emergency_areas"
    __table_args__ = (Index("ix_emergency_areas_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    emergency_id: Mapped[int] = mapped_column(
        ForeignKey("emergencies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    geojson: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    # Forecast window: when the area is expected to be affected (open-ended when null).
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EmergencyIncident(Base):
    __tablename__ = "emergency_incidents"

    emergency_id: Mapped[int] = mapped_column(
        ForeignKey("emergencies.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EmergencyTimeline(Base):
    __tablename__ = "emergency_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    emergency_id: Mapped[int] = mapped_column(
        ForeignKey("emergencies.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # status, update, note, area, link, unlink, casualties, deployment, share
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CasualtyReport(Base):
    """Figures reported at a time by a source; the sitrep takes the latest per source."""

    __tablename__ = "emergency_casualties"
    __table_args__ = (Index("ix_emergency_casualties_em_at", "emergency_id", "reported_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id", ondelete="CASCADE"))
    reported_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))
    injured: Mapped[int] = mapped_column(Integer, default=0)
    dead: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    evacuated: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class DeploymentProposal(Base):
    __tablename__ = "deployment_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    emergency_id: Mapped[int] = mapped_column(
        ForeignKey("emergencies.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PROPOSED)
    # [{"kind", "ref", "label", "lat", "lon", "weight", "unit_id", "eta_s", "eta_method"}, ...]
    items: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DeploymentStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


class Deployment(Base):
    """One unit ordered to stand at one point for an emergency.

    A standing point is not an incident, so a deployment is not an incident assignment: the unit
    stays available (dispatch can still send it from its post to a nearby incident) and the
    database allows one active deployment per unit.
    """

    __tablename__ = "deployments"
    __table_args__ = (
        Index(
            "uq_deployments_active_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    emergency_id: Mapped[int] = mapped_column(
        ForeignKey("emergencies.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("deployment_proposals.id", ondelete="SET NULL")
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    point_kind: Mapped[str] = mapped_column(String(16))  # area, shelter, road
    point_ref: Mapped[str] = mapped_column(String(64), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    eta_s: Mapped[float | None] = mapped_column(Float)
    eta_method: Mapped[str | None] = mapped_column(String(16))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None]
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Campaign(Base):
    """A public-awareness campaign: what was said, to whom, where, how and when."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_period", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(300))
    topic_ar: Mapped[str] = mapped_column(String(300), default="")
    audience: Mapped[str] = mapped_column(String(300), default="")
    channels: Mapped[list[str]] = mapped_column(default=list)
    areas_geojson: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    emergency_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergencies.id", ondelete="SET NULL"), index=True
    )
    incident_types: Mapped[list[str]] = mapped_column(default=list)
    messages: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # [{"channel", "en", "ar"}]
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    classification: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class CampaignShare(Base):
    __tablename__ = "campaign_shares"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
