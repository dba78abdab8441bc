"""A short-lived cache of checked bearer tokens, so a request does not cost a token check in SQL.

Checking a token reads the user and the revocation list: about a fifth of the server's work for a
position report. Field devices send the same token many times a second, so the answer is kept
for a few seconds (`TANSIQ_PRINCIPAL_CACHE_SECONDS`, 0 turns it off), never past the token's
expiry. Anything that changes a user's access or revokes a token emits an event; this process
forgets the user's entries as soon as such a change commits, and other server processes when
their feed hub reads the event from the log. So a revocation made through this process takes
effect at once, and through another one within the hub's poll interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from tansiq.access.policy import Principal
from tansiq.events.types import Event

# Events after which a user's cached tokens must be checked again.
ACCESS_EVENTS = frozenset({"user.access_changed", "auth.token_revoked"})


class PrincipalCache:
    def __init__(self, seconds: float, max_entries: int = 20_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, valid_until = entry
        if time.time() >= valid_until:
            with self._lock:
                self._entries.pop(token, None)
            return None
        return principal

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # rare (a burst of distinct tokens); simpler than LRU
            self._entries[token] = (principal, min(time.time() + self.seconds, expires_at))

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            stale = [t for t, (p, _) in self._entries.items() if p.user_id == user_id]
            for token in stale:
                del self._entries[token]

    def on_events(self, events: Sequence[Event]) -> None:
        """Forget the users whose access changed in these committed events."""
        for event in events:
            if event.type in ACCESS_EVENTS:
                user_id = event.data.get("user_id")
                if isinstance(user_id, int):
                    self.forget_user(user_id)
