"""Helpers for the emergency tests: a flood over part of Kuwait City and incidents in and out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

# A square around Kuwait City's Sharq district (lon/lat), and a second one in Jahra.
SHARQ = [[47.96, 29.36], [48.00, 29.36], [48.00, 29.40], [47.96, 29.40], [47.96, 29.36]]
JAHRA = [[47.64, 29.32], [47.70, 29.32], [47.70, 29.36], [47.64, 29.36], [47.64, 29.32]]
INSIDE = {"lat": 29.3759, "lon": 47.9774}
OUTSIDE = {"lat": 29.2, "lon": 47.9}


def polygon(ring: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": [ring]}


def declare(client, actor, **fields):
    body = {
        "kind": "flood",
        "severity": "severe",
        "title": "Flooding in the capital",
        "title_ar": "سيول في العاصمة",
        "areas": [{"name": "Sharq", "geometry": polygon(SHARQ)}],
        **fields,
    }
    return client.post("/api/v1/emergencies", json=body, headers=actor.headers)


def report(client, actor, where=INSIDE, **fields):
    body = {"type": "heavy_rain_flooding", **where, **fields}
    r = client.post("/api/v1/incidents", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    return r.json()


def count(store, model) -> int:
    with store.read() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def events(store, prefix: str) -> list:
    from tansiq.events.models import EventRow

    with store.read() as session:
        return list(
            session.execute(
                select(EventRow).where(EventRow.type.like(f"{prefix}%")).order_by(EventRow.seq)
            ).scalars()
        )


@pytest.fixture
def dispatcher(make_user):
    return make_user("dispatcher", "civil_defence")
