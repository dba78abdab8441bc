"""The stored road network: one row holding the built graph as a compressed blob.

Kept in the database rather than a file so every server process and node loads the same
network, and so a re-import replaces it in one transaction (a reader sees the old network or the
new one, never half of each).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tansiq.store.base import Base, utcnow


class RoadNetworkRow(Base):
    __tablename__ = "road_networks"

    # A new id per import: servers compare it with the one they hold to know when to reload.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    format_version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]]
    data: Mapped[bytes] = mapped_column(LargeBinary)
