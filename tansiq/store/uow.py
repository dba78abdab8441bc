"""The unit of work: one transaction that writes a change and appends its events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tansiq.events.log import append
from tansiq.events.types import Event, PendingEvent

if TYPE_CHECKING:
    from tansiq.store.db import Store


class UnitOfWork:
    """Collects the events of one command; `commit` appends them in the same transaction."""

    def __init__(self, session: Session, store: Store) -> None:
        self.session = session
        self.store = store
        self._pending: list[PendingEvent] = []
        self._committed = False

    def emit(self, event: PendingEvent) -> None:
        self._pending.append(event)

    def commit(self) -> list[Event]:
        if self._committed:
            return []
        self.session.flush()
        events = append(self.session, self._pending) if self._pending else []
        self.session.commit()
        self._committed = True
        self._pending = []
        return events
