"""Unit and assignment tables, and the API's unit schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.incidents.models import AgencyCode, ClassificationName, Lat, Lon
from tansiq.schemas import MAX_ID, StrictModel
from tansiq.store.base import Base, utcnow


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OUT_OF_SERVICE = "out_of_service"
    OFF_DUTY = "off_duty"


ASSIGNED_STATUSES = frozenset({UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE})
FREE_STATUSES = frozenset({UnitStatus.AVAILABLE, UnitStatus.OUT_OF_SERVICE, UnitStatus.OFF_DUTY})


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    callsign: Mapped[str] = mapped_column(String(64), unique=True)
    type_code: Mapped[str] = mapped_column(ForeignKey("unit_types.code"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=UnitStatus.AVAILABLE)
    classification: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    heading: Mapped[float | None]
    speed: Mapped[float | None]
    position_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitShare(Base):
    __tablename__ = "unit_shares"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True, index=True)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        # The database itself refuses a second active assignment of a unit, whatever the race.
        Index(
            "uq_assignments_active_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None]
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What dispatch predicted when the unit was sent, and when it set off and arrived: response
    # times, and how good the predictions are.
    predicted_eta_s: Mapped[float | None]
    eta_method: Mapped[str | None] = mapped_column(String(16))
    en_route_at: Mapped[datetime | None]
    on_scene_at: Mapped[datetime | None]


class UnitPosition(Base):
    """A unit's track: every fix that moved it, with its place on the road network if known."""

    __tablename__ = "unit_positions"
    __table_args__ = (Index("ix_unit_positions_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    heading: Mapped[float | None]
    speed: Mapped[float | None]
    road_network: Mapped[int | None]  # the network version road_edge refers to
    road_edge: Mapped[int | None]
    road_fraction: Mapped[float | None]
    road_offset_m: Mapped[float | None]
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# --- API schemas -------------------------------------------------------------------------------


class UnitCreate(StrictModel):
    callsign: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    agency: AgencyCode | None = None
    classification: ClassificationName = "restricted"
    share_with: list[AgencyCode] = Field(default_factory=list, max_length=50)
    lat: Lat | None = None
    lon: Lon | None = None


class UnitUpdate(StrictModel):
    callsign: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    classification: ClassificationName | None = None


class UnitStatusReport(StrictModel):
    status: UnitStatus


class PositionReport(BaseModel):
    # Numbers and a time only: the NUL-character check of StrictModel has no string to guard
    # here and costs a Python call per field of the busiest payload there is.
    model_config = ConfigDict(extra="forbid")

    lat: Lat
    lon: Lon
    at: datetime | None = Field(None, description="When the fix was taken; now if absent")
    heading: Annotated[float, Field(ge=0, lt=360, allow_inf_nan=False)] | None = None
    speed: Annotated[float, Field(ge=0, le=400, allow_inf_nan=False)] | None = Field(
        None, description="metres per second"
    )


MAX_BATCH = 5000  # rows per batch request; a bigger backlog is sent as several


class BatchFix(PositionReport):
    """One row of a batch: a fix and the unit it belongs to."""

    unit_id: int = Field(ge=1, le=MAX_ID)


class PositionBatch(BaseModel):
    # The shape alone: rows are checked one by one in units.batches, so one bad row cannot sink
    # the rest (and no recursive NUL scan: every row is validated as numbers and a time there).
    model_config = ConfigDict(extra="forbid")

    positions: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class PositionRows(BaseModel):
    """A batch whose rows are all well-formed: what the fast path reads the body as."""

    model_config = ConfigDict(extra="forbid")

    positions: list[BatchFix] = Field(min_length=1, max_length=MAX_BATCH)


class RowRejection(BaseModel):
    index: int
    errors: list[dict[str, Any]]


class PositionBatchResult(BaseModel):
    applied: int = Field(description="fixes that moved their unit")
    stale: int = Field(description="fixes older than their unit's newest: accepted, ignored")
    rejected: list[RowRejection]


class AssignRequest(StrictModel):
    unit_id: int = Field(ge=1, le=MAX_ID)


class AssignmentRead(BaseModel):
    id: int
    incident_id: int
    unit_id: int
    callsign: str
    assigned_at: datetime
    assigned_by: str
    released_at: datetime | None
    active: bool
    predicted_eta_s: float | None = Field(
        None, description="travel time dispatch predicted when the unit was sent, seconds"
    )
    eta_method: str | None = Field(None, description="road or straight_line")
    en_route_at: datetime | None = None
    on_scene_at: datetime | None = None
    travel_s: float | None = Field(None, description="arrival minus dispatch, seconds")
    eta_error_s: float | None = Field(
        None, description="actual minus predicted travel time (positive: later than predicted)"
    )


class UnitRead(BaseModel):
    id: int
    callsign: str
    type: str
    agency: str
    status: UnitStatus
    classification: str
    shared_with: list[str]
    lat: float | None
    lon: float | None
    heading: float | None
    speed: float | None
    position_at: datetime | None
    active_assignment: AssignmentRead | None
    version: int
    updated_at: datetime


class UnitPage(BaseModel):
    items: list[UnitRead]
    next_cursor: str | None
