"""Recording feed deliveries of classified events before they are sent.

A feed delivery is a read, not a change: there is no transaction to join. Each batch a
subscriber is about to receive is recorded in one transaction first (only if it holds events
classified above restricted), so a crash can lose a delivery but never its audit entry.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tansiq.access.models import Clearance
from tansiq.access.policy import Principal
from tansiq.audit import recorder
from tansiq.audit.context import acting_as
from tansiq.events.types import Event
from tansiq.store.db import Store


class DeliveryAuditor:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, who: Principal, events: list[Event]) -> None:
        items = [_item(who, e) for e in events if e.audience.classification > Clearance.RESTRICTED]
        if items:
            await asyncio.to_thread(self._write, items)

    def _write(self, items: list[dict[str, Any]]) -> None:
        with acting_as(None), self.store.write() as uow:
            uow.session.info.setdefault(recorder.PENDING, []).extend(items)


def _item(who: Principal, event: Event) -> dict[str, Any]:
    return {
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
