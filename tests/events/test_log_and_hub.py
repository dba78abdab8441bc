"""The event log's sequence and the hub's per-subscriber queues."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tansiq.access.models import Clearance, Role
from tansiq.access.policy import Principal
from tansiq.events.models import EventRow
from tansiq.events.types import Audience, Event, PendingEvent
from tansiq.store.db import Store


def test_concurrent_writers_get_a_gap_free_sequence(store: Store):
    def write(n: int) -> None:
        for i in range(25):
            with store.write() as uow:
                uow.emit(PendingEvent("test.event", "test", f"{n}-{i}", {"i": i}))
                uow.emit(PendingEvent("test.event", "test", f"{n}-{i}b", {"i": i}))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with store.read() as session:
        seqs = list(session.execute(select(EventRow.seq).order_by(EventRow.seq)).scalars())
    assert seqs == list(range(1, 201))


def test_rolled_back_change_leaves_no_event_and_no_gap(store: Store):
    with store.write() as uow:
        uow.emit(PendingEvent("test.event", "test", "1", {}))
    with pytest.raises(RuntimeError), store.write() as uow:
        uow.emit(PendingEvent("test.event", "test", "2", {}))
        uow.session.flush()
        raise RuntimeError("the command failed half way")
    with store.write() as uow:
        uow.emit(PendingEvent("test.event", "test", "3", {}))
    with store.read() as session:
        rows = session.execute(
            select(EventRow.seq, EventRow.record_id).order_by(EventRow.seq)
        ).all()
    assert [tuple(r) for r in rows] == [(1, "1"), (2, "3")]


# --- subscriber queues (pure, no database) -------------------------------------------------------

WHO = Principal(1, "u", Role.DISPATCHER, agency_id=7, clearance=Clearance.SECRET)


def ev(
    seq: int,
    type_: str = "incident.updated",
    record: str = "1",
    agencies: frozenset[int] | None = frozenset({7}),
) -> Event:
    return Event(seq, type_, datetime.now(UTC), "x", record, {}, Audience(1, agencies))


def take(sub) -> list[int]:
    return [e.seq for e in asyncio.run(sub.next_batch())]


def test_positions_coalesce_per_unit_keeping_sequence_order():
    from tansiq.events.hub import Subscriber

    sub = Subscriber(WHO, floor=0, max_queue=100)
    sub.offer(ev(1, "unit.position", "u1"))
    sub.offer(ev(2, "incident.created"))
    sub.offer(ev(3, "unit.position", "u2"))
    sub.offer(ev(4, "unit.position", "u1"))  # replaces 1
    assert take(sub) == [2, 3, 4]


def test_incident_events_are_never_coalesced():
    from tansiq.events.hub import Subscriber

    sub = Subscriber(WHO, floor=0, max_queue=100)
    for seq in range(1, 6):
        sub.offer(ev(seq, "incident.updated", "same-incident"))
    assert take(sub) == [1, 2, 3, 4, 5]


def test_a_subscriber_that_cannot_keep_up_is_closed_not_waited_for():
    from tansiq.events.hub import Subscriber

    sub = Subscriber(WHO, floor=0, max_queue=3)
    for seq in range(1, 5):
        sub.offer(ev(seq))
    assert sub.closed == "feed_too_slow"
    sub.offer(ev(5))
    assert take(sub) == [1, 2, 3]  # what was queued is still delivered before the close


def test_subscriber_skips_events_at_or_below_its_floor_and_invisible_ones():
    from tansiq.events.hub import Subscriber

    sub = Subscriber(WHO, floor=2, max_queue=10)
    sub.offer(ev(2))
    sub.offer(ev(3, agencies=frozenset({8})))
    sub.offer(ev(4))
    sub.offer(
        Event(5, "incident.updated", datetime.now(UTC), "x", "1", {}, Audience(3, None))
    )  # secret, everyone's agency
    assert take(sub) == [4, 5]
