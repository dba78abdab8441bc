"""Signing in, tokens, users and agencies."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Agency, Clearance, RevokedToken, Role, User
from tansiq.access.policy import Permission, Principal
from tansiq.access.schemas import (
    AgencyCreate,
    AgencyRead,
    AgencyUpdate,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)
from tansiq.access.security import (
    CHALLENGE,
    TokenClaims,
    decode_token,
    hash_password,
    issue_token,
    needs_rehash,
    verify_password,
)
from tansiq.audit import context
from tansiq.config import Settings
from tansiq.errors import Problem, not_found
from tansiq.events.types import Audience, PendingEvent
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork

PUBLIC = Audience()


def require(who: Principal, permission: Permission) -> None:
    if not who.can(permission):
        raise Problem(403, "forbidden", permission=permission.value)


def principal_of(user: User) -> Principal:
    return Principal(
        user.id, user.username, Role(user.role), user.agency_id, Clearance(user.clearance)
    )


# --- signing in and tokens ---------------------------------------------------------------------


def authenticate(uow: UnitOfWork, username: str, password: str) -> User:
    user = uow.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise Problem(401, "invalid_credentials", headers=CHALLENGE)
    if user.disabled:
        raise Problem(401, "user_disabled", headers=CHALLENGE)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def issue_access_token(key: str, user: User, minutes: int) -> tuple[str, TokenClaims]:
    return issue_token(
        key, user_id=user.id, token_version=user.token_version, lifetime=timedelta(minutes=minutes)
    )


def token_pair(settings: Settings, user: User) -> TokenResponse:
    """A short-lived access token and a longer-lived refresh token, rotated on every use."""
    access, _ = issue_access_token(settings.signing_key, user, settings.access_token_minutes)
    refresh_token, _ = issue_token(
        settings.signing_key,
        user_id=user.id,
        token_version=user.token_version,
        lifetime=timedelta(hours=settings.refresh_token_hours),
        purpose="refresh",
    )
    return TokenResponse(
        access_token=access,
        expires_in=settings.access_token_minutes * 60,
        refresh_token=refresh_token,
        refresh_expires_in=settings.refresh_token_hours * 3600,
    )


def refresh(uow: UnitOfWork, settings: Settings, token: str) -> TokenResponse | None:
    """Exchange a refresh token for a new pair, revoking it. None means the token was already
    used: someone holds a copy, so every session of the user is ended (and that is audited)."""
    claims = decode_token(settings.signing_key, token, "refresh")
    session = uow.session
    reused = session.execute(select(exists().where(RevokedToken.jti == claims.jti))).scalar()
    user = session.get(User, claims.user_id)
    if user is None or user.disabled:
        raise Problem(401, "user_disabled" if user else "invalid_token", headers=CHALLENGE)
    context.get().principal = principal_of(user)
    if reused:
        user.token_version += 1
        uow.audit("auth.refresh_reused", record_type="users", record_id=user.id)
        uow.emit(_access_changed(user.id))
        return None
    if user.token_version != claims.token_version:
        raise Problem(401, "token_revoked", headers=CHALLENGE)
    revoke(uow, claims)
    uow.audit("auth.refresh", record_type="users", record_id=user.id)
    return token_pair(settings, user)


def issue_feed_ticket(key: str, who: Principal, token_version: int, seconds: int) -> str:
    token, _ = issue_token(
        key,
        user_id=who.user_id,
        token_version=token_version,
        lifetime=timedelta(seconds=seconds),
        purpose="feed",
    )
    return token


def principal_for_token(
    session: Session, key: str, token: str, purpose: str = "access"
) -> Principal:
    """The principal behind a token, or a 401 problem if it is forged, expired or revoked."""
    return check_token(session, key, token, purpose)[0]


def check_token(
    session: Session, key: str, token: str, purpose: str = "access"
) -> tuple[Principal, TokenClaims]:
    """Like `principal_for_token`, with the token's claims (its expiry bounds any caching)."""
    claims = decode_token(key, token, purpose)
    user = session.get(User, claims.user_id)
    if user is None:
        raise Problem(401, "invalid_token", headers=CHALLENGE)
    if user.disabled:
        raise Problem(401, "user_disabled", headers=CHALLENGE)
    if user.token_version != claims.token_version:
        raise Problem(401, "token_revoked", headers=CHALLENGE)
    if session.execute(select(exists().where(RevokedToken.jti == claims.jti))).scalar():
        raise Problem(401, "token_revoked", headers=CHALLENGE)
    return principal_of(user), claims


def revoke(uow: UnitOfWork, claims: TokenClaims) -> None:
    uow.session.merge(RevokedToken(jti=claims.jti, expires_at=claims.expires_at))
    cleanup_revoked(uow.session, utcnow())
    if claims.purpose == "access":  # every server process must stop trusting it (no audience)
        uow.emit(
            PendingEvent(
                "auth.token_revoked",
                "user",
                str(claims.user_id),
                {"user_id": claims.user_id},
                Audience(0, frozenset()),
            )
        )


# --- users -------------------------------------------------------------------------------------


def user_read(user: User, directory: Directory) -> UserRead:
    return UserRead(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        agency=directory.agency_code(user.agency_id),
        clearance=Clearance(user.clearance).label,
        language=user.language,
        disabled=user.disabled,
        created_at=user.created_at,
    )


def create_user(uow: UnitOfWork, who: Principal | None, data: UserCreate) -> User:
    """Create a user; `who` is None only for the installer and the CLI run by the operator."""
    if who is not None:
        require(who, Permission.USER_ADMIN)
    session = uow.session
    if session.execute(select(exists().where(User.username == data.username))).scalar():
        raise Problem(409, "duplicate", field="username", value=data.username)
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role.value,
        password_hash=hash_password(data.password),
        agency_id=Directory(session).agency_id(data.agency),
        clearance=int(Clearance.parse(data.clearance)),
        language=data.language,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise not_found()
    return user


def update_user(uow: UnitOfWork, who: Principal | None, username: str, data: UserUpdate) -> User:
    if who is not None:
        require(who, Permission.USER_ADMIN)
    user = get_user(uow.session, username)
    if who is not None and data.disabled and user.id == who.user_id:
        raise Problem(409, "cannot_disable_self")
    access_changed = False
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.language is not None:
        user.language = data.language
    if data.role is not None and data.role.value != user.role:
        user.role, access_changed = data.role.value, True
    if data.agency is not None:
        agency_id = Directory(uow.session).agency_id(data.agency)
        access_changed |= agency_id != user.agency_id
        user.agency_id = agency_id
    if data.clearance is not None:
        clearance = int(Clearance.parse(data.clearance))
        access_changed |= clearance != user.clearance
        user.clearance = clearance
    if data.disabled is not None and data.disabled != user.disabled:
        user.disabled, access_changed = data.disabled, True
    if data.password is not None:
        user.password_hash, access_changed = hash_password(data.password), True
    if access_changed:
        # Every token issued before now stops working, and open feeds of this user are closed.
        user.token_version += 1
        uow.audit(
            "users.permission_change",
            record_type="users",
            record_id=user.id,
            after={
                "role": user.role,
                "agency_id": user.agency_id,
                "clearance": user.clearance,
                "disabled": user.disabled,
            },
        )
        uow.emit(_access_changed(user.id))
    return user


def _access_changed(user_id: int) -> PendingEvent:
    # Seen by nobody: it closes the user's open feeds and empties principal caches.
    return PendingEvent(
        "user.access_changed", "user", str(user_id), {"user_id": user_id}, Audience(0, frozenset())
    )


def list_users(session: Session, who: Principal) -> list[User]:
    if not (who.can(Permission.USER_ADMIN) or who.can(Permission.USER_LIST)):
        raise Problem(403, "forbidden", permission=Permission.USER_LIST.value)
    stmt = select(User).order_by(User.username)
    if not who.can(Permission.USER_ADMIN):
        stmt = stmt.where(User.agency_id == who.agency_id)  # supervisors see their own agency
    return list(session.execute(stmt).scalars())


# --- agencies ----------------------------------------------------------------------------------


def agency_read(agency: Agency) -> AgencyRead:
    return AgencyRead.model_validate(agency, from_attributes=True)


def list_agencies(session: Session, include_inactive: bool = False) -> list[Agency]:
    stmt = select(Agency).order_by(Agency.id)
    if not include_inactive:
        stmt = stmt.where(Agency.active)
    return list(session.execute(stmt).scalars())


def create_agency(uow: UnitOfWork, who: Principal | None, data: AgencyCreate) -> Agency:
    if who is not None:
        require(who, Permission.REFERENCE_ADMIN)
    if uow.session.execute(select(exists().where(Agency.code == data.code))).scalar():
        raise Problem(409, "duplicate", field="code", value=data.code)
    agency = Agency(
        code=data.code, name_en=data.name_en, name_ar=data.name_ar, kind=data.kind.value
    )
    uow.session.add(agency)
    uow.session.flush()
    uow.emit(
        PendingEvent(
            "agency.created",
            "agency",
            agency.code,
            agency_read(agency).model_dump(mode="json"),
            PUBLIC,
        )
    )
    return agency


def update_agency(uow: UnitOfWork, who: Principal, code: str, data: AgencyUpdate) -> Agency:
    require(who, Permission.REFERENCE_ADMIN)
    agency = uow.session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None:
        raise not_found()
    for field, value in data.model_dump(exclude_none=True).items():
        setattr(agency, field, value)
    uow.emit(
        PendingEvent(
            "agency.updated",
            "agency",
            agency.code,
            agency_read(agency).model_dump(mode="json"),
            PUBLIC,
        )
    )
    return agency


def cleanup_revoked(session: Session, now: datetime) -> None:
    """Expired tokens fail on their own; forget them so the table stays small."""
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
