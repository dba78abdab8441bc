"""Tables of public alerts (authored here) and of CAP alerts imported from outside."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base, utcnow


class AlertState(StrEnum):
    """Where an alert is on its way to the public."""

    DRAFT = "draft"
    PENDING = "pending"  # submitted, waiting for a supervisor
    PUBLISHED = "published"  # approved: the CAP document is public and never changes
    REJECTED = "rejected"  # sent back by the supervisor; editing makes it a draft again


class Alert(Base):
    """One CAP message (Alert, Update or Cancel) from draft to publication.

    `content` holds what the author wrote (texts in both languages, areas, categories); the
    published CAP document is built from it once, validated against the CAP 1.2 schema and kept
    in `document` exactly as it is served.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_state_sent", "state", "sent_at"),
        Index("ix_alerts_agency_state", "agency_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(160), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    classification: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=AlertState.DRAFT)
    msg_type: Mapped[str] = mapped_column(String(8))
    cap_status: Mapped[str] = mapped_column(String(10))
    references_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    content: Mapped[dict[str, Any]]
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(255))  # as published (settings may change)
    sent_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    document: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class CapImport(Base):
    """A CAP alert received from outside, kept as it came; one row per (sender, identifier, sent),
    the triple CAP itself uses to name a message."""

    __tablename__ = "cap_imports"
    __table_args__ = (UniqueConstraint("sender", "identifier", "sent", name="uq_cap_imports_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    sender: Mapped[str] = mapped_column(String(255))
    identifier: Mapped[str] = mapped_column(String(255))
    sent: Mapped[str] = mapped_column(String(40))  # as written in the document
    sent_at: Mapped[datetime]
    msg_type: Mapped[str] = mapped_column(String(8))
    cap_status: Mapped[str] = mapped_column(String(10))
    summary: Mapped[dict[str, Any]]
    document: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The draft emergency made from it, when the emergency domain is there to make one.
    emergency_id: Mapped[int | None] = mapped_column(Integer)
