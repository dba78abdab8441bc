"""CAP alerts from outside (a meteorological service, a neighbouring authority): read, keep,
and turn into draft emergencies.

The document is checked completely (size, depth, no DTD, namespace, CAP 1.2 schema, polygons)
before the database is touched; then one transaction keeps the raw document and drafts the
emergency, so a failure anywhere leaves nothing. A message is named by its sender, identifier
and sent time, as CAP names it: importing the same message twice keeps it once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance
from tansiq.access.policy import Permission, Principal, record_audience
from tansiq.access.service import require
from tansiq.alerts import cap, to_emergency
from tansiq.alerts.models import CapImport
from tansiq.alerts.schemas import ImportRead
from tansiq.alerts.settings import AlertSettings
from tansiq.errors import Problem
from tansiq.events.types import PendingEvent
from tansiq.store.db import Store
from tansiq.store.uow import UnitOfWork

IMPORT_PERMISSION = Permission.EMERGENCY_MANAGE


def key_of(parsed: cap.ParsedAlert) -> str:
    """CAP's own name for a message, as `references` writes it."""
    return f"{parsed.sender},{parsed.identifier},{parsed.sent}"


def to_read(row: CapImport, *, created: bool) -> ImportRead:
    return ImportRead(
        id=row.id,
        source=row.source,
        sender=row.sender,
        identifier=row.identifier,
        sent=row.sent,
        msg_type=row.msg_type,
        cap_status=row.cap_status,
        summary=row.summary,
        imported_at=row.imported_at,
        emergency_id=row.emergency_id,
        created=created,
    )


def _find(session: Session, parsed: cap.ParsedAlert) -> CapImport | None:
    return session.execute(
        select(CapImport).where(
            CapImport.sender == parsed.sender,
            CapImport.identifier == parsed.identifier,
            CapImport.sent == parsed.sent,
        )
    ).scalar_one_or_none()


def _check_lengths(parsed: cap.ParsedAlert, source: str) -> None:
    for name, value, limit in (
        ("sender", parsed.sender, 255),
        ("identifier", parsed.identifier, 255),
        ("sent", parsed.sent, 40),
        ("msgType", parsed.msg_type, 8),
        ("status", parsed.cap_status, 10),
    ):
        if not value or len(value) > limit:
            raise Problem(422, "cap_field_invalid", field=name, limit=limit)
    if len(source) > 500:
        raise Problem(422, "cap_field_invalid", field="source", limit=500)


def import_parsed(
    uow: UnitOfWork,
    who: Principal | None,
    parsed: cap.ParsedAlert,
    raw: bytes,
    source: str,
    settings: AlertSettings,
) -> ImportRead:
    """Keep `parsed` (once) in the caller's unit of work. `who` is None for the poller."""
    if who is not None:
        require(who, IMPORT_PERMISSION)
    _check_lengths(parsed, source)
    session = uow.session
    existing = _find(session, parsed)
    if existing is not None:
        return to_read(existing, created=False)
    row = CapImport(
        source=source,
        sender=parsed.sender,
        identifier=parsed.identifier,
        sent=parsed.sent,
        sent_at=parsed.sent_at,
        msg_type=parsed.msg_type,
        cap_status=parsed.cap_status,
        summary=parsed.summary(),
        document=raw.decode("utf-8", errors="replace"),
        imported_by=None if who is None else who.user_id,
    )
    try:
        with session.begin_nested():  # another process may be importing the same message
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _find(session, parsed)
        if existing is None:
            raise
        return to_read(existing, created=False)
    row.emergency_id = to_emergency.draft(uow, who, parsed, settings, key_of(parsed))
    uow.emit(
        PendingEvent(
            "alert.imported",
            "cap_import",
            str(row.id),
            {"import": to_read(row, created=True).model_dump(mode="json", exclude={"summary"})},
            record_audience(int(Clearance.RESTRICTED), _owner(session, who, settings), set()),
        )
    )
    return to_read(row, created=True)


def _owner(session: Session, who: Principal | None, settings: AlertSettings) -> int:
    """The agency an import belongs to: the importing user's, or the configured one."""
    if who is not None:
        return who.agency_id
    return Directory(session).agency_id(settings.import_agency, "import_agency")


def import_bytes(
    store: Store,
    who: Principal | None,
    data: bytes,
    source: str,
    settings: AlertSettings,
) -> ImportRead:
    """Parse and check `data` completely, then keep it in one transaction."""
    if who is not None:
        require(who, IMPORT_PERMISSION)
    parsed = cap.parse(data, settings.limits)
    with store.write() as uow:
        return import_parsed(uow, who, parsed, data, source, settings)


def recent(session: Session, who: Principal, limit: int) -> list[ImportRead]:
    require(who, IMPORT_PERMISSION)
    rows = session.execute(
        select(CapImport).order_by(CapImport.imported_at.desc(), CapImport.id.desc()).limit(limit)
    ).scalars()
    return [to_read(r, created=False) for r in rows]
