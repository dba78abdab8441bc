"""Public alerts from draft to publication. Every function takes the acting principal.

Draft -> pending (submitted) -> published (approved by a supervisor who neither wrote nor
submitted it) or rejected (editing a rejected alert makes it a draft again). Publication builds
the CAP document, validates it against the CAP 1.2 schema and stores it in the same transaction
as the approval, its audit entries and its events: a document that fails the schema leaves
nothing behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance
from tansiq.access.policy import Permission, Principal, record_audience
from tansiq.access.service import require
from tansiq.alerts import cap
from tansiq.alerts.models import Alert, AlertState
from tansiq.alerts.schemas import AlertContent, AlertCreate, AlertRead
from tansiq.alerts.settings import AlertSettings
from tansiq.errors import Problem, not_found
from tansiq.events.types import Audience, PendingEvent
from tansiq.i18n.catalogue import label
from tansiq.store.base import utcnow
from tansiq.store.paging import decode_cursor, encode_cursor
from tansiq.store.uow import UnitOfWork

EDITABLE = frozenset({AlertState.DRAFT, AlertState.REJECTED})


def visible(who: Principal) -> ColumnElement[bool]:
    """Published alerts are public; the others are seen by their agency, within clearance."""
    return or_(
        Alert.state == AlertState.PUBLISHED,
        and_(Alert.agency_id == who.agency_id, Alert.classification <= int(who.clearance)),
    )


def get_visible(session: Session, who: Principal, alert_id: int, *, lock: bool = False) -> Alert:
    stmt = select(Alert).where(Alert.id == alert_id, visible(who))
    if lock:
        stmt = stmt.with_for_update()
    alert = session.execute(stmt).scalar_one_or_none()
    if alert is None:
        raise not_found()
    return alert


def public_url(base: str, identifier: str) -> str:
    return f"{base}/cap/alerts/{identifier}.xml"


def to_read(session: Session, alerts: list[Alert], base: str) -> list[AlertRead]:
    directory = Directory(session)
    names = directory.usernames(
        uid
        for a in alerts
        for uid in (a.created_by, a.submitted_by, a.decided_by)
        if uid is not None
    )
    linked_ids = {i for a in alerts for i in (a.references_id, a.superseded_by_id) if i}
    linked: dict[int, str] = {}
    if linked_ids:
        rows = session.execute(select(Alert.id, Alert.identifier).where(Alert.id.in_(linked_ids)))
        linked = {row_id: identifier for row_id, identifier in rows}
    return [
        AlertRead(
            id=a.id,
            identifier=a.identifier,
            state=a.state,
            msg_type=a.msg_type,
            cap_status=a.cap_status,
            references=linked.get(a.references_id) if a.references_id else None,
            superseded_by=linked.get(a.superseded_by_id) if a.superseded_by_id else None,
            agency=directory.agency_code(a.agency_id),
            classification=Clearance(a.classification).label,
            content=AlertContent.model_validate(a.content),
            created_by=names.get(a.created_by, "?"),
            created_at=a.created_at,
            updated_at=a.updated_at,
            submitted_by=names.get(a.submitted_by) if a.submitted_by else None,
            submitted_at=a.submitted_at,
            decided_by=names.get(a.decided_by) if a.decided_by else None,
            decided_at=a.decided_at,
            rejection_reason=a.rejection_reason,
            sent_at=a.sent_at,
            url=public_url(base, a.identifier) if a.state == AlertState.PUBLISHED else None,
            version=a.version,
        )
        for a in alerts
    ]


def read_one(session: Session, alert: Alert, base: str) -> AlertRead:
    return to_read(session, [alert], base)[0]


def _emit(uow: UnitOfWork, type_: str, alert: Alert, *, public: bool = False) -> None:
    uow.session.flush()
    body = read_one(uow.session, alert, "")
    # Publication is news for every signed-in user; the rest stays with the agency.
    audience = (
        Audience() if public else record_audience(alert.classification, alert.agency_id, set())
    )
    data: dict[str, Any] = {"alert": body.model_dump(mode="json", exclude={"url"})}
    uow.emit(PendingEvent(type_, "alert", str(alert.id), data, audience))


def _wrong_state(alert: Alert, action: str) -> Problem:
    return Problem(
        409,
        "alert_wrong_state",
        state=alert.state,
        state_ar=label("alert_state", alert.state, "ar"),
        action=action,
        action_ar=label("alert_action", action, "ar"),
    )


def _check_version(alert: Alert, expected: int | None) -> None:
    if expected is not None and expected != alert.version:
        raise Problem(412, "etag_mismatch")


def _touch(alert: Alert, now: datetime | None = None) -> None:
    alert.updated_at = now or utcnow()
    alert.version += 1


def _referenced(session: Session, who: Principal, data: AlertCreate) -> Alert | None:
    if data.msg_type == "Alert":
        if data.references is not None:
            raise Problem(422, "alert_reference_unexpected")
        return None
    if data.references is None:
        raise Problem(422, "alert_reference_required", msg_type=data.msg_type)
    earlier = session.execute(
        select(Alert).where(Alert.id == data.references, visible(who))
    ).scalar_one_or_none()
    if earlier is None or earlier.state != AlertState.PUBLISHED:
        raise Problem(422, "alert_reference_not_published", reference=data.references)
    if earlier.agency_id != who.agency_id:
        raise Problem(403, "not_owner")
    _check_current(earlier)
    return earlier


def _check_current(earlier: Alert) -> None:
    if earlier.superseded_by_id is not None or earlier.msg_type == "Cancel":
        raise Problem(409, "alert_reference_superseded", identifier=earlier.identifier)


def create(uow: UnitOfWork, who: Principal, data: AlertCreate, settings: AlertSettings) -> Alert:
    """Write a draft. Update and Cancel name the published alert they replace."""
    require(who, Permission.ALERT_AUTHOR)
    session = uow.session
    level = Clearance.parse(data.classification)
    if level > who.clearance:
        raise Problem(422, "classification_above_clearance", clearance=who.clearance.label)
    earlier = _referenced(session, who, data)
    now = utcnow()
    alert = Alert(
        identifier=f"{settings.identifier_prefix}-{uuid4()}",
        agency_id=who.agency_id,
        classification=int(level),
        state=AlertState.DRAFT,
        msg_type=data.msg_type,
        cap_status=data.cap_status,
        references_id=earlier.id if earlier else None,
        content=data.content().model_dump(mode="json"),
        created_by=who.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(alert)
    _emit(uow, "alert.created", alert)
    return alert


def edit(
    uow: UnitOfWork, who: Principal, alert_id: int, content: AlertContent, if_match: int | None
) -> Alert:
    """Replace the texts, areas and times of a draft (or of a rejected alert, which becomes a
    draft again)."""
    require(who, Permission.ALERT_AUTHOR)
    alert = get_visible(uow.session, who, alert_id, lock=True)
    _check_version(alert, if_match)
    if alert.state not in EDITABLE or alert.agency_id != who.agency_id:
        raise _wrong_state(alert, "edit")
    alert.content = content.model_dump(mode="json")
    alert.state = AlertState.DRAFT
    alert.rejection_reason = None
    _touch(alert)
    _emit(uow, "alert.updated", alert)
    return alert


def submit(uow: UnitOfWork, who: Principal, alert_id: int, if_match: int | None) -> Alert:
    require(who, Permission.ALERT_AUTHOR)
    alert = get_visible(uow.session, who, alert_id, lock=True)
    _check_version(alert, if_match)
    if alert.state != AlertState.DRAFT or alert.agency_id != who.agency_id:
        raise _wrong_state(alert, "submit")
    now = utcnow()
    alert.state = AlertState.PENDING
    alert.submitted_by, alert.submitted_at = who.user_id, now
    _touch(alert, now)
    _emit(uow, "alert.submitted", alert)
    return alert


def _pending_for_decision(
    uow: UnitOfWork, who: Principal, alert_id: int, if_match: int | None, action: str
) -> Alert:
    require(who, Permission.ALERT_APPROVE)
    alert = get_visible(uow.session, who, alert_id, lock=True)
    _check_version(alert, if_match)
    if alert.state != AlertState.PENDING or alert.agency_id != who.agency_id:
        raise _wrong_state(alert, action)
    if who.user_id in (alert.created_by, alert.submitted_by):
        # Four eyes: whoever wrote or submitted a warning to the public cannot also release it.
        raise Problem(403, "alert_own_approval")
    return alert


def _chain(session: Session, earlier: Alert) -> list[str]:
    """References for a message replacing `earlier`: every message of its chain, oldest first."""
    refs: list[str] = []
    current: Alert | None = earlier
    while current is not None:
        assert current.sender is not None and current.sent_at is not None
        refs.append(f"{current.sender},{current.identifier},{cap.cap_time(current.sent_at)}")
        current = session.get(Alert, current.references_id) if current.references_id else None
    return refs[::-1]


def approve(
    uow: UnitOfWork, who: Principal, alert_id: int, settings: AlertSettings, if_match: int | None
) -> Alert:
    """Approve and publish: the CAP document is built, validated and stored, once and for all."""
    session = uow.session
    alert = _pending_for_decision(uow, who, alert_id, if_match, "approve")
    content = AlertContent.model_validate(alert.content)
    now = utcnow().replace(microsecond=0)
    if content.expires is not None and content.expires <= now:
        raise Problem(422, "alert_expired")
    earlier = (
        session.get(Alert, alert.references_id, with_for_update=True)
        if (alert.references_id)
        else None
    )
    if earlier is not None:
        _check_current(earlier)
    header = cap.Header(
        identifier=alert.identifier,
        sender=settings.sender,
        sent=now,
        cap_status=alert.cap_status,
        msg_type=alert.msg_type,
        references=_chain(session, earlier) if earlier else [],
    )
    names = {"en": settings.sender_name_en, "ar": settings.sender_name_ar}
    document = cap.build(header, content, names)  # refuses what the CAP schema refuses
    alert.state = AlertState.PUBLISHED
    alert.decided_by, alert.decided_at = who.user_id, now
    alert.sender, alert.sent_at, alert.expires_at = settings.sender, now, content.expires
    alert.document = document.decode("utf-8")
    _touch(alert, now)
    if earlier is not None:
        earlier.superseded_by_id = alert.id
        _touch(earlier, now)
    uow.audit("alert.approved", record_type="alerts", record_id=alert.id)
    uow.audit(
        "alert.published",
        record_type="alerts",
        record_id=alert.id,
        after={"identifier": alert.identifier, "msg_type": alert.msg_type},
    )
    _emit(uow, "alert.approved", alert)
    _emit(uow, "alert.published", alert, public=True)
    return alert


def reject(
    uow: UnitOfWork, who: Principal, alert_id: int, reason: str, if_match: int | None
) -> Alert:
    alert = _pending_for_decision(uow, who, alert_id, if_match, "reject")
    now = utcnow()
    alert.state = AlertState.REJECTED
    alert.decided_by, alert.decided_at = who.user_id, now
    alert.rejection_reason = reason
    _touch(alert, now)
    uow.audit("alert.rejected", record_type="alerts", record_id=alert.id, after={"reason": reason})
    _emit(uow, "alert.rejected", alert)
    return alert


def search(
    session: Session,
    who: Principal,
    states: list[AlertState],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Alert], str | None]:
    """Alerts `who` may see, newest first."""
    stmt = select(Alert).where(visible(who))
    if states:
        stmt = stmt.where(Alert.state.in_([s.value for s in states]))
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        if not isinstance(last_id, int):
            raise Problem(400, "invalid_cursor")
        stmt = stmt.where(Alert.id < last_id)
    rows = list(session.execute(stmt.order_by(Alert.id.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


# --- what the public sees ----------------------------------------------------------------------


def in_force(session: Session, now: datetime, limit: int) -> list[Alert]:
    """Published alerts not replaced by a later Update or Cancel and not expired, newest first.
    A Cancel stays in the feed until it expires itself, so receivers learn of the cancellation."""
    stmt = (
        select(Alert)
        .where(
            Alert.state == AlertState.PUBLISHED,
            Alert.superseded_by_id.is_(None),
            or_(Alert.expires_at.is_(None), Alert.expires_at > now),
        )
        .order_by(Alert.sent_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def published_document(session: Session, identifier: str) -> str | None:
    """The stored CAP document of a published alert (replaced or expired ones too: their URLs
    stay valid); None for anything not published."""
    return session.execute(
        select(Alert.document).where(
            Alert.identifier == identifier, Alert.state == AlertState.PUBLISHED
        )
    ).scalar_one_or_none()
