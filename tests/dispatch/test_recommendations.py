"""Recommending units for an incident: suitable, available, visible units, quickest first."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from tansiq.app import create_app
from tansiq.roads.engine import Router
from tansiq.roads.storage import save_network
from tansiq.roads.synthetic import grid_network
from tests.units.test_units import register, report

# The generated grid starts at (47.90, 29.30) with 100 m blocks: 20 x 20 covers about 2 km.
INSIDE = {"lat": 29.305, "lon": 47.905}


def _recommend(client, actor, incident_id, **params):
    return client.get(
        f"/api/v1/incidents/{incident_id}/recommendations", params=params, headers=actor.headers
    )


def _distance_m(a, b):
    # Equirectangular is plenty over a few kilometres.
    x = math.radians(b["lon"] - a["lon"]) * math.cos(math.radians(a["lat"]))
    return 6_371_000 * math.hypot(x, math.radians(b["lat"] - a["lat"]))


def test_without_a_road_network_units_are_ranked_by_straight_line_and_it_says_so(client, make_user):
    d = make_user()
    near = register(client, d, callsign="P-NEAR", lat=29.306, lon=47.906)
    far = register(client, d, callsign="P-FAR", lat=29.33, lon=47.95)
    register(client, d, callsign="E-1", type="fire_engine", lat=29.305, lon=47.905)  # not needed
    incident = report(client, d, **INSIDE)
    r = _recommend(client, d, incident["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "straight_line"
    assert "40 km/h" in body["note"] and "40" in body["note_ar"]
    assert [u["unit_id"] for u in body["units"]] == [near["id"], far["id"]]
    first = body["units"][0]
    assert first["distance_m"] == pytest.approx(_distance_m(INSIDE, near), rel=0.01)
    assert first["eta_s"] == pytest.approx(first["distance_m"] / (40 / 3.6), rel=0.01)
    assert first["route"]["type"] == "LineString"


def test_only_suitable_available_unassigned_units_are_recommended(client, make_user):
    d = make_user()
    engine = register(client, d, callsign="E-1", type="fire_engine", lat=29.306, lon=47.906)
    busy = register(client, d, callsign="E-2", type="fire_engine", lat=29.305, lon=47.905)
    off = register(client, d, callsign="E-3", type="fire_engine", lat=29.305, lon=47.905)
    register(client, d, callsign="P-1", type="patrol_car", lat=29.305, lon=47.905)
    register(client, d, callsign="E-4", type="fire_engine")  # no position yet
    heli = register(client, d, callsign="H-1", type="helicopter", lat=29.31, lon=47.91)
    other = report(client, d, **INSIDE)
    assert (
        client.post(
            f"/api/v1/incidents/{other['id']}/assignments",
            json={"unit_id": busy["id"]},
            headers=d.headers,
        ).status_code
        == 201
    )
    r = client.post(
        f"/api/v1/units/{off['id']}/status", json={"status": "out_of_service"}, headers=d.headers
    )
    assert r.status_code == 200, r.text
    fire = report(client, d, type="fire", **INSIDE)
    units = _recommend(client, d, fire["id"]).json()["units"]
    assert [u["unit_id"] for u in units] == [engine["id"]]
    # The dispatcher may ask for other types; aircraft fly in a straight line at their speed.
    asked = _recommend(client, d, fire["id"], unit_type=["helicopter"]).json()["units"]
    assert [u["unit_id"] for u in asked] == [heli["id"]] and asked[0]["method"] == "straight_line"
    assert asked[0]["eta_s"] == pytest.approx(asked[0]["distance_m"] / (200 / 3.6), rel=0.01)


def test_units_and_incidents_out_of_sight_stay_out_of_sight(client, make_user):
    owner = make_user("dispatcher", "fire_marine_rescue")
    other = make_user("dispatcher", "traffic")
    register(client, owner, callsign="E-9", type="fire_engine", lat=29.306, lon=47.906)
    mine = report(client, other, type="fire", **INSIDE)
    assert _recommend(client, other, mine["id"]).json()["units"] == []
    hidden = report(client, owner, type="fire", **INSIDE)
    r = _recommend(client, other, hidden["id"])
    assert r.status_code == 404 and r.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "status"),
    [({"k": 0}, 422), ({"k": 51}, 422), ({"unit_type": "warship"}, 422), ({"k": "x"}, 422)],
)
def test_bad_requests_are_refused_in_both_languages(client, make_user, params, status):
    d = make_user()
    incident = report(client, d, **INSIDE)
    r = _recommend(client, d, incident["id"], **params)
    assert r.status_code == status
    body = r.json()
    assert body["detail"] and body["detail_ar"]


def test_roles_without_dispatch_rights_are_refused(client, make_user):
    d, viewer = make_user(), make_user("viewer")
    incident = report(client, d, **INSIDE)
    assert _recommend(client, viewer, incident["id"]).status_code == 403


def test_with_a_road_network_units_are_ranked_by_road_travel_time(settings, store, make_user):
    network = grid_network(side=20, spacing_m=100.0, one_way_share=0.2, seed=3)
    save_network(store, network)
    d = make_user()
    spots = [(29.301, 47.919), (29.316, 47.901), (29.309, 47.912), (29.302, 47.902)]
    with TestClient(create_app(settings)) as client:
        units = [
            register(client, d, callsign=f"R-{i}", lat=lat, lon=lon)
            for i, (lat, lon) in enumerate(spots)
        ]
        far_off = register(client, d, callsign="R-SEA", lat=29.40, lon=48.20)  # far from roads
        incident = report(client, d, **INSIDE)
        body = _recommend(client, d, incident["id"], k=3).json()
        off_road = report(client, d, lat=29.50, lon=48.30)
        fallback = _recommend(client, d, off_road["id"]).json()
    assert body["method"] == "road" and body["note"] is None
    expected = Router(network).rank_points(
        (INSIDE["lon"], INSIDE["lat"]),
        [lon for _, lon in spots],
        [lat for lat, _ in spots],
        k=3,
    )
    assert [u["unit_id"] for u in body["units"]] == [units[r.unit]["id"] for r in expected.routes]
    for got, want in zip(body["units"], expected.routes, strict=True):
        assert got["eta_s"] == pytest.approx(want.time_s, abs=0.1)
        assert got["method"] == "road" and len(got["route"]["coordinates"]) >= 2
    skipped = {s["unit_id"]: s for s in body["skipped"]}
    assert far_off["id"] in skipped and skipped[far_off["id"]]["detail_ar"]
    assert fallback["method"] == "straight_line" and "not near a road" in fallback["note"]
