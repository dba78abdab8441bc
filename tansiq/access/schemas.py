"""API schemas for tokens, users and agencies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from tansiq.access.models import AgencyKind, Role
from tansiq.schemas import StrictModel

Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]{1,63}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ClearanceName = Literal["public", "restricted", "confidential", "secret"]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class RefreshRequest(StrictModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class LogoutRequest(StrictModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None


class FeedTicket(BaseModel):
    ticket: str
    expires_in: int


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    agency: str
    clearance: ClearanceName
    language: str
    permissions: list[str]


class UserCreate(StrictModel):
    username: Username
    password: Annotated[str, StringConstraints(min_length=10, max_length=256)]
    display_name: Annotated[str, StringConstraints(max_length=200)] = ""
    role: Role
    agency: Code
    clearance: ClearanceName = "restricted"
    language: Literal["ar", "en"] = "ar"


class UserUpdate(StrictModel):
    display_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    role: Role | None = None
    agency: Code | None = None
    clearance: ClearanceName | None = None
    language: Literal["ar", "en"] | None = None
    disabled: bool | None = None
    password: Annotated[str, StringConstraints(min_length=10, max_length=256)] | None = None


class UserRead(BaseModel):
    username: str
    display_name: str
    role: Role
    agency: str
    clearance: ClearanceName
    language: str
    disabled: bool
    created_at: datetime


class AgencyCreate(StrictModel):
    code: Code
    name_en: Name
    name_ar: Name
    kind: AgencyKind = AgencyKind.SECTOR


class AgencyUpdate(StrictModel):
    name_en: Name | None = None
    name_ar: Name | None = None
    kind: AgencyKind | None = None
    active: bool | None = None


class AgencyRead(BaseModel):
    code: str
    name_en: str
    name_ar: str
    kind: AgencyKind
    active: bool


class LanguagePreference(StrictModel):
    language: Literal["ar", "en"] = Field(description="The console's language for this user")
