"""API schemas for incident types and unit types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from tansiq.schemas import StrictModel

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{1,63}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Capability = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]


class IncidentTypeCreate(StrictModel):
    code: Code
    name_en: Name
    name_ar: Name
    lead_agency: Code
    default_priority: Annotated[int, Field(ge=1, le=4)] = 3


class IncidentTypeUpdate(StrictModel):
    name_en: Name | None = None
    name_ar: Name | None = None
    lead_agency: Code | None = None
    default_priority: Annotated[int, Field(ge=1, le=4)] | None = None
    active: bool | None = None


class IncidentTypeRead(BaseModel):
    code: str
    name_en: str
    name_ar: str
    lead_agency: str
    default_priority: int
    active: bool


class UnitTypeCreate(StrictModel):
    code: Code
    name_en: Name
    name_ar: Name
    capabilities: list[Capability] = Field(default_factory=list, max_length=32)


class UnitTypeUpdate(StrictModel):
    name_en: Name | None = None
    name_ar: Name | None = None
    capabilities: list[Capability] | None = Field(None, max_length=32)
    active: bool | None = None


class UnitTypeRead(BaseModel):
    code: str
    name_en: str
    name_ar: str
    capabilities: list[str]
    active: bool
