"""Casualty reports: figures from one source at one time (the sitrep sums each source's latest)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.emergencies.models import (
    CasualtyReport,
)
from tansiq.emergencies.schemas import (
    CasualtyCreate,
    CasualtyRead,
)
from tansiq.emergencies.service import add_timeline, emit, get_visible
from tansiq.errors import field_problem, require_aware
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork

FUTURE_SLACK = timedelta(minutes=5)  # clocks of reporting devices drift


def report_casualties(
    uow: UnitOfWork, who: Principal, emergency_id: int, data: CasualtyCreate
) -> CasualtyReport:
    """Record figures from one source at one time (the sitrep sums each source's latest)."""
    require(who, Permission.EMERGENCY_MANAGE)
    require_aware("body", reported_at=data.reported_at)
    now = utcnow()
    if data.reported_at is not None and data.reported_at > now + FUTURE_SLACK:
        raise field_problem(["body", "reported_at"], "time_in_future")
    emergency = get_visible(uow.session, who, emergency_id, lock=True)
    report = CasualtyReport(
        emergency_id=emergency.id,
        reported_at=data.reported_at or now,
        source=data.source,
        injured=data.injured,
        dead=data.dead,
        missing=data.missing,
        evacuated=data.evacuated,
        note=data.note,
        created_by=who.user_id,
        created_at=now,
    )
    uow.session.add(report)
    uow.session.flush()
    body = casualty_read(report)
    add_timeline(uow, who, emergency, "casualties", data.note, body.model_dump(mode="json"))
    emit(uow, "emergency.casualties_reported", emergency, {"report": body.model_dump(mode="json")})
    return report


def casualty_read(r: CasualtyReport) -> CasualtyRead:
    return CasualtyRead(
        id=r.id,
        reported_at=r.reported_at,
        source=r.source,
        injured=r.injured,
        dead=r.dead,
        missing=r.missing,
        evacuated=r.evacuated,
        note=r.note,
    )


def casualties(session: Session, who: Principal, emergency_id: int) -> list[CasualtyRead]:
    get_visible(session, who, emergency_id)
    rows = session.execute(
        select(CasualtyReport)
        .where(CasualtyReport.emergency_id == emergency_id)
        .order_by(CasualtyReport.reported_at, CasualtyReport.id)
    ).scalars()
    return [casualty_read(r) for r in rows]
