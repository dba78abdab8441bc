"""Tables of the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base


class EventRow(Base):
    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    # True when every signed-in user may see it (reference data); else see event_audience.
    public: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]]


class EventAudienceRow(Base):
    __tablename__ = "event_audience"

    seq: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("events.seq", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class EventHead(Base):
    """One row holding the last sequence number handed out.

    Taking it with UPDATE ... RETURNING locks it until commit, so sequence numbers are handed out
    and committed in order, and a rolled-back transaction gives its numbers back: no gaps.
    """

    __tablename__ = "event_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
