"""Who is acting and from where: carried to the unit of work without threading it everywhere.

The HTTP middleware opens a `RequestContext` per request (request id, client address); the
authentication dependency fills in the principal. Work outside a request (the CLI, the demo
scenario) says who it acts as with `acting_as`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from tansiq.access.policy import Principal


@dataclass
class RequestContext:
    request_id: str | None = None
    client: str | None = None
    principal: Principal | None = None
    actor_name: str | None = None  # for actions without a principal (a failed login's username)
    agency_code: str | None = None


current: ContextVar[RequestContext | None] = ContextVar("tansiq_request", default=None)


def get() -> RequestContext:
    return current.get() or RequestContext()


@contextmanager
def acting_as(
    principal: Principal | None, *, client: str | None = None, request_id: str | None = None
) -> Iterator[RequestContext]:
    ctx = RequestContext(request_id=request_id, client=client, principal=principal)
    token = current.set(ctx)
    try:
        yield ctx
    finally:
        current.reset(token)
