"""Audit routes, for supervisors (their own agency's actions) and administrators (all)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from tansiq.access.policy import Permission
from tansiq.access.service import require
from tansiq.api.deps import StoreDep, Who
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit import service
from tansiq.audit.verify import anchor, verify_chain
from tansiq.errors import require_aware

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=PROBLEM_RESPONSES)


def _filters(
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    record_type: Annotated[str | None, Query(max_length=64)] = None,
    record_id: Annotated[str | None, Query(max_length=128)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> service.AuditFilter:
    require_aware("query", since=since, until=until)
    return service.AuditFilter(actor, action, record_type, record_id, since, until)


Filters = Annotated[service.AuditFilter, Depends(_filters)]


@router.get("")
def list_entries(
    who: Who,
    store: StoreDep,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict[str, Any]:
    """Audit entries, newest first, filtered by actor, action, record and time."""
    with store.read() as session:
        items, next_cursor = service.search(session, who, filters, limit=limit, cursor=cursor)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/export", response_class=StreamingResponse)
def export(who: Who, store: StoreDep, filters: Filters) -> StreamingResponse:
    """The matching entries in chain order as JSON Lines (one entry per line)."""
    with store.read() as session:  # check permission before the stream starts
        service.search(session, who, filters, limit=1)

    def lines() -> Iterator[bytes]:
        with store.read() as session:
            for entry in service.export(session, who, filters):
                yield orjson.dumps(entry) + b"\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="tansiq-audit.jsonl"'},
    )


@router.get("/anchor")
def get_anchor(who: Who, store: StoreDep) -> dict[str, Any]:
    """The head of the chain (sequence and hash), to keep outside this system."""
    require(who, Permission.AUDIT_READ)
    with store.read() as session:
        return anchor(session)


@router.get("/verify")
def verify(who: Who, store: StoreDep) -> dict[str, Any]:
    """Check the whole chain now (administrators)."""
    require(who, Permission.USER_ADMIN)
    with store.read() as session:
        return verify_chain(session).as_dict()
