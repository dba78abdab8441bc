"""The shelter registry: create, edit, open and close; bad input refused with nothing stored."""

from __future__ import annotations

import pytest

from tests.shelters.conftest import SPOT, check_in, get_shelter


def test_a_shelter_is_registered_with_its_facilities_and_managing_agency(
    client, make_user, shelter
):
    d = make_user()
    made = shelter(d, facilities=["power", "medical", "power"], agency="civil_defence")
    assert made["facilities"] == ["medical", "power"]
    assert made["agency"] == "civil_defence"
    assert made["status"] == "open" and made["occupancy"] == 0 and made["available"] == 20
    planned = shelter(d, status="planned")
    assert planned["status"] == "planned" and planned["opened_at"] is None


def test_shelters_are_public_within_the_ministry(client, make_user, shelter):
    made = shelter(make_user(agency="civil_defence"))
    viewer = make_user("viewer", agency="traffic", clearance="public")
    assert get_shelter(client, viewer, made["id"])["name"] == "Mishref school"
    listed = client.get("/api/v1/shelters", headers=viewer.headers).json()
    assert [s["id"] for s in listed] == [made["id"]]


def test_negative_capacity_is_refused_in_both_languages_and_nothing_is_stored(client, make_user):
    d = make_user()
    for capacity in (-1, -100):
        r = client.post(
            "/api/v1/shelters", json={"name": "x", **SPOT, "capacity": capacity}, headers=d.headers
        )
        assert r.status_code == 422
        err = r.json()["errors"][0]
        assert err["loc"] == ["body", "capacity"] and err["msg"] and err["msg_ar"]
    made = client.post(
        "/api/v1/shelters", json={"name": "x", **SPOT, "capacity": 5}, headers=d.headers
    ).json()
    r = client.patch(f"/api/v1/shelters/{made['id']}", json={"capacity": -3}, headers=d.headers)
    assert r.status_code == 422
    listed = client.get("/api/v1/shelters", headers=d.headers).json()
    assert [(s["id"], s["capacity"]) for s in listed] == [(made["id"], 5)]


def test_the_database_refuses_a_negative_capacity_whatever_the_code_does(store, make_user):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    make_user()
    with pytest.raises(IntegrityError), store.write() as uow:
        uow.session.execute(
            text(
                "INSERT INTO shelters (name, name_ar, address, lat, lon, capacity, occupancy,"
                " reserved, facilities, status, agency_id, created_at, updated_at, version)"
                " VALUES ('x', '', '', 29, 48, -1, 0, 0, '[]', 'open', 1, :t, :t, 1)"
            ),
            {"t": "2026-01-01T00:00:00+00:00"},
        )


def test_only_emergency_managers_register_shelters(client, make_user):
    unit = make_user("field_unit")
    r = client.post(
        "/api/v1/shelters", json={"name": "x", **SPOT, "capacity": 5}, headers=unit.headers
    )
    assert r.status_code == 403 and r.json()["detail_ar"]


def test_open_and_close_move_the_status_and_closing_twice_is_refused(client, make_user, shelter):
    d = make_user()
    s = shelter(d, status="planned")
    r = client.post(f"/api/v1/shelters/{s['id']}/open", headers=d.headers)
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["opened_at"]
    r = client.post(f"/api/v1/shelters/{s['id']}/close", headers=d.headers)
    assert r.json()["status"] == "closed" and r.json()["closed_at"]
    again = client.post(f"/api/v1/shelters/{s['id']}/close", headers=d.headers)
    assert again.status_code == 409 and again.json()["code"] == "shelter_transition"
    assert "مغلق" in again.json()["detail_ar"]


def test_capacity_cannot_drop_below_the_people_inside(client, make_user, shelter, household):
    d = make_user()
    s = shelter(d, capacity=10)
    h = household(d, size=6)
    assert check_in(client, d, s["id"], h["id"]).status_code == 200
    r = client.patch(f"/api/v1/shelters/{s['id']}", json={"capacity": 5}, headers=d.headers)
    assert r.status_code == 409 and r.json()["code"] == "shelter_capacity_below_occupancy"
    assert get_shelter(client, d, s["id"])["capacity"] == 10
    r = client.patch(f"/api/v1/shelters/{s['id']}", json={"capacity": 6}, headers=d.headers)
    assert r.status_code == 200 and r.json()["status"] == "full"
    r = client.patch(f"/api/v1/shelters/{s['id']}", json={"capacity": 8}, headers=d.headers)
    assert r.json()["status"] == "open" and r.json()["available"] == 2


def test_edits_use_if_match_against_lost_updates(client, make_user, shelter):
    d = make_user()
    s = shelter(d)
    first = client.patch(
        f"/api/v1/shelters/{s['id']}", json={"name": "A"}, headers={**d.headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch(
        f"/api/v1/shelters/{s['id']}", json={"name": "B"}, headers={**d.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412


def test_a_shelter_may_belong_to_an_emergency_and_the_summary_lists_its_figures(
    client, make_user, shelter, store
):
    from tansiq.emergencies.models import Emergency
    from tansiq.shelters.service import summary

    d = make_user()
    with store.write() as uow:
        em = Emergency(
            kind="flood", severity="severe", title="Jahra flood", agency_id=1, classification=0
        )
        uow.session.add(em)
        uow.session.flush()
        em_id = em.id
    linked = shelter(d, emergency_id=em_id, capacity=30)
    shelter(d, name="Other")
    bad = client.post(
        "/api/v1/shelters",
        json={"name": "x", **SPOT, "capacity": 1, "emergency_id": em_id + 1000},
        headers=d.headers,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_reference"
    with store.read() as session:
        rows = summary(session, em_id)
        everything = summary(session, None)
    assert [(r.id, r.capacity, r.occupancy, r.status) for r in rows] == [
        (linked["id"], 30, 0, "open")
    ]
    assert rows[0].lat == SPOT["lat"] and rows[0].lon == SPOT["lon"]
    assert len(everything) == 2


def test_ids_beyond_what_the_database_holds_are_refused_not_a_server_error(client, make_user):
    d = make_user()
    for path in ("/api/v1/shelters/households", "/api/v1/shelters"):
        key = "shelter_id" if "households" in path else "emergency_id"
        r = client.get(path, params={key: 3_713_140_778_068}, headers=d.headers)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["errors"][0]["msg_ar"]
