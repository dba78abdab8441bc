"""Declaring emergencies, their lifecycle, who sees them, linked incidents and casualties."""

from __future__ import annotations

from tansiq.emergencies.models import CasualtyReport, EmergencyIncident
from tansiq.emergencies.schemas import EmergencyCreate

from .conftest import INSIDE, OUTSIDE, count, declare, events, report


def test_declared_emergency_starts_as_draft_led_by_the_declarers_agency(client, dispatcher, store):
    r = declare(client, dispatcher, participating_agencies=["public_security", "traffic"])
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["status"] == "draft" and e["next_statuses"] == ["active", "closed"]
    assert e["lead_agency"] == "civil_defence"
    assert e["participating_agencies"] == ["public_security", "traffic"]
    assert e["areas"][0]["name"] == "Sharq" and e["source"] == "manual"
    assert r.headers["ETag"] == '"1"'
    declared = events(store, "emergency.declared")
    assert len(declared) == 1 and declared[0].data["emergency"]["title_ar"] == "سيول في العاصمة"


def test_emergency_goes_draft_active_closed_and_no_further(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    url = f"/api/v1/emergencies/{e['id']}"
    active = client.post(
        f"{url}/transitions", json={"status": "active"}, headers=dispatcher.headers
    )
    assert active.status_code == 200 and active.json()["activated_at"] is not None
    closed = client.post(
        f"{url}/transitions",
        json={"status": "closed", "note": "stand down"},
        headers=dispatcher.headers,
    )
    assert closed.status_code == 200 and closed.json()["closed_at"] is not None
    again = client.post(f"{url}/transitions", json={"status": "active"}, headers=dispatcher.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "emergency_illegal_transition"
    assert "«منتهية»" in again.json()["detail_ar"]
    assert [ev.type for ev in events(store, "emergency.")][-2:] == [
        "emergency.activated",
        "emergency.closed",
    ]
    kinds = [
        t["data"].get("to")
        for t in client.get(f"{url}/timeline", headers=dispatcher.headers).json()
    ]
    assert kinds == [None, "active", "closed"]
    # A stood-down emergency takes no more changes.
    r = client.patch(url, json={"severity": "minor"}, headers=dispatcher.headers)
    assert r.status_code == 409 and r.json()["code"] == "emergency_closed"


def test_change_with_a_stale_etag_is_refused(client, dispatcher):
    e = declare(client, dispatcher).json()
    url = f"/api/v1/emergencies/{e['id']}"
    ok = client.patch(
        url, json={"severity": "extreme"}, headers={**dispatcher.headers, "If-Match": '"1"'}
    )
    assert ok.status_code == 200 and ok.json()["severity"] == "extreme"
    stale = client.patch(
        url, json={"severity": "minor"}, headers={**dispatcher.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412


def test_participating_agencies_see_the_emergency_and_others_do_not(client, make_user):
    lead = make_user("dispatcher", "civil_defence")
    fire = make_user("viewer", "fire_marine_rescue")
    traffic = make_user("viewer", "traffic")
    e = declare(client, lead, participating_agencies=["fire_marine_rescue"]).json()
    url = f"/api/v1/emergencies/{e['id']}"
    assert client.get(url, headers=fire.headers).status_code == 200
    assert client.get(url, headers=traffic.headers).status_code == 404
    assert [
        x["id"] for x in client.get("/api/v1/emergencies", headers=traffic.headers).json()["items"]
    ] == []
    added = client.post(f"{url}/participants", json={"agencies": ["traffic"]}, headers=lead.headers)
    assert sorted(added.json()["participating_agencies"]) == ["fire_marine_rescue", "traffic"]
    assert client.get(url, headers=traffic.headers).status_code == 200
    client.delete(f"{url}/participants/fire_marine_rescue", headers=lead.headers)
    assert client.get(url, headers=fire.headers).status_code == 404


def test_a_classified_emergency_is_hidden_from_lower_clearance(client, make_user):
    lead = make_user("dispatcher", "civil_defence", clearance="secret")
    low = make_user("viewer", "civil_defence", clearance="restricted")
    e = declare(client, lead, classification="confidential").json()
    assert client.get(f"/api/v1/emergencies/{e['id']}", headers=low.headers).status_code == 404


def test_viewers_cannot_declare_or_change(client, make_user, store):
    viewer = make_user("viewer", "civil_defence")
    r = declare(client, viewer)
    assert r.status_code == 403 and r.json()["detail_ar"]


def test_incidents_inside_an_area_are_suggested_and_linked_ones_are_not(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    inside = report(client, dispatcher, INSIDE)
    report(client, dispatcher, OUTSIDE)
    # In the bounding box of a triangle but outside the triangle itself.
    tri = {
        "type": "Polygon",
        "coordinates": [[[47.5, 29.0], [47.6, 29.0], [47.5, 29.1], [47.5, 29.0]]],
    }
    client.post(
        f"/api/v1/emergencies/{e['id']}/areas", json={"geometry": tri}, headers=dispatcher.headers
    )
    corner = report(client, dispatcher, {"lon": 47.59, "lat": 29.09})
    url = f"/api/v1/emergencies/{e['id']}"
    suggested = client.get(f"{url}/incident-suggestions", headers=dispatcher.headers).json()
    assert [s["incident_id"] for s in suggested] == [inside["id"]]
    assert suggested[0]["area_ids"] == [e["areas"][0]["id"]]
    assert corner["id"] not in [s["incident_id"] for s in suggested]
    linked = client.post(
        f"{url}/incidents", json={"incident_ids": [inside["id"]]}, headers=dispatcher.headers
    )
    assert linked.json() == {"linked": [inside["id"]]}
    assert client.get(f"{url}/incident-suggestions", headers=dispatcher.headers).json() == []
    assert [
        i["incident_id"] for i in client.get(f"{url}/incidents", headers=dispatcher.headers).json()
    ] == [inside["id"]]
    again = client.post(
        f"{url}/incidents", json={"incident_ids": [inside["id"]]}, headers=dispatcher.headers
    )
    assert again.json() == {"linked": []}
    assert (
        client.delete(f"{url}/incidents/{inside['id']}", headers=dispatcher.headers).status_code
        == 200
    )
    assert count(store, EmergencyIncident) == 0


def test_suggestions_leave_out_incidents_the_caller_may_not_see(client, make_user):
    lead = make_user("dispatcher", "civil_defence")
    other = make_user("dispatcher", "criminal_security")
    e = declare(client, lead).json()
    report(client, other, INSIDE, type="burglary")
    assert (
        client.get(
            f"/api/v1/emergencies/{e['id']}/incident-suggestions", headers=lead.headers
        ).json()
        == []
    )


def test_linking_a_hidden_incident_links_nothing(client, make_user, store):
    lead = make_user("dispatcher", "civil_defence")
    other = make_user("dispatcher", "criminal_security")
    e = declare(client, lead).json()
    mine = report(client, lead, INSIDE)
    hidden = report(client, other, INSIDE, type="burglary")
    r = client.post(
        f"/api/v1/emergencies/{e['id']}/incidents",
        json={"incident_ids": [mine["id"], hidden["id"]]},
        headers=lead.headers,
    )
    assert r.status_code == 404
    assert count(store, EmergencyIncident) == 0


def test_casualty_reports_are_kept_and_refuse_bad_figures(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    url = f"/api/v1/emergencies/{e['id']}/casualties"
    ok = client.post(
        url, json={"source": "MoH", "injured": 4, "evacuated": 30}, headers=dispatcher.headers
    )
    assert ok.status_code == 201, ok.text
    negative = client.post(url, json={"source": "MoH", "dead": -1}, headers=dispatcher.headers)
    assert negative.status_code == 422 and negative.json()["errors"][0]["msg_ar"]
    future = client.post(
        url,
        json={"source": "MoH", "reported_at": "2999-01-01T00:00:00Z"},
        headers=dispatcher.headers,
    )
    assert future.status_code == 422 and future.json()["errors"][0]["type"] == "time_in_future"
    naive = client.post(
        url,
        json={"source": "MoH", "reported_at": "2020-01-01T00:00:00"},
        headers=dispatcher.headers,
    )
    assert naive.status_code == 422
    assert count(store, CasualtyReport) == 1
    assert [c["injured"] for c in client.get(url, headers=dispatcher.headers).json()] == [4]


def test_an_importer_declares_a_draft_without_a_caller(store):
    from tansiq.emergencies import service

    data = EmergencyCreate.model_validate(
        {
            "kind": "heavy_rain",
            "severity": "moderate",
            "title": "Heavy rain warning",
            "lead_agency": "civil_defence",
            "classification": "public",
            "areas": [
                {
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[47, 29], [48, 29], [48, 30], [47, 29]]],
                    }
                }
            ],
        }
    )
    with store.write() as uow:
        e = service.declare(uow, None, data, source="cap", source_ref="urn:oid:1.2.3")
        emergency_id = e.id
    with store.read() as session:
        found = service.find_by_source(session, "cap", "urn:oid:1.2.3")
        assert found is not None and found.id == emergency_id
        assert found.status == "draft" and found.created_by is None
    assert events(store, "emergency.declared")[0].data["source"] == "cap"


def test_an_import_without_a_lead_agency_is_refused(store):
    import pytest

    from tansiq.emergencies import service
    from tansiq.errors import Problem

    data = EmergencyCreate.model_validate({"kind": "fire", "severity": "minor", "title": "x"})
    with pytest.raises(Problem) as err, store.write() as uow:
        service.declare(uow, None, data)
    assert err.value.status == 422
