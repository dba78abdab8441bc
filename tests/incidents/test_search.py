"""Listing and searching incidents: filters, free text (Arabic-folded) and cursor pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def report(client, actor, **fields):
    body = {"type": "theft", "lat": 29.37, "lon": 47.98, **fields}
    r = client.post("/api/v1/incidents", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    return r.json()


def ids(client, actor, **params):
    r = client.get("/api/v1/incidents", params=params, headers=actor.headers)
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


@pytest.fixture
def seeded(client, make_user):
    d = make_user("supervisor", "public_security")
    a = report(client, d, description="سرقة مركبة من موقف المستشفى", area="حولي", priority=2)
    b = report(
        client,
        d,
        type="assault",
        description="اعتداء قرب مدرسة الأمل",
        lat=29.30,
        lon=48.07,
        area="الرميثية",
        priority=1,
    )
    c = report(
        client,
        d,
        type="fire",
        description="Warehouse fire, Shuwaikh port",
        lat=29.35,
        lon=47.94,
        agency="fire_marine_rescue",
        priority=3,
    )
    client.post(
        f"/api/v1/incidents/{b['id']}/transitions",
        json={"status": "acknowledged"},
        headers=d.headers,
    )
    return d, a, b, c


def test_filters_by_status_type_agency_priority_and_area(client, seeded):
    d, a, b, c = seeded
    assert ids(client, d, status="acknowledged") == {b["id"]}
    assert ids(client, d, status=["reported", "acknowledged"]) == {a["id"], b["id"], c["id"]}
    assert ids(client, d, type="fire") == {c["id"]}
    assert ids(client, d, agency="fire_marine_rescue") == {c["id"]}
    assert ids(client, d, priority=[1, 2]) == {a["id"], b["id"]}
    assert ids(client, d, area="حولي") == {a["id"]}


def test_bounding_box_and_time_range(client, seeded):
    d, a, b, c = seeded
    assert ids(client, d, bbox="48.0,29.2,48.1,29.32") == {b["id"]}
    now = datetime.now(UTC)
    assert ids(client, d, reported_from=(now - timedelta(minutes=5)).isoformat()) == {
        a["id"],
        b["id"],
        c["id"],
    }
    assert ids(client, d, reported_to=(now - timedelta(minutes=5)).isoformat()) == set()


@pytest.mark.parametrize(
    "query",
    [
        "المستشفي",  # alef maqsura typed as yaa
        "مُسْتَشْفَى",  # with diacritics
        "مسـتشفى",  # with tatweel
    ],
)
def test_arabic_free_text_ignores_spelling_variants(client, seeded, query):
    d, a, _, _ = seeded
    assert ids(client, d, q=query) == {a["id"]}


def test_free_text_matches_hamza_and_taa_marbuta_variants_and_all_terms(client, seeded):
    d, _, b, _ = seeded
    assert ids(client, d, q="مدرسه الامل") == {b["id"]}
    assert ids(client, d, q="اعتداء المستشفى") == set()  # every term must match
    assert ids(client, d, q="WAREHOUSE") == {seeded[3]["id"]}
    assert ids(client, d, q="حريق") == {seeded[3]["id"]}  # the type's Arabic name is searchable
    assert ids(client, d, q="100%") == set()  # LIKE wildcards are literal


def test_notes_are_searchable(client, seeded):
    d, a, _, _ = seeded
    client.post(
        f"/api/v1/incidents/{a['id']}/notes",
        json={"text": "المشتبه به يقود سيارة بيضاء"},
        headers=d.headers,
    )
    assert ids(client, d, q="بيضاء") == {a["id"]}


def test_cursor_pages_cover_everything_once(client, make_user):
    d = make_user("dispatcher", "public_security")
    made = {report(client, d)["id"] for _ in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/incidents", params=params, headers=d.headers).json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and sorted(seen, reverse=True) == seen and set(seen) == made
    assert len(seen) == len(made)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"bbox": "1,2,3"}, "invalid_bbox"),
        ({"bbox": "0,95,1,96"}, "invalid_bbox"),
        ({"bbox": "a,b,c,d"}, "invalid_bbox"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        (
            {"reported_from": "2026-01-02T00:00:00Z", "reported_to": "2026-01-01T00:00:00Z"},
            "invalid_time_range",
        ),
    ],
)
def test_bad_search_parameters_get_a_400(client, make_user, params, code):
    d = make_user()
    r = client.get("/api/v1/incidents", params=params, headers=d.headers)
    assert r.status_code == 400 and r.json()["code"] == code and r.json()["detail_ar"]


def test_naive_times_and_unknown_enums_are_refused(client, make_user):
    d = make_user()
    r = client.get(
        "/api/v1/incidents", params={"reported_from": "2026-01-01T00:00:00"}, headers=d.headers
    )
    assert r.status_code == 422
    r = client.get("/api/v1/incidents", params={"status": "lost"}, headers=d.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["msg_ar"]
