"""Recording feed deliveries of classified events, in batches off the event loop.

A feed delivery is a read, not a change: there is no transaction to join. Deliveries are queued
and written every `interval` seconds (and at shutdown) in one transaction per batch, so auditing
never slows the feed. A crash can lose at most the last interval's delivery records; the records
of changes themselves are never at risk (they are written with the change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from tansiq.access.models import Clearance
from tansiq.access.policy import Principal
from tansiq.audit import recorder
from tansiq.audit.context import acting_as
from tansiq.events.types import Event
from tansiq.store.db import Store

logger = logging.getLogger(__name__)


class DeliveryAuditor:
    def __init__(self, store: Store, interval: float = 0.25) -> None:
        self.store = store
        self.interval = interval
        self._queue: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def delivered(self, who: Principal, event: Event) -> None:
        if event.audience.classification <= Clearance.RESTRICTED:
            return
        self._queue.append(
            {
                "action": "feed.delivered",
                "record_type": event.record_type,
                "record_id": event.record_id,
                "before": None,
                "after": {"seq": event.seq, "type": event.type},
                "actor": who.username,
                "actor_id": who.user_id,
                "agency_id": who.agency_id,
                "role": who.role.value,
            }
        )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-deliveries")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        batch, self._queue = self._queue, []
        if batch:
            await asyncio.to_thread(self._write, batch)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                logger.exception("could not record feed deliveries; will retry")

    def _write(self, batch: list[dict[str, Any]]) -> None:
        try:
            with acting_as(None), self.store.write() as uow:
                for item in batch:
                    uow.session.info.setdefault(recorder.PENDING, []).append(item)
        except Exception:
            self._queue[:0] = batch  # keep them for the next attempt
            raise
