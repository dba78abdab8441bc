"""What the trail records beyond row changes: sign-ins, lockouts, refreshes, classified reads and
feed deliveries; and who may read the trail."""

from __future__ import annotations

import json
import time

from sqlalchemy import select
from websockets.sync.client import connect

from tansiq.audit.models import AuditEntry
from tests.conftest import PASSWORD

SPOT = {"lat": 29.37, "lon": 47.98}


def actions(store, **where):
    with store.read() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.seq)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, key) == value)
        return list(session.execute(stmt).scalars())


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_sign_in_failure_logout_and_refresh_are_recorded(client, make_user, store):
    user = make_user("dispatcher", "traffic")
    assert login(client, user.username, "wrong password").status_code == 401
    pair = login(client, user.username).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    fresh = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert fresh.status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    recorded = [(e.action, e.actor) for e in actions(store) if e.action.startswith("auth.")]
    assert recorded == [
        ("auth.login_failed", user.username),
        ("auth.login", user.username),
        ("auth.refresh", user.username),
        ("auth.logout", user.username),
    ]
    (failed,) = actions(store, action="auth.login_failed")
    assert failed.after == {"username": user.username, "reason": "invalid_credentials"}
    assert failed.client and failed.actor_id is None


def test_repeated_failures_lock_the_account_and_are_audited(client, make_user, store):
    user = make_user("dispatcher", "traffic")
    for _ in range(5):
        assert login(client, user.username, "wrong password").status_code == 401
    locked = login(client, user.username)  # even the right password, while locked
    assert locked.status_code == 429 and locked.json()["code"] == "login_locked"
    assert int(locked.headers["Retry-After"]) > 0 and locked.json()["detail_ar"]
    (lockout,) = actions(store, action="auth.lockout")
    assert lockout.after == {"username": user.username, "scope": "account"}
    other = make_user("viewer", "traffic")
    assert login(client, other.username).status_code == 200  # the address is not locked yet


def test_many_failures_from_one_address_lock_the_address(client, make_user, settings):
    settings.login_address_failures = 6
    users = [make_user("viewer", "traffic") for _ in range(3)]
    for user in users:
        for _ in range(2):
            login(client, user.username, "wrong password")
    fresh = make_user("viewer", "traffic")
    r = login(client, fresh.username)
    assert r.status_code == 429 and r.json()["code"] == "login_locked"


def test_a_refresh_token_works_once_and_its_reuse_ends_every_session(client, make_user):
    user = make_user("dispatcher", "traffic")
    pair = login(client, user.username).json()
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200
    new_access = first.json()["access_token"]
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "token_revoked"
    r = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {new_access}"})
    assert r.status_code == 401  # a stolen copy was used: all of this user's tokens are void
    access_as_refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": new_access})
    assert access_as_refresh.status_code == 401


def test_reads_of_confidential_records_are_recorded_and_routine_ones_are_not(
    client, make_user, store
):
    d = make_user("dispatcher", "criminal_security")
    secret = client.post(
        "/api/v1/incidents",
        json={"type": "robbery", **SPOT, "classification": "confidential"},
        headers=d.headers,
    ).json()
    routine = client.post(
        "/api/v1/incidents", json={"type": "theft", **SPOT}, headers=d.headers
    ).json()
    client.get(f"/api/v1/incidents/{secret['id']}", headers=d.headers)
    client.get(f"/api/v1/incidents/{routine['id']}", headers=d.headers)
    client.get("/api/v1/incidents", headers=d.headers)
    reads = [
        (e.action, e.record_id, e.actor)
        for e in actions(store)
        if e.action.startswith("incidents.") and e.action.endswith(("read", "search_hit"))
    ]
    assert reads == [
        ("incidents.read", str(secret["id"]), d.username),
        ("incidents.search_hit", str(secret["id"]), d.username),
    ]


def test_feed_deliveries_of_classified_events_are_recorded(live_server, make_user, store):
    import httpx

    d = make_user("dispatcher", "criminal_security")
    with connect(f"ws://{live_server}/api/v1/feed", additional_headers=d.headers) as conn:
        time.sleep(0.2)
        with httpx.Client(base_url=f"http://{live_server}") as http:
            secret = http.post(
                "/api/v1/incidents",
                json={"type": "robbery", **SPOT, "classification": "secret"},
                headers=d.headers,
            ).json()
        msg = json.loads(conn.recv(timeout=10))
        assert msg["data"]["incident"]["id"] == secret["id"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        delivered = actions(store, action="feed.delivered")
        if delivered:
            break
        time.sleep(0.1)
    (entry,) = delivered
    assert (entry.actor, entry.record_id, entry.after["seq"]) == (
        d.username,
        str(secret["id"]),
        msg["seq"],
    )


def test_only_supervisors_and_admins_read_the_trail_and_supervisors_only_their_agency(
    client, make_user
):
    traffic = make_user("dispatcher", "traffic")
    fire = make_user("dispatcher", "fire_marine_rescue")
    for actor, type_ in ((traffic, "traffic_collision"), (fire, "fire")):
        client.post("/api/v1/incidents", json={"type": type_, **SPOT}, headers=actor.headers)
    assert client.get("/api/v1/audit", headers=traffic.headers).status_code == 403
    supervisor = make_user("supervisor", "traffic")
    seen = client.get(
        "/api/v1/audit", params={"action": "incidents.insert"}, headers=supervisor.headers
    ).json()["items"]
    assert [e["actor"] for e in seen] == [traffic.username]
    admin = make_user("admin", "systems_information")
    everything = client.get(
        "/api/v1/audit", params={"action": "incidents.insert"}, headers=admin.headers
    ).json()["items"]
    assert {e["actor"] for e in everything} == {traffic.username, fire.username}
    by_actor = client.get(
        "/api/v1/audit", params={"actor": fire.username}, headers=admin.headers
    ).json()["items"]
    assert by_actor and all(e["actor"] == fire.username for e in by_actor)
    export = client.get(
        "/api/v1/audit/export", params={"action": "incidents.insert"}, headers=admin.headers
    )
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [e["seq"] for e in lines] == sorted(e["seq"] for e in everything)
    assert client.get("/api/v1/audit/verify", headers=admin.headers).json()["ok"] is True
    assert client.get("/api/v1/audit/anchor", headers=supervisor.headers).json()["seq"] > 0


def test_audit_pages_and_time_filters(client, make_user):
    admin = make_user("admin", "systems_information")
    for _ in range(5):
        client.post("/api/v1/incidents", json={"type": "theft", **SPOT}, headers=admin.headers)
    page = client.get("/api/v1/audit", params={"limit": 2}, headers=admin.headers).json()
    rest = client.get(
        "/api/v1/audit", params={"limit": 100, "cursor": page["next_cursor"]}, headers=admin.headers
    ).json()
    seqs = [e["seq"] for e in page["items"] + rest["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    naive = client.get(
        "/api/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=admin.headers
    )
    assert naive.status_code == 422
