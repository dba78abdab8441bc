"""FastAPI dependencies: the store, the acting principal, preconditions and idempotency keys."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer

from tansiq.access import service as access
from tansiq.access.policy import Principal
from tansiq.access.principals import PrincipalCache
from tansiq.access.security import CHALLENGE, TokenClaims, decode_token
from tansiq.audit import context as audit_context
from tansiq.config import Settings
from tansiq.errors import Problem
from tansiq.store.db import Store

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    """The caller. A token seen in the last few seconds is answered from the cache without
    leaving the event loop; otherwise it is checked in the database, off the loop."""
    if not token:
        raise Problem(401, "unauthenticated", headers=CHALLENGE)
    cache: PrincipalCache | None = getattr(request.app.state, "principals", None)
    cached = cache.get(token) if cache is not None else None
    if cached is not None:
        principal = cached
    else:
        principal, claims = await run_in_threadpool(_check, request, token)
        if cache is not None:
            cache.put(token, principal, claims.expires_at.timestamp())
    request.state.token = token
    ctx = audit_context.current.get()
    if ctx is not None:
        ctx.principal = principal
    return principal


def _check(request: Request, token: str) -> tuple[Principal, TokenClaims]:
    with get_store(request).read() as session:
        return access.check_token(session, get_settings(request).signing_key, token)


def token_claims(request: Request) -> TokenClaims:
    return decode_token(get_settings(request).signing_key, request.state.token)


def if_match(if_match: Annotated[str | None, Header()] = None) -> int | None:
    """The version the client last saw, from If-Match; None when it sent none."""
    if if_match is None or if_match.strip() == "*":
        return None
    m = _ETAG.match(if_match.strip())
    if not m:
        raise Problem(400, "if_match_invalid")
    return int(m.group(1))


def idempotency_key(
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str | None:
    if idempotency_key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise Problem(400, "idempotency_key_invalid")
    return idempotency_key


def etag(version: int) -> str:
    return f'"{version}"'


Who = Annotated[Principal, Depends(current_principal)]
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
IfMatch = Annotated[int | None, Depends(if_match)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
