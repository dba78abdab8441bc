"""Sending households to shelters: the nearest open one with room (by road when a network is
loaded), places held until they arrive, and many households planned at once."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tansiq.app import create_app
from tansiq.roads.engine import Router
from tansiq.roads.storage import save_network
from tansiq.roads.synthetic import grid_network
from tansiq.shelters.assignment import nearest, travel_seconds
from tests.shelters.conftest import check_in, get_shelter

HOME = {"origin_lat": 29.30, "origin_lon": 47.90}


def assign(client, actor, household_id, **body):
    return client.post(
        f"/api/v1/shelters/households/{household_id}/assignment", json=body, headers=actor.headers
    )


def test_the_nearest_open_shelter_with_room_is_chosen_and_its_places_held(
    client, make_user, shelter, household
):
    d = make_user()
    near_full = shelter(d, name="Near but full", lat=29.301, lon=47.901, capacity=3)
    near_closed = shelter(d, name="Near but closed", lat=29.302, lon=47.90)
    client.post(f"/api/v1/shelters/{near_closed['id']}/close", headers=d.headers)
    middle = shelter(d, name="Middle", lat=29.32, lon=47.90, capacity=10)
    shelter(d, name="Far", lat=29.40, lon=47.90)
    h = household(d, size=4, **HOME)
    r = assign(client, d, h["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shelter_id"] == middle["id"] and body["method"] == "straight_line"
    assert body["travel_s"] > 0 and body["household"]["status"] == "assigned"
    held = get_shelter(client, d, middle["id"])
    assert (held["reserved"], held["available"]) == (4, 6)
    assert get_shelter(client, d, near_full["id"])["reserved"] == 0
    # Held places are not given to a walk-in ...
    walk_in = household(d, size=7)
    r = check_in(client, d, middle["id"], walk_in["id"])
    assert r.status_code == 409 and r.json()["code"] == "shelter_full"
    # ... and become occupied when the household arrives.
    assert check_in(client, d, middle["id"], h["id"]).status_code == 200
    arrived = get_shelter(client, d, middle["id"])
    assert (arrived["occupancy"], arrived["reserved"]) == (4, 0)


def test_checking_in_elsewhere_gives_back_the_held_places(client, make_user, shelter, household):
    d = make_user()
    a = shelter(d, name="A", lat=29.301, lon=47.90)
    b = shelter(d, name="B", lat=29.35, lon=47.90)
    h = household(d, size=3, **HOME)
    assert assign(client, d, h["id"]).json()["shelter_id"] == a["id"]
    assert check_in(client, d, b["id"], h["id"]).status_code == 200
    assert get_shelter(client, d, a["id"])["reserved"] == 0
    assert get_shelter(client, d, b["id"])["occupancy"] == 3


def test_without_room_anywhere_the_answer_is_a_clear_409_and_nothing_is_held(
    client, make_user, shelter, household
):
    d = make_user()
    s = shelter(d, capacity=2)
    h = household(d, size=3, **HOME)
    r = assign(client, d, h["id"])
    assert r.status_code == 409 and r.json()["code"] == "no_shelter_with_room"
    assert r.json()["detail_ar"]
    assert get_shelter(client, d, s["id"])["reserved"] == 0
    unknown = household(d, size=1)
    r = assign(client, d, unknown["id"])
    assert r.status_code == 422 and r.json()["code"] == "household_origin_unknown"
    assert assign(client, d, unknown["id"], lat=29.3, lon=47.9).status_code == 200


def test_with_a_road_network_the_quickest_shelter_by_road_is_chosen(settings, store, make_user):
    network = grid_network(side=20, spacing_m=100.0, one_way_share=0.3, seed=4)
    save_network(store, network)
    router = Router(network)
    d = make_user()
    spots = [(29.3005, 47.9150), (29.3150, 47.9010), (29.3100, 47.9120), (29.3160, 47.9170)]
    home = (47.9030, 29.3020)
    seconds, _ = travel_seconds(
        router, [home[0]], [home[1]], [p[1] for p in spots], [p[0] for p in spots], 40.0
    )
    with TestClient(create_app(settings)) as client:
        made = [
            client.post(
                "/api/v1/shelters",
                json={"name": f"S{i}", "lat": lat, "lon": lon, "capacity": 9, "status": "open"},
                headers=d.headers,
            ).json()
            for i, (lat, lon) in enumerate(spots)
        ]
        h = client.post(
            "/api/v1/shelters/households",
            json={"size": 2, "head_name": "x", "origin_lon": home[0], "origin_lat": home[1]},
            headers=d.headers,
        ).json()
        body = assign(client, d, h["id"]).json()
    best = int(np.argmin(seconds[0]))
    assert body["method"] == "road" and body["shelter_id"] == made[best]["id"]
    assert body["travel_s"] == pytest.approx(seconds[0, best], abs=0.1)


@pytest.mark.parametrize("seed", range(3))
def test_the_pruned_search_finds_the_same_shelter_as_timing_every_one(seed):
    router = Router(grid_network(side=25, spacing_m=100.0, one_way_share=0.3, seed=seed))
    rng = np.random.default_rng(seed)
    s_lon, s_lat = 47.90 + rng.uniform(0, 0.025, 12), 29.30 + rng.uniform(0, 0.022, 12)
    for _ in range(5):
        lon, lat = 47.90 + rng.uniform(0, 0.025), 29.30 + rng.uniform(0, 0.022)
        every, _ = travel_seconds(router, [lon], [lat], s_lon, s_lat, 40.0)
        found = nearest(router, lon, lat, s_lon, s_lat, 40.0)
        assert found is not None and found.method == "road"
        assert found.seconds == pytest.approx(every[0].min(), rel=1e-9)


def test_many_households_are_planned_at_once_within_each_shelters_room(
    client, make_user, shelter, household
):
    d = make_user()
    shelters = [
        shelter(d, name="West", lat=29.30, lon=47.90, capacity=10),
        shelter(d, name="East", lat=29.30, lon=48.00, capacity=6),
    ]
    homes = [47.90, 47.91, 47.99, 48.00, 47.95, 47.96]
    ids = [household(d, size=3, origin_lat=29.30, origin_lon=lon)["id"] for lon in homes]
    r = client.post("/api/v1/shelters/assignments", json={"household_ids": ids}, headers=d.headers)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["method"] == "straight_line" and plan["planner"] == "optimal"
    assert len(plan["assigned"]) == 5 and len(plan["unplaced"]) == 1  # 18 persons, 16 places
    assert plan["gap"] is not None and plan["gap"] >= 0
    assert plan["assigned"][str(ids[0])] == shelters[0]["id"]
    assert plan["assigned"][str(ids[3])] == shelters[1]["id"]
    held = [get_shelter(client, d, s["id"]) for s in shelters]
    assert [s["reserved"] for s in held] == [9, 6]
    assert all(s["reserved"] + s["occupancy"] <= s["capacity"] for s in held)
    # Planning again re-plans the places the same households hold: nothing is counted twice.
    again = client.post(
        "/api/v1/shelters/assignments",
        json={"household_ids": ids, "planner": "greedy"},
        headers=d.headers,
    )
    assert again.status_code == 200 and len(again.json()["assigned"]) == 5
    assert sum(get_shelter(client, d, s["id"])["reserved"] for s in shelters) == 15


def test_a_plan_with_a_household_already_inside_is_refused_whole(
    client, make_user, shelter, household
):
    d = make_user()
    s = shelter(d, lat=29.30, lon=47.90)
    inside = household(d, size=1, **HOME)
    waiting = household(d, size=1, **HOME)
    check_in(client, d, s["id"], inside["id"])
    r = client.post(
        "/api/v1/shelters/assignments",
        json={"household_ids": [waiting["id"], inside["id"]]},
        headers=d.headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "household_already_checked_in"
    assert get_shelter(client, d, s["id"])["reserved"] == 0
