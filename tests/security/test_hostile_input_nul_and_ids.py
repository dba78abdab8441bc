"""Hostile input: NUL bytes and ids beyond the integer range, the same answer on both databases.

- PostgreSQL text cannot hold U+0000, SQLite would store it: a NUL in any stored text field,
  query filter, path code or login name is refused at the edge (4xx problem, nothing stored).
- Ids are INTEGER columns: an id above 2**31-1 cannot exist and is refused with a 422.
"""

from __future__ import annotations

import pytest

from tests.security.hostile import SPOT, assert_problem, snapshot

NUL = "a\x00b"


@pytest.fixture
def admin(make_user):
    return make_user("admin", "systems_information", "secret")


@pytest.fixture
def world(client, admin):
    """An incident, a unit and a user to aim at."""
    h = admin.headers
    incident = client.post("/api/v1/incidents", json={"type": "theft", **SPOT}, headers=h).json()
    unit = client.post(
        "/api/v1/units", json={"callsign": "P-1", "type": "patrol_car"}, headers=h
    ).json()
    user = client.post(
        "/api/v1/users",
        json={
            "username": "target.user",
            "password": "correct horse battery staple",
            "role": "viewer",
            "agency": "traffic",
        },
        headers=h,
    ).json()
    return {"incident": incident["id"], "unit": unit["id"], "user": user["username"]}


REFERENCE_FIELDS = {"type", "agency", "share_with", "agencies"}
# (method, path template, body, field the error must name)
NUL_FIELDS = [
    ("POST", "/api/v1/incidents", {"type": "theft", **SPOT, "description": NUL}, "description"),
    ("POST", "/api/v1/incidents", {"type": "theft", **SPOT, "address": NUL}, "address"),
    ("POST", "/api/v1/incidents", {"type": "theft", **SPOT, "area": NUL}, "area"),
    ("POST", "/api/v1/incidents", {"type": NUL, **SPOT}, "type"),
    ("POST", "/api/v1/incidents", {"type": "theft", **SPOT, "agency": NUL}, "agency"),
    ("POST", "/api/v1/incidents", {"type": "theft", **SPOT, "share_with": [NUL]}, "share_with"),
    ("PATCH", "/api/v1/incidents/{incident}", {"description": NUL}, "description"),
    ("PATCH", "/api/v1/incidents/{incident}", {"area": NUL}, "area"),
    ("POST", "/api/v1/incidents/{incident}/notes", {"text": NUL}, "text"),
    (
        "POST",
        "/api/v1/incidents/{incident}/transitions",
        {"status": "acknowledged", "note": NUL},
        "note",
    ),
    ("POST", "/api/v1/incidents/{incident}/shares", {"agencies": [NUL]}, "agencies"),
    ("POST", "/api/v1/units", {"callsign": NUL, "type": "patrol_car"}, "callsign"),
    ("POST", "/api/v1/units", {"callsign": "P-2", "type": NUL}, "type"),
    ("PATCH", "/api/v1/units/{unit}", {"callsign": NUL}, "callsign"),
    (
        "POST",
        "/api/v1/users",
        {
            "username": "nul.user",
            "password": "correct horse battery staple",
            "role": "viewer",
            "agency": "traffic",
            "display_name": NUL,
        },
        "display_name",
    ),
    ("PATCH", "/api/v1/users/{user}", {"display_name": NUL}, "display_name"),
    ("POST", "/api/v1/agencies", {"code": "nul_agency", "name_en": NUL, "name_ar": "x"}, "name_en"),
    ("POST", "/api/v1/agencies", {"code": "nul_agency", "name_en": "x", "name_ar": NUL}, "name_ar"),
    ("PATCH", "/api/v1/agencies/traffic", {"name_en": NUL}, "name_en"),
    (
        "POST",
        "/api/v1/incident-types",
        {"code": "nul_type", "name_en": NUL, "name_ar": "x", "lead_agency": "traffic"},
        "name_en",
    ),
    ("PATCH", "/api/v1/incident-types/theft", {"name_ar": NUL}, "name_ar"),
    ("POST", "/api/v1/unit-types", {"code": "nul_type", "name_en": "x", "name_ar": NUL}, "name_ar"),
    ("PATCH", "/api/v1/unit-types/patrol_car", {"name_en": NUL}, "name_en"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    NUL_FIELDS,
    ids=[f"{m} {p} {f}" for m, p, _, f in NUL_FIELDS],
)
def test_a_nul_byte_in_any_text_field_is_a_422_naming_the_field_and_stores_nothing(
    client, admin, world, method, path, body, field
):
    before = snapshot(client, admin.headers)
    r = client.request(method, path.format(**world), json=body, headers=admin.headers)
    problem = assert_problem(r, 422)
    if field in REFERENCE_FIELDS and problem["code"] == "unknown_reference":
        pass  # a code with a NUL in it is simply no known code
    else:
        assert problem["code"] == "validation_failed", problem
        assert any(field in e["loc"] for e in problem["errors"]), problem
    assert snapshot(client, admin.headers) == before


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/incidents", "q"),
        ("/api/v1/incidents", "area"),
        ("/api/v1/incidents", "type"),
        ("/api/v1/incidents", "agency"),
        ("/api/v1/incidents/count", "q"),
        ("/api/v1/incidents/count", "area"),
        ("/api/v1/units", "agency"),
        ("/api/v1/units", "type"),
    ],
)
def test_a_nul_byte_in_a_query_filter_is_refused_with_a_problem(client, admin, world, path, name):
    r = client.get(path, params={name: NUL}, headers=admin.headers)
    assert_problem(r, (400, 422))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/users/a%00b", None),
        ("PATCH", "/api/v1/users/a%00b", {"display_name": "x"}),
        ("PATCH", "/api/v1/agencies/a%00b", {"name_en": "x"}),
        ("PATCH", "/api/v1/incident-types/a%00b", {"name_en": "x"}),
        ("PATCH", "/api/v1/unit-types/a%00b", {"name_en": "x"}),
        ("DELETE", "/api/v1/incidents/{incident}/shares/a%00b", None),
    ],
)
def test_a_nul_byte_in_a_path_code_is_not_found_or_refused(
    client, admin, world, method, path, body
):
    before = snapshot(client, admin.headers)
    r = client.request(method, path.format(**world), json=body, headers=admin.headers)
    assert_problem(r, (400, 404, 422))
    assert snapshot(client, admin.headers) == before


def test_a_nul_byte_in_a_login_name_is_refused_like_any_wrong_login(client, world):
    for form in (
        {"username": NUL, "password": "correct horse battery staple"},
        {"username": "target.user\x00", "password": "correct horse battery staple"},
    ):
        r = client.post("/api/v1/auth/token", data=form)
        assert_problem(r, (400, 401, 422))


BIG_IDS = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("big", BIG_IDS, ids=["2^31", "2^63", "10^30"])
def test_ids_beyond_the_integer_range_are_not_found_or_refused(client, admin, world, big):
    before = snapshot(client, admin.headers)
    i, u = world["incident"], world["unit"]
    for method, path, body in (
        ("GET", f"/api/v1/incidents/{big}", None),
        ("PATCH", f"/api/v1/incidents/{big}", {"description": "x"}),
        ("GET", f"/api/v1/incidents/{big}/timeline", None),
        ("GET", f"/api/v1/incidents/{big}/assignments", None),
        ("POST", f"/api/v1/incidents/{big}/notes", {"text": "x"}),
        ("POST", f"/api/v1/incidents/{big}/transitions", {"status": "acknowledged"}),
        ("POST", f"/api/v1/incidents/{big}/shares", {"agencies": ["traffic"]}),
        ("DELETE", f"/api/v1/incidents/{big}/shares/traffic", None),
        ("POST", f"/api/v1/incidents/{i}/assignments", {"unit_id": big}),
        ("POST", f"/api/v1/incidents/{i}/assignments/{big}/release", None),
        ("GET", f"/api/v1/units/{big}", None),
        ("PATCH", f"/api/v1/units/{big}", {"callsign": "P-9"}),
        ("POST", f"/api/v1/units/{big}/status", {"status": "off_duty"}),
        ("POST", f"/api/v1/units/{big}/position", SPOT),
        ("POST", f"/api/v1/units/{u}/status", {"status": "off_duty"}),  # control: still works
    ):
        r = client.request(method, path, json=body, headers=admin.headers)
        if path.endswith(f"/{u}/status"):
            assert r.status_code == 200, r.text
            continue
        assert_problem(r, (404, 422))
    after = snapshot(client, admin.headers)
    assert after["incidents"] == before["incidents"]
    assert after["timelines"] == before["timelines"]
