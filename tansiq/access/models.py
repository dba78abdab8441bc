"""Agencies, users and revoked tokens; the enumerations access is decided on."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DISPATCHER = "dispatcher"
    FIELD_UNIT = "field_unit"
    ANALYST = "analyst"
    LIAISON = "liaison"
    VIEWER = "viewer"


class Clearance(IntEnum):
    """Clearance of a user and classification of a record share one ordered scale."""

    PUBLIC = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int) -> Clearance:
        if isinstance(value, int):
            return cls(value)
        return cls[value.upper()]


class AgencyKind(StrEnum):
    SECTOR = "sector"  # a sector of the ministry of interior
    ARMY = "army"
    JOINT_ROOM = "joint_room"
    PARTNER = "partner"  # regional and international partners


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_ar: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default=AgencyKind.SECTOR)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    clearance: Mapped[int] = mapped_column(Integer, default=Clearance.RESTRICTED)
    language: Mapped[str] = mapped_column(String(2), default="ar")
    disabled: Mapped[bool] = mapped_column(default=False)
    # Raised whenever the user's access changes; tokens carry the value they were issued under.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(Base):
    """Failed sign-ins per account and per client address, and the lockout they lead to."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "user:<name>", "addr:<ip>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]
