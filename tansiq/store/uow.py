"""The unit of work: one transaction that writes a change and appends its events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tansiq.access.directory import agency_code_of
from tansiq.audit import recorder as audit
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

    def audit(
        self,
        action: str,
        *,
        record_type: str | None = None,
        record_id: str | int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Record an action that is not a row change (sign-in, a read of a classified record)."""
        audit.note(
            self.session,
            action,
            record_type=record_type,
            record_id=record_id,
            before=before,
            after=after,
        )

    def commit(self) -> list[Event]:
        if self._committed:
            return []
        self.session.flush()
        # Audit head first, event head second, always in this order: no lock cycles.
        audit.append(self.session, lambda agency_id: agency_code_of(self.session, agency_id))
        events = append(self.session, self._pending) if self._pending else []
        self.session.commit()
        self._committed = True
        self._pending = []
        return events
