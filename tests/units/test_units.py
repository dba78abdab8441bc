"""Units: registration, status and position reports, assignment and release."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from tansiq.access.models import User
from tansiq.access.service import principal_of
from tansiq.errors import Problem
from tansiq.units import assignments
from tansiq.units.models import Assignment


def register(client, actor, callsign="PS-01", **fields):
    r = client.post(
        "/api/v1/units",
        json={"callsign": callsign, "type": "patrol_car", **fields},
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def report(client, actor, **fields):
    r = client.post(
        "/api/v1/incidents",
        json={"type": "theft", "lat": 29.37, "lon": 47.98, **fields},
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_register_unit_and_refuse_duplicate_callsign(client, make_user):
    d = make_user()
    unit = register(client, d, lat=29.3, lon=48.0)
    assert unit["status"] == "available" and unit["agency"] == "public_security"
    dup = client.post(
        "/api/v1/units", json={"callsign": "PS-01", "type": "patrol_car"}, headers=d.headers
    )
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate"
    unknown = client.post(
        "/api/v1/units", json={"callsign": "X", "type": "submarine"}, headers=d.headers
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_reference"


def test_assign_and_release_move_unit_and_incident(client, make_user):
    d = make_user()
    unit = register(client, d)
    inc = report(client, d)
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    assert r.status_code == 201, r.text
    assignment = r.json()
    assert assignment["active"] and assignment["callsign"] == "PS-01"
    incident = client.get(f"/api/v1/incidents/{inc['id']}", headers=d.headers).json()
    assert incident["status"] == "dispatched" and incident["acknowledged_at"]
    got = client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()
    assert got["status"] == "dispatched" and got["active_assignment"]["id"] == assignment["id"]
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments/{assignment['id']}/release", headers=d.headers
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert (
        client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()["status"] == "available"
    )
    again = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments/{assignment['id']}/release", headers=d.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "assignment_not_active"


def test_unit_holds_one_active_assignment(client, make_user):
    d = make_user()
    unit = register(client, d)
    first, second = report(client, d), report(client, d)
    ok = client.post(
        f"/api/v1/incidents/{first['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    assert ok.status_code == 201
    busy = client.post(
        f"/api/v1/incidents/{second['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    assert busy.status_code == 409 and busy.json()["code"] == "unit_busy"
    assert (
        client.get(f"/api/v1/incidents/{second['id']}", headers=d.headers).json()["status"]
        == "reported"
    )


def test_two_dispatchers_assigning_the_same_unit_at_once_get_one_assignment(
    client, make_user, store
):
    d = make_user()
    unit = register(client, d)
    incidents = [report(client, d) for _ in range(2)]
    with store.read() as session:
        who = principal_of(session.get(User, d.user_id))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def dispatch(incident_id: int) -> None:
        barrier.wait()
        try:
            with store.write() as uow:
                assignments.assign(uow, who, incident_id, unit["id"])
            outcomes.append("assigned")
        except Problem as problem:
            outcomes.append(problem.code)

    threads = [threading.Thread(target=dispatch, args=(i["id"],)) for i in incidents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["assigned", "unit_busy"]
    listed = [
        client.get(f"/api/v1/incidents/{i['id']}/assignments", headers=d.headers).json()
        for i in incidents
    ]
    assert sum(len(x) for x in listed) == 1


def test_database_refuses_a_second_active_assignment_whatever_the_code_does(
    client, make_user, store
):
    d = make_user()
    unit = register(client, d)
    a, b = report(client, d), report(client, d)
    client.post(
        f"/api/v1/incidents/{a['id']}/assignments", json={"unit_id": unit["id"]}, headers=d.headers
    )
    with pytest.raises(IntegrityError), store.write() as uow:
        uow.session.execute(
            insert(Assignment).values(
                incident_id=b["id"],
                unit_id=unit["id"],
                assigned_by=d.user_id,
                assigned_at=datetime.now(UTC),
            )
        )


def test_closing_an_incident_releases_its_units(client, make_user):
    d = make_user()
    unit = register(client, d)
    inc = report(client, d)
    client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/transitions",
        json={"status": "cancelled"},
        headers=d.headers,
    )
    assert r.status_code == 200
    assert (
        client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()["status"] == "available"
    )
    closed = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    assert closed.status_code == 409 and closed.json()["code"] == "incident_not_open"


def test_status_reports_follow_the_assignment(client, make_user):
    d = make_user()
    unit = register(client, d)
    url = f"/api/v1/units/{unit['id']}/status"
    bad = client.post(url, json={"status": "on_scene"}, headers=d.headers)
    assert bad.status_code == 409 and bad.json()["code"] == "invalid_unit_status"
    assert client.post(url, json={"status": "out_of_service"}, headers=d.headers).status_code == 200
    inc = report(client, d)
    refused = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    assert refused.status_code == 409 and refused.json()["code"] == "unit_not_available"
    client.post(url, json={"status": "available"}, headers=d.headers)
    client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=d.headers,
    )
    for status in ("en_route", "on_scene"):
        assert client.post(url, json={"status": status}, headers=d.headers).status_code == 200
    assert client.post(url, json={"status": "off_duty"}, headers=d.headers).status_code == 409


def test_position_reports_update_the_unit_and_ignore_late_fixes(client, make_user):
    d = make_user()
    unit = register(client, d)
    url = f"/api/v1/units/{unit['id']}/position"
    now = datetime.now(UTC)
    r = client.post(
        url, json={"lat": 29.1, "lon": 48.1, "at": now.isoformat(), "speed": 10}, headers=d.headers
    )
    assert r.status_code == 202
    late = (now - timedelta(minutes=1)).isoformat()
    assert (
        client.post(url, json={"lat": 1, "lon": 1, "at": late}, headers=d.headers).status_code
        == 202
    )
    got = client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()
    assert (got["lat"], got["lon"], got["speed"]) == (29.1, 48.1, 10)


@pytest.mark.parametrize(
    "fix",
    [
        {"lat": 91, "lon": 48},
        {"lat": 29, "lon": -181},
        {"lat": "north", "lon": 48},
        {"lat": 29},
        {"lat": 29, "lon": 48, "heading": 400},
        {"lat": 29, "lon": 48, "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
        {"lat": 29, "lon": 48, "at": "2026-01-01T10:00:00"},
    ],
)
def test_bad_position_reports_are_refused_and_change_nothing(client, make_user, fix):
    d = make_user()
    unit = register(client, d, lat=29.3, lon=48.0)
    r = client.post(f"/api/v1/units/{unit['id']}/position", json=fix, headers=d.headers)
    assert r.status_code == 422 and r.json()["errors"]
    got = client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()
    assert (got["lat"], got["lon"]) == (29.3, 48.0)


def test_units_of_other_agencies_are_invisible_unless_shared(client, make_user):
    owner = make_user("dispatcher", "fire_marine_rescue")
    joint = make_user("viewer", "joint_ops_room")
    hidden = register(client, owner, callsign="FE-1", type="fire_engine")
    shared = register(
        client, owner, callsign="FE-2", type="fire_engine", share_with=["joint_ops_room"]
    )
    listed = client.get("/api/v1/units", headers=joint.headers).json()["items"]
    assert [u["id"] for u in listed] == [shared["id"]]
    assert client.get(f"/api/v1/units/{hidden['id']}", headers=joint.headers).status_code == 404


def test_stale_etag_on_a_unit_update_gets_412_and_changes_nothing(client, make_user):
    d = make_user()
    unit = register(client, d)
    url = f"/api/v1/units/{unit['id']}"
    ok = client.patch(url, json={"callsign": "PS-77"}, headers={**d.headers, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"callsign": "PS-99"}, headers={**d.headers, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["code"] == "etag_mismatch"
    assert client.get(url, headers=d.headers).json()["callsign"] == "PS-77"
