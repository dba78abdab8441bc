"""Checked tokens are cached briefly; revocations still take effect, in every server process."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from tansiq.access import service as access
from tansiq.access.models import Clearance, Role
from tansiq.access.policy import Principal
from tansiq.access.principals import PrincipalCache
from tansiq.access.schemas import UserUpdate
from tansiq.app import create_app
from tansiq.events.types import Audience, Event
from tansiq.store.base import utcnow


def _principal(user_id: int) -> Principal:
    return Principal(user_id, f"u{user_id}", Role.DISPATCHER, 1, Clearance.SECRET)


def test_an_entry_is_never_trusted_past_the_token_expiry():
    cache = PrincipalCache(seconds=60)
    cache.put("expiring", _principal(1), expires_at=time.time() - 0.01)
    cache.put("fresh", _principal(2), expires_at=time.time() + 3600)
    assert cache.get("expiring") is None
    assert cache.get("fresh") == _principal(2)


def test_zero_seconds_turns_the_cache_off():
    cache = PrincipalCache(seconds=0)
    cache.put("t", _principal(1), expires_at=time.time() + 3600)
    assert cache.get("t") is None


@pytest.mark.parametrize("kind", ["user.access_changed", "auth.token_revoked"])
def test_an_access_event_forgets_only_that_users_tokens(kind):
    cache = PrincipalCache(seconds=60)
    for token, user in (("a1", 1), ("a2", 1), ("b", 2)):
        cache.put(token, _principal(user), expires_at=time.time() + 3600)
    cache.on_events([Event(1, kind, utcnow(), "user", "1", {"user_id": 1}, Audience(0))])
    assert cache.get("a1") is None and cache.get("a2") is None
    assert cache.get("b") == _principal(2)


def test_a_user_disabled_by_another_process_is_refused_before_the_cache_expires(
    settings, store, make_user
):
    """The CLI (or a second server process) writes only to the database: the hub reads the
    access event from the log and the cached token stops working within its poll interval."""
    settings = settings.model_copy(update={"principal_cache_seconds": 60})
    user = make_user("dispatcher", "traffic")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/incidents", headers=user.headers).status_code == 200
        with store.write() as uow:  # another Store: no hook of the app's runs on this commit
            access.update_user(uow, None, user.username, UserUpdate(disabled=True))
        deadline = time.monotonic() + 5
        status = 200
        while status == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
            status = client.get("/api/v1/incidents", headers=user.headers).status_code
        assert status == 401
