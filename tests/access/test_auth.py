"""Signing in and the life of a token: expiry, forgery, logout, disabling and role changes."""

from __future__ import annotations

from datetime import timedelta

import jwt

from tansiq.access.security import issue_token
from tests.conftest import PASSWORD, SECRET


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_login_with_password_form_gives_a_working_bearer_token(client, make_user):
    user = make_user("viewer", "traffic", "restricted")
    r = login(client, user.username)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["agency"] == "traffic" and me.json()["clearance"] == "restricted"


def test_wrong_password_and_unknown_user_get_the_same_401(client, make_user):
    user = make_user()
    wrong = login(client, user.username, "not the password")
    unknown = login(client, "nobody-here", "whatever-password")
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_credentials"
        assert r.json()["detail_ar"]
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_token_is_401_problem(client):
    r = client.get("/api/v1/incidents")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unauthenticated"


def test_forged_token_is_refused(client, make_user):
    user = make_user()
    forged, _ = issue_token(
        "another-key-" + "y" * 40,
        user_id=user.user_id,
        token_version=0,
        lifetime=timedelta(hours=1),
    )
    r = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    garbage = client.get("/api/v1/incidents", headers={"Authorization": "Bearer abc.def.ghi"})
    assert garbage.status_code == 401


def test_unsigned_token_is_refused(client, make_user):
    user = make_user()
    none_alg = jwt.encode(
        {"sub": str(user.user_id), "jti": "x", "iss": "tansiq", "exp": 2**31},
        key=None,
        algorithm="none",
    )
    r = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {none_alg}"})
    assert r.status_code == 401


def test_expired_token_is_refused(client, make_user):
    user = make_user()
    expired, _ = issue_token(
        SECRET, user_id=user.user_id, token_version=0, lifetime=timedelta(seconds=-5)
    )
    r = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


def test_logout_revokes_the_token(client, make_user):
    user = make_user()
    token = login(client, user.username).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    r = client.get("/api/v1/incidents", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_disabled_user_token_stops_working_and_login_is_refused(client, make_user):
    admin = make_user("admin", "systems_information")
    user = make_user("dispatcher", "traffic")
    assert client.get("/api/v1/incidents", headers=user.headers).status_code == 200
    r = client.patch(
        f"/api/v1/users/{user.username}", json={"disabled": True}, headers=admin.headers
    )
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert client.get("/api/v1/incidents", headers=user.headers).status_code == 401
    refused = login(client, user.username)
    assert refused.status_code == 401 and refused.json()["code"] == "user_disabled"


def test_role_change_revokes_tokens_issued_before(client, make_user):
    admin = make_user("admin", "systems_information")
    user = make_user("dispatcher", "traffic")
    client.patch(f"/api/v1/users/{user.username}", json={"role": "viewer"}, headers=admin.headers)
    r = client.get("/api/v1/incidents", headers=user.headers)
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"
    fresh = login(client, user.username).json()["access_token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"}).json()
    assert me["role"] == "viewer"


def test_only_admins_create_users(client, make_user):
    supervisor = make_user("supervisor", "traffic")
    body = {
        "username": "new.user",
        "password": "a long enough password",
        "role": "viewer",
        "agency": "traffic",
    }
    r = client.post("/api/v1/users", json=body, headers=supervisor.headers)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    admin = make_user("admin", "systems_information")
    assert client.post("/api/v1/users", json=body, headers=admin.headers).status_code == 201
    dup = client.post("/api/v1/users", json=body, headers=admin.headers)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate"


def test_language_preference_is_remembered(client, make_user):
    user = make_user()
    r = client.put("/api/v1/auth/me/language", json={"language": "en"}, headers=user.headers)
    assert r.status_code == 204
    assert client.get("/api/v1/auth/me", headers=user.headers).json()["language"] == "en"
