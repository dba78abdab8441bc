"""Reading the audit trail, and recording reads of classified records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tansiq.access.directory import agency_code_of
from tansiq.access.models import Clearance, Role
from tansiq.access.policy import Permission, Principal
from tansiq.audit.models import AuditEntry
from tansiq.errors import Problem
from tansiq.store.db import Store
from tansiq.store.paging import decode_cursor, encode_cursor

# Reads of records classified above this are recorded (confidential and secret).
READ_AUDIT_ABOVE = Clearance.RESTRICTED


@dataclass
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _query(session: Session, who: Principal | None, f: AuditFilter) -> Select[Any]:
    stmt = select(AuditEntry)
    if who is not None:
        if not who.can(Permission.AUDIT_READ):
            raise Problem(403, "forbidden", permission=Permission.AUDIT_READ.value)
        if who.role != Role.ADMIN:
            # A supervisor reviews what the people of their own agency did.
            stmt = stmt.where(AuditEntry.agency == agency_code_of(session, who.agency_id))
    if f.since and f.until and f.since > f.until:
        raise Problem(400, "invalid_time_range")
    for column, value in (
        (AuditEntry.actor, f.actor),
        (AuditEntry.action, f.action),
        (AuditEntry.record_type, f.record_type),
        (AuditEntry.record_id, f.record_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt


def as_dict(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "actor_id": e.actor_id,
        "agency": e.agency,
        "role": e.role,
        "action": e.action,
        "record_type": e.record_type,
        "record_id": e.record_id,
        "before": e.before,
        "after": e.after,
        "request_id": e.request_id,
        "client": e.client,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def search(
    session: Session,
    who: Principal | None,
    f: AuditFilter,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; the cursor continues below the last sequence number of the page."""
    stmt = _query(session, who, f)
    if cursor:
        (last,) = decode_cursor(cursor, 1)
        if not isinstance(last, int):
            raise Problem(400, "invalid_cursor")
        stmt = stmt.where(AuditEntry.seq < last)
    rows = list(session.execute(stmt.order_by(AuditEntry.seq.desc()).limit(limit + 1)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return [as_dict(r) for r in rows[:limit]], next_cursor


def export(session: Session, who: Principal | None, f: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every matching entry in chain order, for JSON Lines."""
    stmt = _query(session, who, f).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    for row in session.execute(stmt).scalars():
        yield as_dict(row)


def record_reads(
    store: Store, action: str, record_type: str, records: Iterable[tuple[int, int]]
) -> int:
    """Record that the acting user saw these (id, classification) records, if classified."""
    hits = [record_id for record_id, classification in records if classification > READ_AUDIT_ABOVE]
    if not hits:
        return 0
    with store.write() as uow:
        for record_id in hits:
            uow.audit(action, record_type=record_type, record_id=record_id)
    return len(hits)
