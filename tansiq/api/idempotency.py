"""Idempotency-Key on creates: a retried request gets the first answer, and creates nothing.

Field devices on poor links retry. The key, a hash of the request and the response are stored in
the same transaction as the create, so either both exist or neither does. The same key with a
different request is refused (422); two concurrent first uses of one key leave one create and
one 409.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from tansiq.access.policy import Principal
from tansiq.api.models import IdempotencyRecord
from tansiq.errors import Problem
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork


def request_hash(route: str, payload: Any) -> str:
    return hashlib.sha256(
        route.encode() + b"\n" + orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


def created_response(
    uow_factory: Callable[[], Any],
    who: Principal,
    key: str | None,
    route: str,
    body: Any,
    make: Callable[[UnitOfWork], dict[str, Any]],
    location: str,
    retention_hours: int,
) -> JSONResponse:
    """Run a create at most once per Idempotency-Key; answer 201 with ETag and Location."""
    with uow_factory() as uow:
        status, payload, replayed = run_once(
            uow,
            who,
            key,
            route,
            body.model_dump(mode="json"),
            lambda: (201, make(uow)),
            retention_hours,
        )
    headers = {"ETag": f'"{int(payload["version"])}"', "Location": f"{location}/{payload['id']}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(payload, status_code=status, headers=headers)


def run_once(
    uow: UnitOfWork,
    who: Principal,
    key: str | None,
    route: str,
    payload: Any,
    create: Callable[[], tuple[int, dict[str, Any]]],
    retention_hours: int = 24,
) -> tuple[int, dict[str, Any], bool]:
    """Return (status, body, replayed). `create` runs only for a key not seen before."""
    if key is None:
        status, body = create()
        return status, body, False
    digest = request_hash(route, payload)
    session = uow.session
    cutoff = utcnow() - timedelta(hours=retention_hours)
    record = session.get(IdempotencyRecord, (who.user_id, key))
    if record is not None and record.created_at < cutoff:
        session.delete(record)
        session.flush()
        record = None
    if record is not None:
        if not hmac.compare_digest(record.request_hash, digest) or record.route != route:
            raise Problem(422, "idempotency_key_reused")
        return record.status_code, record.body, True
    status, body = create()
    session.add(
        IdempotencyRecord(
            user_id=who.user_id,
            key=key,
            route=route,
            request_hash=digest,
            status_code=status,
            body=body,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise Problem(409, "idempotency_key_reused") from None
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return status, body, False
