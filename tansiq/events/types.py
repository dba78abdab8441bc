"""Events as services emit them and as subscribers receive them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

# Position reports are the only events a slow subscriber may receive coalesced (latest wins).
COALESCIBLE = frozenset({"unit.position"})


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see an event: fixed when it is written, like the record's access at that moment.

    `agencies` is None for reference data every signed-in user may see.
    """

    classification: int = 0
    agencies: frozenset[int] | None = None

    def admits(self, agency_id: int, clearance: int) -> bool:
        if clearance < self.classification:
            return False
        return self.agencies is None or agency_id in self.agencies


@dataclass(slots=True)
class PendingEvent:
    type: str
    record_type: str
    record_id: str
    data: dict[str, Any]
    audience: Audience = field(default_factory=Audience)


@dataclass(slots=True)
class Event:
    seq: int
    type: str
    at: datetime
    record_type: str
    record_id: str
    data: dict[str, Any]
    audience: Audience
    _wire: str | None = None
    _sse: bytes | None = None

    @property
    def coalesce_key(self) -> str | None:
        return self.record_id if self.type in COALESCIBLE else None

    def wire(self) -> str:
        """The JSON message sent to subscribers; encoded once, shared by all of them."""
        if self._wire is None:
            self._wire = orjson.dumps(
                {
                    "seq": self.seq,
                    "type": self.type,
                    "at": self.at.isoformat(),
                    "record": {"type": self.record_type, "id": self.record_id},
                    "data": self.data,
                }
            ).decode()
        return self._wire

    def sse(self) -> bytes:
        """The same message framed as a Server-Sent Event (id = seq, for Last-Event-ID)."""
        if self._sse is None:
            self._sse = f"id: {self.seq}\nevent: {self.type}\ndata: {self.wire()}\n\n".encode()
        return self._sse
