"""Shelter tables: the registry, the households registered for shelter, their members and stays.

The capacity rule is in the schema as well as in the service: `occupancy + reserved <= capacity`
is a CHECK constraint, so no code path (or hand-written SQL) can store an over-full shelter.
Occupancy counts persons checked in; `reserved` counts persons of households assigned to the
shelter and on their way, so a place promised to one household is not given to another.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base, utcnow


class ShelterStatus(StrEnum):
    PLANNED = "planned"  # prepared, not taking anyone yet
    OPEN = "open"  # taking people, has room
    FULL = "full"  # taking people, no room left (back to open when someone leaves)
    CLOSED = "closed"  # not taking anyone; those inside may still be checked out


class HouseholdStatus(StrEnum):
    REGISTERED = "registered"  # known, not yet sent anywhere
    ASSIGNED = "assigned"  # a place is held for it at a shelter
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"


# Facilities a shelter offers, and the needs a household may have; closed lists so that the
# console can show them in both languages and a shelter can be matched to a need.
FACILITIES = ("medical", "power", "accessibility", "water", "kitchen", "cooling", "family_rooms")
NEEDS = ("medical", "mobility", "infant", "elderly", "pregnancy")
AGE_BANDS = ("0-4", "5-17", "18-59", "60+")


class Shelter(Base):
    __tablename__ = "shelters"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("occupancy >= 0 AND reserved >= 0", name="counts_non_negative"),
        CheckConstraint("occupancy + reserved <= capacity", name="within_capacity"),
        Index("ix_shelters_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    occupancy: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    facilities: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default=ShelterStatus.PLANNED)
    # The managing agency runs the shelter and alone sees its evacuees' national ids.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    emergency_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergencies.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class Household(Base):
    """The minimum to shelter a family: who to call out, how many, and what they need."""

    __tablename__ = "shelter_households"
    __table_args__ = (
        CheckConstraint("size >= 1", name="size_positive"),
        Index("ix_shelter_households_status_shelter", "status", "shelter_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    head_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    needs: Mapped[list[str]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    national_id: Mapped[str | None] = mapped_column(String(32))
    # Where the household is evacuated from, to find its nearest shelter.
    origin_lat: Mapped[float | None] = mapped_column(Float)
    origin_lon: Mapped[float | None] = mapped_column(Float)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)  # registered it
    emergency_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergencies.id", ondelete="SET NULL"), index=True
    )
    shelter_id: Mapped[int | None] = mapped_column(ForeignKey("shelters.id"))
    status: Mapped[str] = mapped_column(String(16), default=HouseholdStatus.REGISTERED)
    assigned_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class HouseholdMember(Base):
    """Optional: a name and an age band, nothing more."""

    __tablename__ = "shelter_household_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("shelter_households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    age_band: Mapped[str] = mapped_column(String(8))


class Stay(Base):
    """One check-in of a household at a shelter, closed by its check-out."""

    __tablename__ = "shelter_stays"
    __table_args__ = (
        # A household is inside one shelter at most, whatever the interleaving of two desks.
        Index(
            "uq_shelter_stays_open_household",
            "household_id",
            unique=True,
            sqlite_where=text("checked_out_at IS NULL"),
            postgresql_where=text("checked_out_at IS NULL"),
        ),
        Index("ix_shelter_stays_shelter", "shelter_id", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("shelter_households.id", ondelete="CASCADE")
    )
    shelter_id: Mapped[int] = mapped_column(ForeignKey("shelters.id"))
    persons: Mapped[int] = mapped_column(Integer)
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_out_at: Mapped[datetime | None]
    checked_out_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
