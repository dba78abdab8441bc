"""Deployments: standing points filled by the quickest available units, accepted into
deployment records, tracked, released, and refused when a unit is no longer free."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tansiq.app import create_app
from tansiq.emergencies.models import Deployment
from tansiq.roads.engine import Router
from tansiq.roads.storage import save_network
from tansiq.roads.synthetic import grid_network
from tests.units.test_units import register

from .conftest import JAHRA, SHARQ, count, declare, events, polygon, report

SHARQ_CENTRE = {"lat": 29.38, "lon": 47.98}
JAHRA_CENTRE = {"lat": 29.34, "lon": 47.67}


def _propose(client, actor, emergency_id, **body):
    return client.post(
        f"/api/v1/emergencies/{emergency_id}/deployment-proposals", json=body, headers=actor.headers
    )


def test_units_are_proposed_for_each_area_quickest_first_and_heaviest_area_first(
    client, dispatcher
):
    e = declare(
        client,
        dispatcher,
        areas=[
            {"name": "Sharq", "geometry": polygon(SHARQ)},
            {"name": "Jahra", "geometry": polygon(JAHRA)},
        ],
    ).json()
    # Two incidents in Sharq make it the heavier point.
    for _ in range(2):
        inc = report(client, dispatcher, SHARQ_CENTRE)
        client.post(
            f"/api/v1/emergencies/{e['id']}/incidents",
            json={"incident_ids": [inc["id"]]},
            headers=dispatcher.headers,
        )
    near_sharq = register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    near_jahra = register(client, dispatcher, "CD-2", lat=29.33, lon=47.66)
    r = _propose(client, dispatcher, e["id"], points=["area"])
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["status"] == "proposed" and p["unfilled_points"] == 0
    assert [(i["label"], i["callsign"]) for i in p["items"]] == [
        ("Sharq", "CD-1"),
        ("Jahra", "CD-2"),
    ]
    assert p["items"][0]["weight"] == pytest.approx(3.0 * 3)  # severe x (1 + 2 incidents)
    assert p["items"][0]["eta_method"] == "straight_line" and p["items"][0]["eta_s"] > 0
    assert {near_sharq["id"], near_jahra["id"]} == {i["unit_id"] for i in p["items"]}


def test_a_point_left_without_a_unit_is_shown_unfilled(client, dispatcher):
    e = declare(
        client,
        dispatcher,
        areas=[
            {"name": "Sharq", "geometry": polygon(SHARQ)},
            {"name": "Jahra", "geometry": polygon(JAHRA)},
        ],
    ).json()
    register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    p = _propose(client, dispatcher, e["id"], points=["area"]).json()
    assert p["unfilled_points"] == 1
    assert [i["unit_id"] is None for i in p["items"]] == [False, True]


def test_accepting_deploys_units_and_tracks_them_until_released(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    unit = register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    p = _propose(client, dispatcher, e["id"]).json()
    url = f"/api/v1/emergencies/{e['id']}"
    accepted = client.post(
        f"{url}/deployment-proposals/{p['id']}/accept", json={}, headers=dispatcher.headers
    )
    assert accepted.status_code == 200, accepted.text
    (d,) = accepted.json()
    assert d["unit_id"] == unit["id"] and d["active"] and not d["at_post"]
    assert d["distance_m"] > 200 and d["unit_status"] == "available"
    # The unit reports a position at its post.
    moved = client.post(
        f"/api/v1/units/{unit['id']}/position",
        json={"lat": d["lat"], "lon": d["lon"]},
        headers=dispatcher.headers,
    )
    assert moved.status_code == 202, moved.text
    (tracked,) = client.get(f"{url}/deployments", headers=dispatcher.headers).json()
    assert tracked["at_post"] and tracked["distance_m"] < 1
    assert events(store, "emergency.deployed")[0].data["deployments"][0]["unit_id"] == unit["id"]
    again = client.post(
        f"{url}/deployment-proposals/{p['id']}/accept", json={}, headers=dispatcher.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "proposal_not_open"
    released = client.post(f"{url}/deployments/{d['id']}/release", headers=dispatcher.headers)
    assert released.status_code == 200 and not released.json()["active"]
    assert client.get(f"{url}/deployments", headers=dispatcher.headers).json() == []
    assert (
        len(
            client.get(
                f"{url}/deployments?include_released=true", headers=dispatcher.headers
            ).json()
        )
        == 1
    )


def test_a_deployed_unit_is_not_proposed_again_and_can_still_be_sent_to_an_incident(
    client, dispatcher
):
    e = declare(client, dispatcher).json()
    unit = register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    p = _propose(client, dispatcher, e["id"]).json()
    url = f"/api/v1/emergencies/{e['id']}"
    client.post(f"{url}/deployment-proposals/{p['id']}/accept", json={}, headers=dispatcher.headers)
    none_left = _propose(client, dispatcher, e["id"])
    assert none_left.status_code == 409 and none_left.json()["code"] == "no_units_available"
    inc = report(client, dispatcher, SHARQ_CENTRE)
    sent = client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=dispatcher.headers,
    )
    assert sent.status_code == 201, sent.text
    (tracked,) = client.get(f"{url}/deployments", headers=dispatcher.headers).json()
    assert tracked["on_incident_id"] == inc["id"]


def test_a_unit_assigned_meanwhile_refuses_the_whole_acceptance(client, dispatcher, store):
    e = declare(
        client,
        dispatcher,
        areas=[
            {"name": "Sharq", "geometry": polygon(SHARQ)},
            {"name": "Jahra", "geometry": polygon(JAHRA)},
        ],
    ).json()
    register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    busy = register(client, dispatcher, "CD-2", lat=29.33, lon=47.66)
    p = _propose(client, dispatcher, e["id"], points=["area"]).json()
    inc = report(client, dispatcher, JAHRA_CENTRE)
    client.post(
        f"/api/v1/incidents/{inc['id']}/assignments",
        json={"unit_id": busy["id"]},
        headers=dispatcher.headers,
    )
    r = client.post(
        f"/api/v1/emergencies/{e['id']}/deployment-proposals/{p['id']}/accept",
        json={},
        headers=dispatcher.headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "unit_not_deployable"
    assert "CD-2" in r.json()["detail"] and "مكلّفة ببلاغ" in r.json()["detail_ar"]
    assert count(store, Deployment) == 0
    # Accepting only the free unit's item works.
    ok = client.post(
        f"/api/v1/emergencies/{e['id']}/deployment-proposals/{p['id']}/accept",
        json={"items": [0]},
        headers=dispatcher.headers,
    )
    assert ok.status_code == 200 and [d["callsign"] for d in ok.json()] == ["CD-1"]


def test_an_unknown_item_index_is_refused(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    p = _propose(client, dispatcher, e["id"]).json()
    r = client.post(
        f"/api/v1/emergencies/{e['id']}/deployment-proposals/{p['id']}/accept",
        json={"items": [5]},
        headers=dispatcher.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["msg_ar"]
    assert count(store, Deployment) == 0


def test_standing_down_releases_every_deployment(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    p = _propose(client, dispatcher, e["id"]).json()
    url = f"/api/v1/emergencies/{e['id']}"
    client.post(f"{url}/deployment-proposals/{p['id']}/accept", json={}, headers=dispatcher.headers)
    client.post(f"{url}/transitions", json={"status": "closed"}, headers=dispatcher.headers)
    assert client.get(f"{url}/deployments", headers=dispatcher.headers).json() == []
    refused = _propose(client, dispatcher, e["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "emergency_closed"


def test_an_emergency_without_areas_has_nowhere_to_deploy(client, dispatcher):
    e = declare(client, dispatcher, areas=[]).json()
    register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    r = _propose(client, dispatcher, e["id"])
    assert r.status_code == 409 and r.json()["code"] == "no_standing_points"
    assert r.json()["detail_ar"]


def test_units_out_of_sight_are_neither_proposed_nor_tracked(client, make_user):
    lead = make_user("dispatcher", "civil_defence")
    other = make_user("dispatcher", "criminal_security")
    e = declare(client, lead).json()
    register(client, other, "CS-1", lat=29.37, lon=47.97)
    r = _propose(client, lead, e["id"])
    assert r.status_code == 409 and r.json()["code"] == "no_units_available"


def test_viewers_may_track_but_not_propose(client, make_user, dispatcher):
    viewer = make_user("viewer", "civil_defence")
    e = declare(client, dispatcher).json()
    assert _propose(client, viewer, e["id"]).status_code == 403
    assert (
        client.get(f"/api/v1/emergencies/{e['id']}/deployments", headers=viewer.headers).status_code
        == 200
    )


def test_with_a_road_network_units_are_chosen_by_road_time_and_main_road_entries_are_manned(
    settings, store, make_user
):
    # The grid starts at (47.90, 29.30) with 100 m blocks; the area covers its middle.
    network = grid_network(side=20, spacing_m=100.0, one_way_share=0.0, seed=3)
    save_network(store, network)
    area = [
        [47.905, 29.305],
        [47.915, 29.305],
        [47.915, 29.315],
        [47.905, 29.315],
        [47.905, 29.305],
    ]
    d = make_user("dispatcher", "civil_defence")
    spots = [(29.301, 47.919), (29.316, 47.901), (29.309, 47.912), (29.302, 47.902)]
    with TestClient(create_app(settings)) as client:
        units = [
            register(client, d, callsign=f"R-{i}", lat=lat, lon=lon)
            for i, (lat, lon) in enumerate(spots)
        ]
        e = declare(client, d, areas=[{"name": "Grid", "geometry": polygon(area)}]).json()
        p = _propose(client, d, e["id"], points=["area", "road"]).json()
    router = Router(network)
    area_item = next(i for i in p["items"] if i["kind"] == "area")
    expected = router.rank_points(
        (area_item["lon"], area_item["lat"]),
        np.array([lon for _, lon in spots]),
        np.array([lat for lat, _ in spots]),
        k=1,
    )
    assert area_item["unit_id"] == units[expected.routes[0].unit]["id"]
    assert area_item["eta_method"] == "road"
    assert area_item["eta_s"] == pytest.approx(expected.routes[0].time_s, abs=0.1)
    roads = [i for i in p["items"] if i["kind"] == "road"]
    assert 1 <= len(roads) <= 2
    for item in roads:
        # A road entry lies inside the area, on a junction of the network, on a fast road.
        assert 47.905 <= item["lon"] <= 47.915 and 29.305 <= item["lat"] <= 29.315
        assert int(item["label"].split(": ")[1].split(" ")[0]) >= 60
