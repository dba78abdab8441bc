"""The incident lifecycle: which status may follow which."""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    REPORTED = "reported"
    ACKNOWLEDGED = "acknowledged"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = IncidentStatus
OPEN_STATUSES = frozenset({S.REPORTED, S.ACKNOWLEDGED, S.DISPATCHED, S.ON_SCENE})
ACTIVE_STATUSES = OPEN_STATUSES | {S.RESOLVED}  # not yet closed or cancelled

_NEXT: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.REPORTED: frozenset({S.ACKNOWLEDGED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.DISPATCHED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.ON_SCENE, S.CANCELLED}),
    S.ON_SCENE: frozenset({S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# The column that records when an incident entered each status (response-time KPIs read them).
TIMESTAMP_COLUMN: dict[IncidentStatus, str] = {
    S.ACKNOWLEDGED: "acknowledged_at",
    S.DISPATCHED: "dispatched_at",
    S.ON_SCENE: "on_scene_at",
    S.RESOLVED: "resolved_at",
    S.CLOSED: "closed_at",
    S.CANCELLED: "cancelled_at",
}


def allowed(current: IncidentStatus, target: IncidentStatus) -> bool:
    return target in _NEXT[current]


def next_statuses(current: IncidentStatus) -> list[IncidentStatus]:
    return sorted(_NEXT[current], key=list(IncidentStatus).index)
