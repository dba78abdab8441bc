"""Group commit for position reports: concurrent requests share one transaction.

Each request hands its fixes to one writer thread and waits for the outcome. The thread takes
whatever has queued up meanwhile (up to `MAX_FIXES`) and writes it in a single transaction, so
under load the costs of a commit (the lock, the disk sync, the event and audit heads) are paid
once per batch rather than once per request, and requests never queue on the write lock
themselves; a unit reported by several requests of a batch gets one position event, its newest.
A request is answered only after its batch is durable. If a batch fails, each of its requests
is retried in a transaction of its own, so one cannot make another fail.

Snapping to the road network happens before a request joins the queue, in a worker thread of
its own: GEOS works without holding the interpreter lock, so requests are snapped side by side
while the writer thread writes, rather than in turn on the one thread every write waits for.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from tansiq.access.policy import Principal
from tansiq.audit.context import acting_as
from tansiq.errors import Problem
from tansiq.store.base import utcnow
from tansiq.store.db import Store
from tansiq.units import positions
from tansiq.units.positions import Fix, Outcome

if TYPE_CHECKING:
    from tansiq.dispatch.roads import Roads

logger = logging.getLogger(__name__)
MAX_FIXES = 1000
PRUNE_EVERY_S = 600.0


@dataclass
class _Request:
    who: Principal
    fixes: list[Fix]
    request_id: str | None
    client: str | None
    done: Future[list[Outcome]] = field(default_factory=Future)


class PositionWriter:
    def __init__(
        self, store: Store, roads: Roads | None = None, retention_days: int | None = None
    ) -> None:
        self.store = store
        self.roads = roads
        self.retention_days = retention_days
        self._pruned = 0.0
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="position-writer", daemon=True)
        self._thread.start()

    async def submit(
        self,
        who: Principal,
        fixes: list[Fix],
        *,
        request_id: str | None = None,
        client: str | None = None,
    ) -> list[Outcome]:
        if self.roads is not None and self.roads.current() is not None:
            fixes = await asyncio.to_thread(self._place_on_roads, fixes)
        request = _Request(who, fixes, request_id, client)
        self._queue.put(request)
        return await asyncio.wrap_future(request.done)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, size, stop = [first], len(first.fixes), False
            while size < MAX_FIXES:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
                size += len(more.fixes)
            self._write(batch)
            self._prune()
            if stop:
                return

    def _place_on_roads(self, fixes: list[Fix]) -> list[Fix]:
        """Snap the fixes to the road network in one vectorised pass, outside any transaction;
        a fix far from any road is kept without a road place."""
        router = self.roads.current() if self.roads is not None else None
        version = self.roads.version if self.roads is not None else None
        if router is None or version is None:
            return fixes
        try:
            placed = router.snapper.snap_many([f.lon for f in fixes], [f.lat for f in fixes])
        except Exception:  # snapping is an enrichment: never lose fixes over it
            logger.exception("snapping a position batch failed")
            return fixes
        # Plain Python numbers, converted once for the batch rather than per element.
        edges, fractions = placed.edge.tolist(), placed.fraction.tolist()
        offsets, network = placed.distance_m.tolist(), version[0]
        return [
            fix
            if edge < 0
            else Fix(
                fix.unit_id,
                fix.lat,
                fix.lon,
                fix.at,
                fix.heading,
                fix.speed,
                positions.RoadPlace(network, edge, fraction, offset),
            )
            for fix, edge, fraction, offset in zip(fixes, edges, fractions, offsets, strict=True)
        ]

    def _prune(self) -> None:
        """Drop track points older than the retention, now and then (not on every batch)."""
        if not self.retention_days or time.monotonic() - self._pruned < PRUNE_EVERY_S:
            return
        self._pruned = time.monotonic()
        try:
            with acting_as(None), self.store.write(bulk=True) as uow:
                positions.prune(uow, utcnow() - timedelta(days=self.retention_days))
        except Exception:
            logger.exception("pruning old track points failed")

    def _write(self, batch: list[_Request]) -> None:
        try:
            with acting_as(None), self.store.write(bulk=True) as uow:
                results = [
                    positions.record(uow, r.who, r.fixes, request_id=r.request_id, client=r.client)
                    for r in batch
                ]
        except Exception as exc:
            if len(batch) == 1:
                if not isinstance(exc, Problem):
                    logger.exception("position batch failed")
                    exc = Problem(503, "write_failed")
                batch[0].done.set_exception(exc)
                return
            for request in batch:  # find the one at fault; the others still get written
                self._write([request])
            return
        for request, outcomes in zip(batch, results, strict=True):
            request.done.set_result(outcomes)
