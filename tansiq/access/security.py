"""Password hashing (argon2id) and signed access tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tansiq.errors import Problem

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
ALGORITHM = "HS256"
ISSUER = "tansiq"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this when the user does not exist keeps the timing of both answers alike.
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    jti: str
    token_version: int
    expires_at: datetime
    purpose: str


def issue_token(
    key: str, *, user_id: int, token_version: int, lifetime: timedelta, purpose: str = "access"
) -> tuple[str, TokenClaims]:
    now = datetime.now(UTC)
    claims = TokenClaims(user_id, secrets.token_urlsafe(16), token_version, now + lifetime, purpose)
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(user_id),
        "jti": claims.jti,
        "tv": token_version,
        "pur": purpose,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def decode_token(key: str, token: str, purpose: str = "access") -> TokenClaims:
    """Check signature, expiry, issuer and purpose; raise a 401 problem otherwise."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "jti", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Problem(401, "token_expired", headers=_CHALLENGE) from None
    except jwt.PyJWTError:
        raise Problem(401, "invalid_token", headers=_CHALLENGE) from None
    if payload.get("pur", "access") != purpose:
        raise Problem(401, "invalid_token", headers=_CHALLENGE)
    try:
        return TokenClaims(
            int(payload["sub"]),
            str(payload["jti"]),
            int(payload.get("tv", 0)),
            datetime.fromtimestamp(int(payload["exp"]), UTC),
            purpose,
        )
    except (TypeError, ValueError):
        raise Problem(401, "invalid_token", headers=_CHALLENGE) from None


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tansiq"'}
CHALLENGE = _CHALLENGE
