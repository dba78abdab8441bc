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
        self._pending: list[PendingEvent | None] = []
        self._latest: dict[tuple[str, str], int] = {}  # (type, record id) -> index in _pending
        self._committed = False

    def emit(self, event: PendingEvent) -> None:
        self._pending.append(event)

    def emit_latest(self, event: PendingEvent) -> None:
        """Emit a state snapshot (a unit's position) that makes any earlier one of the same type
        and record in this transaction obsolete: only the newest is appended, in its own place."""
        key = (event.type, event.record_id)
        earlier = self._latest.get(key)
        if earlier is not None:
            self._pending[earlier] = None
        self._latest[key] = len(self._pending)
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
        pending = [e for e in self._pending if e is not None]
        events = append(self.session, pending) if pending else []
        self.session.commit()
        self._committed = True
        self._pending, self._latest = [], {}
        return events
