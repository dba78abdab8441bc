"""Recording changes: every row a unit of work inserts, updates or deletes becomes an audit entry.

Capture happens on the session's flushes (so no service can forget it); entries are hash-chained
and written by `append`, called by the unit of work just before it commits, in the same
transaction as the change.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session

from tansiq.audit import context
from tansiq.audit.chain import link
from tansiq.audit.models import AuditEntry, AuditHead
from tansiq.store.base import utcnow

PENDING = "tansiq.audit.pending"
# Tables that are themselves logs or bookkeeping; writing them is recorded by what caused it.
SKIP_TABLES = frozenset(
    {
        "audit_log",
        "audit_head",
        "events",
        "event_audience",
        "event_head",
        "idempotency_keys",
        "revoked_tokens",
        "login_throttle",
        "unit_positions",  # telemetry: each report batch is audited once (units/positions.py)
    }
)
REDACTED = frozenset({"password_hash"})
# Built once, in Core: every write appends to the chain (see events.log for why).
_entries = cast(Table, AuditEntry.__table__)
_head = cast(Table, AuditHead.__table__)
_LOCK_HEAD = select(_head.c.seq, _head.c.hash).where(_head.c.id == 1).with_for_update()
_INSERT_ENTRIES = insert(_entries)
_MOVE_HEAD = update(_head).where(_head.c.id == 1).values(seq=bindparam("s"), hash=bindparam("h"))
OMITTED = frozenset({"search_text"})  # derived from other columns


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    return value


def _snapshot(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in OMITTED:
            continue
        out[attr.key] = "[redacted]" if attr.key in REDACTED else _plain(getattr(obj, attr.key))
    return out


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in OMITTED:
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if attr.key in REDACTED:
            old, new = "[redacted]", "[changed]"
        before[attr.key], after[attr.key] = _plain(old), _plain(new)
    return before, after


def _identity(obj: Any) -> str:
    # The identity key is not set yet for rows inserted by this flush; the mapped key is.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in key)


def capture(session: Session, _flush_context: Any) -> None:
    """after_flush hook: queue an entry for every row this flush wrote."""
    pending: list[dict[str, Any]] = session.info.setdefault(PENDING, [])
    for kind, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in SKIP_TABLES:
                continue
            if kind == "insert":
                before, after = None, _snapshot(obj)
            elif kind == "delete":
                before, after = _snapshot(obj), None
            else:
                changed_before, changed_after = _changes(obj)
                if not changed_after:
                    continue
                before, after = changed_before, changed_after
            pending.append(
                {
                    "action": f"{table}.{kind}",
                    "record_type": table,
                    "record_id": _identity(obj),
                    "before": before,
                    "after": after,
                }
            )


def note(
    session: Session,
    action: str,
    *,
    record_type: str | None = None,
    record_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Queue an entry for something that is not a row change (a login, a read)."""
    session.info.setdefault(PENDING, []).append(
        {
            "action": action,
            "record_type": record_type,
            "record_id": None if record_id is None else str(record_id),
            "before": before,
            "after": after,
        }
    )


def _merge(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per row and command: a row flushed several times in one transaction (insert
    then update, or update then update) is recorded once, with its first and last values."""
    out: list[dict[str, Any]] = []
    latest: dict[tuple[Any, Any], dict[str, Any]] = {}
    for item in pending:
        key = (item["record_type"], item["record_id"])
        kind = item["action"].rpartition(".")[2]
        earlier = latest.get(key)
        if kind == "update" and earlier is not None:
            earlier["after"] = {**(earlier["after"] or {}), **item["after"]}
            if earlier["before"] is not None:
                earlier["before"] = {**item["before"], **earlier["before"]}
            continue
        item = {**item}
        out.append(item)
        if kind in ("insert", "update"):
            latest[key] = item
        elif kind == "delete":
            latest.pop(key, None)
    return out


def append(session: Session, agency_code: Any) -> int:
    """Chain and insert the queued entries in the caller's transaction; returns how many."""
    pending = _merge(session.info.pop(PENDING, []))
    if not pending:
        return 0
    ctx = context.get()
    who = ctx.principal
    actor = {
        "actor": who.username if who else (ctx.actor_name or "system"),
        "actor_id": who.user_id if who else None,
        "agency": agency_code(who.agency_id) if who else ctx.agency_code,
        "role": who.role.value if who else None,
        "request_id": ctx.request_id,
        "client": ctx.client,
    }
    seq, prev = session.execute(_LOCK_HEAD).one()
    at = utcnow()
    rows = []
    for item in pending:
        seq += 1
        # An item may name its own actor (feed deliveries are recorded in batches for many users).
        if "agency_id" in item:
            item = {**item, "agency": agency_code(item.pop("agency_id"))}
        entry = {**actor, **item, "seq": seq, "at": at}
        digest = link(prev, entry)
        rows.append({**entry, "prev_hash": prev, "hash": digest})
        prev = digest
    session.execute(_INSERT_ENTRIES, rows)
    session.execute(_MOVE_HEAD, {"s": seq, "h": prev})
    return len(rows)
