"""Routes for signing in, the signed-in user, users and agencies."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from tansiq.access import service, throttle
from tansiq.access.directory import Directory
from tansiq.access.models import Clearance, User
from tansiq.access.schemas import (
    AgencyCreate,
    AgencyRead,
    AgencyUpdate,
    FeedTicket,
    LanguagePreference,
    LogoutRequest,
    Me,
    RefreshRequest,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tansiq.access.security import CHALLENGE, TokenClaims, decode_token
from tansiq.api.deps import SettingsDep, StoreDep, Who, token_claims
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.audit import context as audit_context
from tansiq.config import Settings
from tansiq.errors import Problem, not_found

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


@router.post("/auth/token", response_model=TokenResponse, tags=["auth"])
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
) -> TokenResponse:
    """Exchange a username and password (OAuth2 password form) for an access and refresh token.

    Failed attempts are counted per account and per client address; past the limit both are
    locked for a while (429 with Retry-After). Every attempt is audited."""
    client = request.client.host if request.client else None
    # NUL cannot be stored on PostgreSQL: such a name is simply not a user.
    name = form.username.replace("\x00", "\ufffd")[:64]
    with store.read() as session:
        throttle.check(session, name, client)
    ctx = audit_context.get()
    try:
        with store.write() as uow:
            user = service.authenticate(uow, name, form.password)
            ctx.principal = service.principal_of(user)
            throttle.succeeded(uow.session, name)
            uow.audit("auth.login", record_type="users", record_id=user.id)
            return service.token_pair(settings, user)
    except Problem as problem:
        if problem.status != 401:
            raise
        ctx.principal, ctx.actor_name = None, name
        with store.write() as uow:
            uow.audit("auth.login_failed", after={"username": name, "reason": problem.code})
            for scope in throttle.failed(uow.session, name, client, _limits(settings)):
                uow.audit("auth.lockout", after={"username": name, "scope": scope})
        raise


def _limits(settings: Settings) -> throttle.Limits:
    return throttle.Limits(
        settings.login_account_failures,
        settings.login_address_failures,
        timedelta(minutes=settings.login_window_minutes),
        timedelta(minutes=settings.login_lockout_minutes),
    )


@router.post("/auth/refresh", response_model=TokenResponse, tags=["auth"])
def refresh(body: RefreshRequest, store: StoreDep, settings: SettingsDep) -> TokenResponse:
    """Exchange a refresh token for a new pair; each refresh token works once."""
    with store.write() as uow:
        pair = service.refresh(uow, settings, body.refresh_token)
    if pair is None:
        raise Problem(401, "token_revoked", headers=CHALLENGE)
    return pair


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout(
    who: Who,
    store: StoreDep,
    settings: SettingsDep,
    claims: Annotated[TokenClaims, Depends(token_claims)],
    body: LogoutRequest | None = None,
) -> Response:
    """Revoke the token this request was made with (and the refresh token, if sent)."""
    with store.write() as uow:
        service.revoke(uow, claims)
        if body is not None and body.refresh_token:
            refresh_claims = decode_token(settings.signing_key, body.refresh_token, "refresh")
            if refresh_claims.user_id == who.user_id:
                service.revoke(uow, refresh_claims)
        uow.audit("auth.logout", record_type="users", record_id=who.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/me", response_model=Me, tags=["auth"])
def me(who: Who, store: StoreDep) -> Me:
    with store.read() as session:
        user = session.get(User, who.user_id)
        assert user is not None
        return Me(
            username=user.username,
            display_name=user.display_name,
            role=who.role,
            agency=Directory(session).agency_code(user.agency_id),
            clearance=Clearance(user.clearance).label,
            language=user.language,
            permissions=sorted(p.value for p in who.permissions),
        )


@router.put("/auth/me/language", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def set_language(body: LanguagePreference, who: Who, store: StoreDep) -> Response:
    """Remember the console language of the signed-in user."""
    with store.write() as uow:
        user = uow.session.get(User, who.user_id)
        assert user is not None
        user.language = body.language
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/feed/ticket", response_model=FeedTicket, tags=["feed"])
def feed_ticket(who: Who, store: StoreDep, settings: SettingsDep) -> FeedTicket:
    """A short-lived ticket for browsers, which cannot set headers on WebSocket or EventSource."""
    with store.read() as session:
        user = session.get(User, who.user_id)
        assert user is not None
        ticket = service.issue_feed_ticket(
            settings.signing_key, who, user.token_version, settings.feed_ticket_seconds
        )
    return FeedTicket(ticket=ticket, expires_in=settings.feed_ticket_seconds)


@router.get("/users", response_model=list[UserRead], tags=["users"])
def list_users(who: Who, store: StoreDep) -> list[UserRead]:
    with store.read() as session:
        directory = Directory(session)
        return [service.user_read(u, directory) for u in service.list_users(session, who)]


@router.post("/users", response_model=UserRead, status_code=201, tags=["users"])
def create_user(body: UserCreate, who: Who, store: StoreDep) -> UserRead:
    with store.write() as uow:
        user = service.create_user(uow, who, body)
        return service.user_read(user, Directory(uow.session))


@router.get("/users/{username}", response_model=UserRead, tags=["users"])
def get_user(username: str, who: Who, store: StoreDep) -> UserRead:
    with store.read() as session:
        users = {u.username: u for u in service.list_users(session, who)}
        if username not in users:
            raise not_found()
        return service.user_read(users[username], Directory(session))


@router.patch("/users/{username}", response_model=UserRead, tags=["users"])
def update_user(username: str, body: UserUpdate, who: Who, store: StoreDep) -> UserRead:
    """Change a user; changing role, agency, clearance, password or state revokes their tokens."""
    with store.write() as uow:
        user = service.update_user(uow, who, username, body)
        return service.user_read(user, Directory(uow.session))


@router.get("/agencies", response_model=list[AgencyRead], tags=["reference"])
def list_agencies(who: Who, store: StoreDep, include_inactive: bool = False) -> list[AgencyRead]:
    with store.read() as session:
        return [service.agency_read(a) for a in service.list_agencies(session, include_inactive)]


@router.post("/agencies", response_model=AgencyRead, status_code=201, tags=["reference"])
def create_agency(body: AgencyCreate, who: Who, store: StoreDep) -> AgencyRead:
    with store.write() as uow:
        return service.agency_read(service.create_agency(uow, who, body))


@router.patch("/agencies/{code}", response_model=AgencyRead, tags=["reference"])
def update_agency(code: str, body: AgencyUpdate, who: Who, store: StoreDep) -> AgencyRead:
    with store.write() as uow:
        return service.agency_read(service.update_agency(uow, who, code, body))
