"""What the emergency domain reads from the shelters domain, if it is installed.

Shelters are their own domain (`tansiq.shelters`); its service provides
`summary(session, emergency_id)` with each shelter's name, capacity, occupancy and status (and
its location, for deployments). It is imported when first needed, so emergencies work, and say
that shelter figures are unavailable, on an installation without it. Nothing is estimated here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

OPEN_STATUSES = frozenset({"open", "full"})


@dataclass(frozen=True, slots=True)
class ShelterFigures:
    ref: str
    name: str
    capacity: int
    occupancy: int
    status: str
    lon: float | None
    lat: float | None


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def summary(session: Session, emergency_id: int) -> list[ShelterFigures] | None:
    """The shelters of an emergency, or None when the shelters domain is not installed."""
    try:
        service = importlib.import_module("tansiq.shelters.service")
    except ImportError:
        return None
    provide = getattr(service, "summary", None)
    if provide is None:
        return None
    out: list[ShelterFigures] = []
    for row in provide(session, emergency_id):
        lon, lat = _get(row, "lon"), _get(row, "lat")
        out.append(
            ShelterFigures(
                ref=str(_get(row, "id") or _get(row, "name")),
                name=str(_get(row, "name")),
                capacity=int(_get(row, "capacity") or 0),
                occupancy=int(_get(row, "occupancy") or 0),
                status=str(_get(row, "status")),
                lon=None if lon is None else float(lon),
                lat=None if lat is None else float(lat),
            )
        )
    return out


def open_shelters(session: Session, emergency_id: int) -> list[ShelterFigures]:
    """Open shelters with a known location (standing points for deployments)."""
    return [
        s
        for s in summary(session, emergency_id) or []
        if s.status in OPEN_STATUSES and s.lon is not None and s.lat is not None
    ]
