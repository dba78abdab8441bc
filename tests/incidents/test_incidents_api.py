"""Reporting, updating and moving incidents through their lifecycle."""

from __future__ import annotations

KUWAIT_CITY = {"lat": 29.3759, "lon": 47.9774}


def report(client, actor, **fields):
    body = {"type": "fire", **KUWAIT_CITY, "description": "حريق في مخزن", **fields}
    return client.post("/api/v1/incidents", json=body, headers=actor.headers)


def test_report_incident_takes_type_default_priority_and_reporter_agency(client, make_user):
    dispatcher = make_user("dispatcher", "fire_marine_rescue")
    r = report(client, dispatcher, address="شارع الخليج العربي", area="شرق")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["priority"] == 1  # fire's default
    assert body["status"] == "reported"
    assert body["agency"] == "fire_marine_rescue"
    assert body["classification"] == "restricted"
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"] == f"/api/v1/incidents/{body['id']}"
    got = client.get(f"/api/v1/incidents/{body['id']}", headers=dispatcher.headers)
    assert got.status_code == 200 and got.json()["area"] == "شرق"


def test_incident_moves_through_lifecycle_and_records_times(client, make_user):
    d = make_user("dispatcher", "traffic")
    inc = report(client, d, type="traffic_collision").json()
    for status in ["acknowledged", "dispatched", "on_scene", "resolved", "closed"]:
        r = client.post(
            f"/api/v1/incidents/{inc['id']}/transitions", json={"status": status}, headers=d.headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    final = r.json()
    for column in ["acknowledged_at", "dispatched_at", "on_scene_at", "resolved_at", "closed_at"]:
        assert final[column] is not None
    assert final["next_statuses"] == []
    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=d.headers).json()
    assert [e["data"].get("to") for e in timeline if e["kind"] == "status"][1:] == [
        "acknowledged",
        "dispatched",
        "on_scene",
        "resolved",
        "closed",
    ]


def test_illegal_transition_is_refused_with_bilingual_problem(client, make_user):
    d = make_user("dispatcher", "traffic")
    inc = report(client, d, type="traffic_collision").json()
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/transitions", json={"status": "closed"}, headers=d.headers
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["code"] == "illegal_transition"
    assert "reported" in p["detail"] and "closed" in p["detail"]
    assert "مغلق" in p["detail_ar"]
    assert (
        client.get(f"/api/v1/incidents/{inc['id']}", headers=d.headers).json()["status"]
        == "reported"
    )


def test_cancel_from_any_open_state_but_not_after_resolution(client, make_user):
    d = make_user("dispatcher", "traffic")
    steps = ["acknowledged", "dispatched", "on_scene"]
    for depth in range(len(steps) + 1):
        inc = report(client, d, type="traffic_collision").json()
        for s in steps[:depth]:
            client.post(
                f"/api/v1/incidents/{inc['id']}/transitions", json={"status": s}, headers=d.headers
            )
        r = client.post(
            f"/api/v1/incidents/{inc['id']}/transitions",
            json={"status": "cancelled"},
            headers=d.headers,
        )
        assert r.status_code == 200 and r.json()["cancelled_at"]
    inc = report(client, d, type="traffic_collision").json()
    for s in [*steps, "resolved"]:
        client.post(
            f"/api/v1/incidents/{inc['id']}/transitions", json={"status": s}, headers=d.headers
        )
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/transitions",
        json={"status": "cancelled"},
        headers=d.headers,
    )
    assert r.status_code == 409


def test_stale_etag_gets_412_and_changes_nothing(client, make_user):
    d = make_user()
    inc = report(client, d).json()
    first = client.patch(
        f"/api/v1/incidents/{inc['id']}",
        json={"priority": 2},
        headers={**d.headers, "If-Match": '"1"'},
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch(
        f"/api/v1/incidents/{inc['id']}",
        json={"priority": 4},
        headers={**d.headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 412 and stale.json()["code"] == "etag_mismatch"
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=d.headers).json()["priority"] == 2


def test_malformed_if_match_is_a_400(client, make_user):
    d = make_user()
    inc = report(client, d).json()
    r = client.patch(
        f"/api/v1/incidents/{inc['id']}",
        json={"priority": 2},
        headers={**d.headers, "If-Match": "yesterday"},
    )
    assert r.status_code == 400 and r.json()["code"] == "if_match_invalid"


def test_notes_appear_on_the_timeline(client, make_user):
    d = make_user()
    inc = report(client, d).json()
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/notes", json={"text": "وصلت الدورية"}, headers=d.headers
    )
    assert r.status_code == 201
    kinds = [
        (e["kind"], e["text"])
        for e in client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=d.headers).json()
    ]
    assert ("note", "وصلت الدورية") in kinds


def test_idempotency_key_replays_the_first_answer_and_creates_once(client, make_user):
    d = make_user()
    headers = {**d.headers, "Idempotency-Key": "device-7-report-42"}
    first = (
        report(client, d)
        if False
        else client.post(
            "/api/v1/incidents", json={"type": "theft", **KUWAIT_CITY}, headers=headers
        )
    )
    again = client.post("/api/v1/incidents", json={"type": "theft", **KUWAIT_CITY}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    count = client.get("/api/v1/incidents/count", params={"type": "theft"}, headers=d.headers)
    assert count.json() == {"count": 1}


def test_idempotency_key_reused_for_another_request_is_refused(client, make_user):
    d = make_user()
    headers = {**d.headers, "Idempotency-Key": "k1"}
    client.post("/api/v1/incidents", json={"type": "theft", **KUWAIT_CITY}, headers=headers)
    r = client.post("/api/v1/incidents", json={"type": "burglary", **KUWAIT_CITY}, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    count = client.get("/api/v1/incidents/count", headers=d.headers).json()["count"]
    assert count == 1


def test_classification_above_own_clearance_is_refused(client, make_user):
    d = make_user(clearance="restricted")
    r = report(client, d, classification="secret")
    assert r.status_code == 422 and r.json()["code"] == "classification_above_clearance"
    assert client.get("/api/v1/incidents/count", headers=d.headers).json()["count"] == 0
