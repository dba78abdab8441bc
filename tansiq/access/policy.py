"""Who may do what, and who may see which record.

The visibility rule, in one place: a user sees a record when their clearance covers its
classification and their agency owns it or it was shared with their agency (the joint operations
room is an agency like any other: it sees what was shared with it). Lists, searches, counts and
the feed all use `visible()` inside their queries; a record outside it answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from tansiq.access.models import Clearance, Role
from tansiq.errors import not_found
from tansiq.events.types import Audience

T = TypeVar("T")


class Permission(StrEnum):
    READ = "records:read"
    INCIDENT_CREATE = "incidents:create"
    INCIDENT_UPDATE = "incidents:update"
    INCIDENT_TRANSITION = "incidents:transition"
    INCIDENT_NOTE = "incidents:note"
    SHARE = "records:share"
    ASSIGN = "units:assign"
    UNIT_MANAGE = "units:manage"
    UNIT_REPORT = "units:report"
    REFERENCE_ADMIN = "reference:admin"
    USER_ADMIN = "users:admin"
    USER_LIST = "users:list"
    AUDIT_READ = "audit:read"
    ANALYTICS = "analytics:read"
    EMERGENCY_MANAGE = "emergencies:manage"
    SHELTER_DESK = "shelters:desk"
    ALERT_AUTHOR = "alerts:author"
    ALERT_APPROVE = "alerts:approve"


_P = Permission
_DISPATCH = {
    _P.READ,
    _P.INCIDENT_CREATE,
    _P.INCIDENT_UPDATE,
    _P.INCIDENT_TRANSITION,
    _P.INCIDENT_NOTE,
    _P.SHARE,
    _P.ASSIGN,
    _P.UNIT_MANAGE,
    _P.UNIT_REPORT,
}
_EMERGENCY = {_P.EMERGENCY_MANAGE, _P.SHELTER_DESK, _P.ALERT_AUTHOR}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Supervisors plan patrols from the risk maps; dispatchers and liaison officers do not get
    # analytics: aggregate maps over everything an agency sees are a planning tool, not part of
    # answering a call or coordinating one, so they stay with the roles that plan and analyse.
    # Emergencies are run from the operations room: dispatchers declare them, staff shelter desks
    # and draft public alerts; only a supervisor approves an alert for publication.
    Role.SUPERVISOR: frozenset(
        _DISPATCH | _EMERGENCY | {_P.USER_LIST, _P.AUDIT_READ, _P.ANALYTICS, _P.ALERT_APPROVE}
    ),
    Role.DISPATCHER: frozenset(_DISPATCH | _EMERGENCY),
    # A patrol reports what it finds, moves its incident on and reports its own state.
    Role.FIELD_UNIT: frozenset(
        {
            _P.READ,
            _P.INCIDENT_CREATE,
            _P.INCIDENT_NOTE,
            _P.INCIDENT_TRANSITION,
            _P.UNIT_REPORT,
            _P.SHELTER_DESK,  # police at a shelter's door check evacuees in and out
        }
    ),
    Role.LIAISON: frozenset({_P.READ, _P.INCIDENT_NOTE, _P.SHARE}),
    Role.ANALYST: frozenset({_P.READ, _P.ANALYTICS}),
    Role.VIEWER: frozenset({_P.READ}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting user as every service sees it."""

    user_id: int
    username: str
    role: Role
    agency_id: int
    clearance: Clearance

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees(self, audience: Audience) -> bool:
        return audience.admits(self.agency_id, self.clearance)


def visible(model: Any, share_model: Any, who: Principal) -> ColumnElement[bool]:
    """SQL condition: rows of `model` (with `agency_id`, `classification`) `who` may see."""
    return and_(
        model.classification <= int(who.clearance),
        or_(
            model.agency_id == who.agency_id,
            exists().where(
                share_model.record_id == model.id, share_model.agency_id == who.agency_id
            ),
        ),
    )


def load_visible(
    session: Session,
    model: type[T],
    share_model: Any,
    who: Principal,
    record_id: int,
    *,
    lock: bool = False,
) -> T:
    """One record if `who` may see it (locked for update if asked); 404 if missing or hidden."""
    stmt = select(model).where(
        model.id == record_id,  # type: ignore[attr-defined]
        visible(model, share_model, who),
    )
    if lock:
        stmt = stmt.with_for_update()
    record = session.execute(stmt).scalar_one_or_none()
    if record is None:
        raise not_found()
    return record


def record_audience(classification: int, owner: int, shared: set[int] | frozenset[int]) -> Audience:
    return Audience(classification, frozenset({owner, *shared}))
