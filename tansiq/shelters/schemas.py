"""The API's shelter and household schemas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from tansiq.schemas import MAX_ID, StrictModel
from tansiq.shelters.models import AGE_BANDS, HouseholdStatus, ShelterStatus

Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
AgencyCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Facility = Literal[
    "medical", "power", "accessibility", "water", "kitchen", "cooling", "family_rooms"
]
Need = Literal["medical", "mobility", "infant", "elderly", "pregnancy"]
AgeBand = Literal["0-4", "5-17", "18-59", "60+"]
Capacity = Annotated[int, Field(ge=0, le=1_000_000)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Households are small; a larger group registers as several households.
Size = Annotated[int, Field(ge=1, le=50)]
Phone = Annotated[str, StringConstraints(min_length=3, max_length=32, pattern=r"^\+?[0-9 ()-]+$")]
NationalId = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z-]+$")
]

assert set(AgeBand.__args__) == set(AGE_BANDS)  # type: ignore[attr-defined]


class ShelterCreate(StrictModel):
    name: Name
    name_ar: Annotated[str, StringConstraints(max_length=200)] = ""
    address: Annotated[str, StringConstraints(max_length=500)] = ""
    lat: Lat
    lon: Lon
    capacity: Capacity
    facilities: list[Facility] = Field(default_factory=list, max_length=20)
    agency: AgencyCode | None = Field(None, description="Managing agency; yours by default")
    emergency_id: Id | None = None
    status: Literal["planned", "open"] = "planned"


class ShelterUpdate(StrictModel):
    name: Name | None = None
    name_ar: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    capacity: Capacity | None = None
    facilities: list[Facility] | None = Field(None, max_length=20)
    emergency_id: Id | None = None


class ShelterRead(BaseModel):
    id: int
    name: str
    name_ar: str
    address: str
    lat: float
    lon: float
    capacity: int
    occupancy: int
    reserved: int
    available: int
    facilities: list[str]
    status: ShelterStatus
    agency: str
    emergency_id: int | None
    created_at: datetime
    updated_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class ShelterSummary:
    """A shelter's figures for an emergency's situation report."""

    id: int
    name: str
    status: str
    capacity: int
    occupancy: int
    reserved: int
    lat: float
    lon: float


class MemberIn(StrictModel):
    name: Name
    age_band: AgeBand


class HouseholdCreate(StrictModel):
    reference: (
        Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_.-]+$")]
        | None
    ) = Field(None, description="The desk's own code; generated when left out")
    size: Size
    head_name: Name
    phone: Phone | None = None
    needs: list[Need] = Field(default_factory=list, max_length=5)
    note: Annotated[str, StringConstraints(max_length=500)] = ""
    national_id: NationalId | None = Field(
        None, description="Optional; only the shelter's managing agency ever sees it"
    )
    members: list[MemberIn] = Field(default_factory=list, max_length=50)
    origin_lat: Lat | None = None
    origin_lon: Lon | None = None
    emergency_id: Id | None = None


class HouseholdUpdate(StrictModel):
    size: Size | None = None
    head_name: Name | None = None
    phone: Phone | None = None
    needs: list[Need] | None = Field(None, max_length=5)
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    national_id: NationalId | None = None
    origin_lat: Lat | None = None
    origin_lon: Lon | None = None


class MemberRead(BaseModel):
    name: str
    age_band: str


class HouseholdRead(BaseModel):
    id: int
    reference: str
    size: int
    head_name: str
    phone: str | None
    needs: list[str]
    note: str
    national_id: str | None = Field(
        None, description="Shown to the managing agency of the household's shelter only"
    )
    members: list[MemberRead]
    origin_lat: float | None
    origin_lon: float | None
    agency: str
    emergency_id: int | None
    shelter_id: int | None
    status: HouseholdStatus
    assigned_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    created_at: datetime
    version: int


class CheckIn(StrictModel):
    household_id: Id


class AssignRequest(StrictModel):
    lat: Lat | None = Field(
        None, description="Where to look from; the household's origin if left out"
    )
    lon: Lon | None = None


class AssignmentRead(BaseModel):
    household_id: int
    shelter_id: int
    shelter_name: str
    travel_s: float
    distance_m: float | None
    method: Literal["road", "straight_line"]
    household: HouseholdRead


class BulkAssignRequest(StrictModel):
    household_ids: list[Id] = Field(min_length=1, max_length=20_000)
    planner: Literal["optimal", "optimal_lp", "greedy"] = "optimal"


class BulkAssignmentRead(BaseModel):
    planner: str
    method: Literal["road", "straight_line", "mixed"]
    assigned: dict[int, int] = Field(description="household id -> shelter id")
    unplaced: list[int]
    total_person_seconds: float
    lower_bound_person_seconds: float | None
    gap: float | None


class HouseholdPage(BaseModel):
    items: list[HouseholdRead]
    next_cursor: str | None
