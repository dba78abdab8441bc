"""Sign-in throttling: failed attempts per account and per client address lead to a lockout.

Counters live in the database, so every server node enforces the same limits. A locked account
or address gets 429 with Retry-After; the lockout itself is audited. The trade-off is the usual
one: someone guessing at an account can lock its owner out for the lockout period; the address
limit stops one client from doing that to many accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from tansiq.access.models import LoginThrottle
from tansiq.errors import Problem
from tansiq.store.base import utcnow


@dataclass(frozen=True)
class Limits:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


def _keys(username: str, client: str | None) -> list[tuple[str, str]]:
    keys = [("account", f"user:{username.lower()[:150]}")]
    if client:
        keys.append(("address", f"addr:{client}"))
    return keys


def check(session: Session, username: str, client: str | None) -> None:
    """Refuse with 429 while the account or the address is locked."""
    now = utcnow()
    for _, key in _keys(username, client):
        row = session.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = max(1, int((row.locked_until - now).total_seconds()))
            raise Problem(429, "login_locked", headers={"Retry-After": str(wait)}, seconds=wait)


def failed(session: Session, username: str, client: str | None, limits: Limits) -> list[str]:
    """Count a failed attempt; return which of account/address it has just locked."""
    now = utcnow()
    locked = []
    for kind, key in _keys(username, client):
        row = session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        if now - row.window_start > limits.window:
            row.failures, row.window_start = 0, now
        row.failures += 1
        limit = limits.account_failures if kind == "account" else limits.address_failures
        if row.failures >= limit and (row.locked_until is None or row.locked_until <= now):
            row.locked_until = now + limits.lockout
            row.failures, row.window_start = 0, now
            locked.append(kind)
    return locked


def succeeded(session: Session, username: str) -> None:
    """A correct password clears the account's count (not the address's)."""
    row = session.get(LoginThrottle, f"user:{username.lower()[:150]}")
    if row is not None:
        row.failures, row.locked_until = 0, None
