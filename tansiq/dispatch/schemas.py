"""What a recommendation looks like on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tansiq.reference.schemas import Code
from tansiq.schemas import StrictModel


class RecommendedUnit(BaseModel):
    unit_id: int
    callsign: str
    type: str
    agency: str
    eta_s: float = Field(description="estimated travel time to the incident, seconds")
    distance_m: float
    method: Literal["road", "straight_line"]
    route: dict[str, Any] = Field(description="GeoJSON LineString from the unit to the incident")


class SkippedUnit(BaseModel):
    """A candidate that could not be timed (for example, too far from any road)."""

    unit_id: int
    callsign: str
    code: str
    detail: str
    detail_ar: str


class Recommendation(BaseModel):
    incident_id: int
    method: Literal["road", "straight_line"] = Field(
        description="how road vehicles were timed; straight_line when no road network is "
        "loaded or the incident is not near a road (then `note` says which)"
    )
    note: str | None = None
    note_ar: str | None = None
    units: list[RecommendedUnit]
    skipped: list[SkippedUnit]


class DispatchRequest(StrictModel):
    unit_type: list[Code] = Field(
        default_factory=list, max_length=20, description="only these unit types (default: by need)"
    )


class Percentiles(BaseModel):
    n: int = Field(description="how many values the percentiles are over")
    p50: float | None
    p90: float | None


class KpiGroup(BaseModel):
    key: dict[str, str] = Field(description="the group's value of each dimension asked for")
    incidents: int = Field(description="incidents reported in the period")
    dispatched: int = Field(description="of which a unit was sent to")
    arrived: int = Field(description="of which a unit reached")
    call_to_dispatch_s: Percentiles
    dispatch_to_arrival_s: Percentiles
    total_response_s: Percentiles
    eta_error_s: Percentiles = Field(
        description="per arrived assignment: actual minus predicted travel time (bias)"
    )
    eta_abs_error_s: Percentiles


class KpiReport(BaseModel):
    start: datetime
    end: datetime
    by: list[str]
    groups: list[KpiGroup]
