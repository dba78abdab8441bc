"""What a recommendation looks like on the wire."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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
