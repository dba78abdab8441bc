"""Routes for signing in, the signed-in user, users and agencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from tansiq.access import service
from tansiq.access.directory import Directory
from tansiq.access.models import Clearance, User
from tansiq.access.schemas import (
    AgencyCreate,
    AgencyRead,
    AgencyUpdate,
    FeedTicket,
    LanguagePreference,
    Me,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tansiq.access.security import TokenClaims
from tansiq.api.deps import SettingsDep, StoreDep, Who, token_claims
from tansiq.errors import not_found

router = APIRouter(prefix="/api/v1")


@router.post("/auth/token", response_model=TokenResponse, tags=["auth"])
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], store: StoreDep, settings: SettingsDep
) -> TokenResponse:
    """Exchange a username and password (OAuth2 password form) for a bearer token."""
    with store.write() as uow:
        user = service.authenticate(uow, form.username, form.password)
        token, _ = service.issue_access_token(
            settings.signing_key, user, settings.access_token_minutes
        )
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
def logout(
    who: Who, store: StoreDep, claims: Annotated[TokenClaims, Depends(token_claims)]
) -> Response:
    """Revoke the token this request was made with."""
    with store.write() as uow:
        service.revoke(uow, claims)
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
