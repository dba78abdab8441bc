"""The visibility rule: clearance covers classification, and own agency or shared with it.

Records a user may not see answer 404 everywhere, and lists, counts and searches leave them out.
"""

from __future__ import annotations

import pytest

SPOT = {"lat": 29.33, "lon": 48.03}


def report(client, actor, **fields):
    r = client.post(
        "/api/v1/incidents", json={"type": "assault", **SPOT, **fields}, headers=actor.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_other_agency_gets_404_on_every_route(client, make_user):
    owner = make_user("dispatcher", "public_security")
    outsider = make_user("dispatcher", "traffic")
    inc = report(client, owner)
    base = f"/api/v1/incidents/{inc['id']}"
    h = outsider.headers
    answers = [
        client.get(base, headers=h),
        client.patch(base, json={"priority": 1}, headers=h),
        client.post(f"{base}/transitions", json={"status": "acknowledged"}, headers=h),
        client.post(f"{base}/notes", json={"text": "x"}, headers=h),
        client.get(f"{base}/timeline", headers=h),
        client.get(f"{base}/assignments", headers=h),
        client.post(f"{base}/shares", json={"agencies": ["traffic"]}, headers=h),
    ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all(a.json()["code"] == "not_found" for a in answers)
    missing = client.get("/api/v1/incidents/999999", headers=h)
    assert missing.status_code == 404 and missing.json() == {
        **missing.json(),
        "code": "not_found",
        "detail": answers[0].json()["detail"],
    }
    assert client.get(base, headers=owner.headers).json()["priority"] == inc["priority"]


def test_lists_counts_and_search_leave_out_what_may_not_be_seen(client, make_user):
    owner = make_user("dispatcher", "public_security")
    outsider = make_user("dispatcher", "traffic")
    report(client, owner, description="مشاجرة في السوق")
    for params in ({}, {"q": "مشاجرة"}, {"status": "reported"}):
        listed = client.get("/api/v1/incidents", params=params, headers=outsider.headers).json()
        assert listed["items"] == []
        count = client.get("/api/v1/incidents/count", params=params, headers=outsider.headers)
        assert count.json()["count"] == 0
    assert client.get("/api/v1/incidents/count", headers=owner.headers).json()["count"] == 1


def test_sharing_grants_sight_and_unsharing_takes_it_back(client, make_user):
    owner = make_user("dispatcher", "public_security")
    joint = make_user("dispatcher", "joint_ops_room")
    inc = report(client, owner)
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=joint.headers).status_code == 404
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/shares",
        json={"agencies": ["joint_ops_room"]},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json()["shared_with"] == ["joint_ops_room"]
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=joint.headers).status_code == 200
    assert client.get("/api/v1/incidents/count", headers=joint.headers).json()["count"] == 1
    r = client.delete(f"/api/v1/incidents/{inc['id']}/shares/joint_ops_room", headers=owner.headers)
    assert r.status_code == 200 and r.json()["shared_with"] == []
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=joint.headers).status_code == 404


def test_only_the_owning_agency_shares(client, make_user):
    owner = make_user("dispatcher", "public_security")
    joint = make_user("dispatcher", "joint_ops_room")
    inc = report(client, owner, share_with=["joint_ops_room"])
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/shares",
        json={"agencies": ["interpol_ncb"]},
        headers=joint.headers,
    )
    assert r.status_code == 403 and r.json()["code"] == "not_owner"


@pytest.mark.parametrize(
    ("clearance", "sees"),
    [("public", False), ("restricted", False), ("confidential", True), ("secret", True)],
)
def test_clearance_must_cover_classification(client, make_user, clearance, sees):
    owner = make_user("dispatcher", "criminal_security", "secret")
    reader = make_user("viewer", "criminal_security", clearance)
    inc = report(client, owner, classification="confidential")
    r = client.get(f"/api/v1/incidents/{inc['id']}", headers=reader.headers)
    assert r.status_code == (200 if sees else 404)
    assert client.get("/api/v1/incidents/count", headers=reader.headers).json()["count"] == int(
        sees
    )


def test_roles_decide_who_may_write(client, make_user):
    viewer = make_user("viewer", "public_security")
    analyst = make_user("analyst", "public_security")
    for actor in (viewer, analyst):
        r = client.post("/api/v1/incidents", json={"type": "theft", **SPOT}, headers=actor.headers)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    field = make_user("field_unit", "public_security")
    inc = report(client, field)
    r = client.patch(f"/api/v1/incidents/{inc['id']}", json={"priority": 1}, headers=field.headers)
    assert r.status_code == 403  # a patrol reports and moves on, it does not re-prioritise


def test_reporting_for_another_agency_keeps_the_reporter_in_sight(client, make_user):
    joint = make_user("dispatcher", "joint_ops_room")
    inc = report(client, joint, agency="traffic", type="traffic_collision")
    assert inc["agency"] == "traffic" and inc["shared_with"] == ["joint_ops_room"]
    traffic = make_user("viewer", "traffic")
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=traffic.headers).status_code == 200
