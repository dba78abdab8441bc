"""Helpers for the shelter tests: shelters and households made through the API."""

from __future__ import annotations

import pytest

SPOT = {"lat": 29.37, "lon": 47.98}


@pytest.fixture
def shelter(client):
    def make(actor, **fields):
        body = {"name": "Mishref school", **SPOT, "capacity": 20, "status": "open", **fields}
        r = client.post("/api/v1/shelters", json=body, headers=actor.headers)
        assert r.status_code == 201, r.text
        return r.json()

    return make


@pytest.fixture
def household(client):
    def make(actor, **fields):
        body = {"size": 4, "head_name": "Fatima Al-Sabah", **fields}
        r = client.post("/api/v1/shelters/households", json=body, headers=actor.headers)
        assert r.status_code == 201, r.text
        return r.json()

    return make


def check_in(client, actor, shelter_id, household_id):
    return client.post(
        f"/api/v1/shelters/{shelter_id}/check-ins",
        json={"household_id": household_id},
        headers=actor.headers,
    )


def get_shelter(client, actor, shelter_id):
    r = client.get(f"/api/v1/shelters/{shelter_id}", headers=actor.headers)
    assert r.status_code == 200, r.text
    return r.json()
