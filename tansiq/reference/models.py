"""Incident types and unit types, and their API schemas."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base


class IncidentType(Base):
    __tablename__ = "incident_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200))
    # The agency that normally leads such an incident; it groups types in lists and forms.
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    default_priority: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(default=True)


class UnitType(Base):
    __tablename__ = "unit_types"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200))
    # What a unit of this type can do (firefighting, marine_rescue, ...): dispatch filters on it.
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
