"""Appending to and reading from the event log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import orjson
from sqlalchemy import Table, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from tansiq.events.models import EventAudienceRow, EventHead, EventRow
from tansiq.events.types import Audience, Event, PendingEvent
from tansiq.store.base import at_column_value, utcnow

# Every write appends events, so the statements are built once and go through Core, not the
# ORM's bulk paths (which cost several times more per call).
_events = cast(Table, EventRow.__table__)
_audience = cast(Table, EventAudienceRow.__table__)
_head = cast(Table, EventHead.__table__)
_TAKE_SEQ = (
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=_head.c.seq + bindparam("n"))
    .returning(_head.c.seq)
)
# Batches of position events run to thousands of rows: they go to the driver's executemany
# with the SQL written out per parameter style, as SQLAlchemy's per-row parameter processing
# and the standard-library JSON encoder cost more than the inserts themselves.
_EVENTS_SQL = {
    "sqlite": "INSERT INTO events (seq, type, at, record_type, record_id, classification, "
    "public, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "postgresql": "INSERT INTO events (seq, type, at, record_type, record_id, classification, "
    "public, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
}
_AUDIENCE_SQL = {
    "sqlite": "INSERT INTO event_audience (seq, agency_id) VALUES (?, ?)",
    "postgresql": "INSERT INTO event_audience (seq, agency_id) VALUES (%s, %s)",
}


def append(session: Session, pending: Sequence[PendingEvent]) -> list[Event]:
    """Give `pending` the next sequence numbers and write them in the caller's transaction.

    Called last in a transaction, so the head row is held only for the commit itself.
    """
    n = len(pending)
    last = session.execute(_TAKE_SEQ, {"n": n}).scalar_one()
    at = utcnow()
    events = [
        Event(last - n + 1 + i, p.type, at, p.record_type, p.record_id, p.data, p.audience)
        for i, p in enumerate(pending)
    ]
    conn = session.connection()
    dialect = conn.dialect.name
    stamp = at_column_value(at, dialect)
    conn.exec_driver_sql(
        _EVENTS_SQL[dialect],
        [
            (
                e.seq,
                e.type,
                stamp,
                e.record_type,
                e.record_id,
                e.audience.classification,
                e.audience.agencies is None,
                orjson.dumps(e.data).decode(),
            )
            for e in events
        ],
    )
    rows = [(e.seq, a) for e in events if e.audience.agencies for a in sorted(e.audience.agencies)]
    if rows:
        conn.exec_driver_sql(_AUDIENCE_SQL[dialect], rows)
    return events


def head(session: Session) -> int:
    return int(session.execute(select(EventHead.seq).where(EventHead.id == 1)).scalar_one())


def read_visible(
    session: Session,
    *,
    after: int,
    agency_id: int,
    clearance: int,
    limit: int,
    until: int | None = None,
) -> list[Event]:
    """Events after `after` that a user of `agency_id` with `clearance` may see, in order.

    The visibility rule is part of the query, so nothing the user may not see is loaded.
    """
    stmt = (
        select(EventRow)
        .where(EventRow.seq > after, EventRow.classification <= clearance)
        .where(
            or_(
                EventRow.public,
                exists().where(
                    EventAudienceRow.seq == EventRow.seq, EventAudienceRow.agency_id == agency_id
                ),
            )
        )
        .order_by(EventRow.seq)
        .limit(limit)
    )
    if until is not None:
        stmt = stmt.where(EventRow.seq <= until)
    rows = session.execute(stmt).scalars().all()
    return [_to_event(r) for r in rows]


def read_range(session: Session, after: int, until: int) -> list[Event]:
    """Every event in (after, until], with full audiences: what the live hub fills gaps with."""
    rows = (
        session.execute(
            select(EventRow)
            .where(EventRow.seq > after, EventRow.seq <= until)
            .order_by(EventRow.seq)
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    audiences: dict[int, set[int]] = {}
    for seq, agency in session.execute(
        select(EventAudienceRow.seq, EventAudienceRow.agency_id).where(
            EventAudienceRow.seq > after, EventAudienceRow.seq <= until
        )
    ):
        audiences.setdefault(seq, set()).add(agency)
    return [
        Event(
            r.seq,
            r.type,
            r.at,
            r.record_type,
            r.record_id,
            r.data,
            Audience(r.classification, None if r.public else frozenset(audiences.get(r.seq, ()))),
        )
        for r in rows
    ]


def _to_event(r: EventRow) -> Event:
    # Replay sends events to one known user; the audience is only needed for live fan-out.
    return Event(
        r.seq,
        r.type,
        r.at,
        r.record_type,
        r.record_id,
        r.data,
        Audience(r.classification, None if r.public else frozenset()),
    )
