"""The HTTP contract every route keeps: problem+json, request ids, size limits, OpenAPI."""

from __future__ import annotations

import pytest

SPOT = {"lat": 29.37, "lon": 47.98}


def test_every_response_carries_a_request_id_and_security_headers(client, make_user):
    d = make_user()
    for r in (
        client.get("/api/v1/health"),
        client.get("/api/v1/incidents", headers=d.headers),
        client.get("/api/v1/nowhere"),
    ):
        assert len(r.headers["X-Request-ID"]) >= 16
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    echoed = client.get("/api/v1/health", headers={"X-Request-ID": "radio-42"})
    assert echoed.headers["X-Request-ID"] == "radio-42"
    hostile = client.get("/api/v1/health", headers={"X-Request-ID": "bad id\twith tab"})
    assert hostile.headers["X-Request-ID"] != "bad id\twith tab"


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents" in doc["paths"] and "/api/v1/auth/token" in doc["paths"]


def test_unknown_route_and_method_are_problems(client, make_user):
    d = make_user()
    r = client.get("/api/v1/nowhere", headers=d.headers)
    assert r.status_code == 404 and r.json()["code"] == "route_not_found"
    r = client.put("/api/v1/incidents", headers=d.headers)
    assert r.status_code == 405 and r.json()["detail_ar"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lat": 29.3, "lon": 47.9}, "type"),  # missing field
        ({"type": "theft", "lat": "near the tower", "lon": 47.9}, "lat"),  # wrong type
        ({"type": "theft", "lat": 95, "lon": 47.9}, "lat"),  # out of range
        ({"type": "theft", "lat": 29.3, "lon": 181}, "lon"),
        ({"type": "theft", "lat": 29.3, "lon": 47.9, "priority": 7}, "priority"),
        ({"type": "theft", "lat": 29.3, "lon": 47.9, "classification": "top"}, "classification"),
        ({"type": "theft", "lat": 29.3, "lon": 47.9, "colour": "red"}, "colour"),  # unknown field
    ],
)
def test_invalid_incident_bodies_get_422_naming_the_field(client, make_user, body, field):
    d = make_user()
    r = client.post("/api/v1/incidents", json=body, headers=d.headers)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "validation_failed"
    assert any(e["loc"][-1] == field for e in problem["errors"])
    assert all(e["msg"] and e["msg_ar"] for e in problem["errors"])
    assert client.get("/api/v1/incidents/count", headers=d.headers).json()["count"] == 0


def test_unknown_reference_codes_are_422(client, make_user):
    d = make_user()
    for body in (
        {"type": "alien_landing", **SPOT},
        {"type": "theft", **SPOT, "agency": "nasa"},
        {"type": "theft", **SPOT, "share_with": ["nasa"]},
    ):
        r = client.post("/api/v1/incidents", json=body, headers=d.headers)
        assert r.status_code == 422 and r.json()["code"] == "unknown_reference", body
    assert client.get("/api/v1/incidents/count", headers=d.headers).json()["count"] == 0


def test_malformed_json_is_a_422(client, make_user):
    d = make_user()
    r = client.post(
        "/api/v1/incidents",
        content=b"{not json",
        headers={**d.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "json_invalid"


def test_oversized_bodies_are_refused_before_reaching_the_app(client, make_user):
    d = make_user()
    huge = {"type": "theft", **SPOT, "description": "x" * 2_000_000}
    r = client.post("/api/v1/incidents", json=huge, headers=d.headers)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"

    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    r = client.post(
        "/api/v1/incidents",
        content=chunks(),
        headers={**d.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert client.get("/api/v1/incidents/count", headers=d.headers).json()["count"] == 0


def test_unknown_ids_and_invalid_idempotency_keys(client, make_user):
    d = make_user()
    assert client.get("/api/v1/incidents/424242", headers=d.headers).status_code == 404
    assert client.get("/api/v1/units/424242", headers=d.headers).status_code == 404
    assert client.get("/api/v1/incidents/abc", headers=d.headers).status_code == 422
    r = client.post(
        "/api/v1/incidents",
        json={"type": "theft", **SPOT},
        headers={**d.headers, "Idempotency-Key": "x" * 300},
    )
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_invalid"


def test_reference_data_is_listed_and_editable_by_admins_only(client, make_user):
    d = make_user()
    types = client.get("/api/v1/incident-types", headers=d.headers).json()
    fire = next(t for t in types if t["code"] == "fire")
    assert fire["lead_agency"] == "fire_marine_rescue" and fire["name_ar"] == "حريق"
    agencies = {a["code"] for a in client.get("/api/v1/agencies", headers=d.headers).json()}
    assert {"army_general_staff", "joint_ops_room", "traffic", "civil_defence"} <= agencies
    unit_types = {u["code"] for u in client.get("/api/v1/unit-types", headers=d.headers).json()}
    assert {
        "patrol_car",
        "motorcycle",
        "fire_engine",
        "ambulance",
        "rescue_boat",
        "helicopter",
        "drone",
        "border_post",
    } <= unit_types
    body = {
        "code": "gas_leak",
        "name_en": "Gas leak",
        "name_ar": "تسرب غاز",
        "lead_agency": "civil_defence",
        "default_priority": 1,
    }
    assert client.post("/api/v1/incident-types", json=body, headers=d.headers).status_code == 403
    admin = make_user("admin", "systems_information")
    assert (
        client.post("/api/v1/incident-types", json=body, headers=admin.headers).status_code == 201
    )
    r = client.patch(
        "/api/v1/incident-types/gas_leak", json={"default_priority": 2}, headers=admin.headers
    )
    assert r.status_code == 200 and r.json()["default_priority"] == 2
    r = client.post(
        "/api/v1/agencies",
        json={
            "code": "gcc_police",
            "name_en": "GCCPOL",
            "name_ar": "الشرطة الخليجية",
            "kind": "partner",
        },
        headers=admin.headers,
    )
    assert r.status_code == 201
    created = client.post("/api/v1/incidents", json={"type": "gas_leak", **SPOT}, headers=d.headers)
    assert created.status_code == 201 and created.json()["priority"] == 2


def test_admins_edit_agencies_and_others_may_not(client, make_user):
    admin = make_user("admin", "systems_information")
    body = {"name_en": "Traffic and Operations Sector", "name_ar": "قطاع المرور والعمليات"}
    dispatcher = make_user()
    assert (
        client.patch("/api/v1/agencies/traffic", json=body, headers=dispatcher.headers).status_code
        == 403
    )
    r = client.patch("/api/v1/agencies/traffic", json=body, headers=admin.headers)
    assert r.status_code == 200 and r.json()["name_ar"] == "قطاع المرور والعمليات"
    assert (
        client.patch("/api/v1/agencies/nowhere", json=body, headers=admin.headers).status_code
        == 404
    )
