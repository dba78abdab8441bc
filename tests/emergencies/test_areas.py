"""Affected areas: valid polygons are stored with their bounding box; bad ones are refused
with the reason in English and Arabic and nothing is stored."""

from __future__ import annotations

import pytest

from tansiq.emergencies import areas
from tansiq.emergencies.models import AffectedArea, Emergency
from tansiq.errors import Problem

from .conftest import JAHRA, SHARQ, count, declare, polygon

BOWTIE = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]


def test_a_valid_polygon_is_normalised_with_its_bounding_box():
    checked = areas.check({"type": "Feature", "geometry": polygon(SHARQ), "properties": {}})
    assert checked.bbox == (47.96, 29.36, 48.00, 29.40)
    assert areas.to_geojson(checked.geojson)["type"] == "Polygon"


def test_a_multipolygon_is_accepted():
    checked = areas.check({"type": "MultiPolygon", "coordinates": [[SHARQ], [JAHRA]]})
    assert checked.bbox == (47.64, 29.32, 48.00, 29.40)


@pytest.mark.parametrize(
    ("geometry", "code", "kind"),
    [
        (polygon(BOWTIE), "area_invalid", "self_intersection"),
        ({"type": "Polygon", "coordinates": []}, "area_empty", None),
        (polygon([[0, 0], [0, 0], [0, 0], [0, 0]]), "area_empty", None),
        (polygon([[0, 0], [1, 0], [0, 0]]), "area_empty", None),  # a line encloses nothing
        (polygon([[0, 0], [200, 0], [1, 1], [0, 0]]), "area_out_of_range", None),
        ({"type": "Point", "coordinates": [0, 0]}, "area_not_polygon", None),
        (
            {"type": "Polygon", "coordinates": [[["a", 0], [1, 0], [1, 1], ["a", 0]]]},
            "area_malformed",
            "not_position",
        ),
        ({"type": "Feature", "geometry": None}, "area_empty", None),
    ],
)
def test_bad_areas_are_refused_with_a_reason(geometry, code, kind):
    with pytest.raises(Problem) as err:
        areas.check(geometry)
    assert err.value.code == code
    if kind:
        assert err.value.params["kind"] == kind
    assert err.value.detail("ar") != err.value.detail("en")


def test_self_intersecting_area_is_refused_in_both_languages_and_nothing_is_stored(
    client, dispatcher, store
):
    r = declare(
        client,
        dispatcher,
        areas=[
            {"name": "ok", "geometry": polygon(SHARQ)},
            {"name": "bowtie", "geometry": polygon(BOWTIE)},
        ],
    )
    assert r.status_code == 422, r.text
    p = r.json()
    assert p["code"] == "area_invalid"
    assert "crosses itself" in p["detail"] and "Self-intersection" in p["detail"]
    assert "تتقاطع" in p["detail_ar"]
    assert count(store, Emergency) == 0 and count(store, AffectedArea) == 0


def test_adding_a_bad_area_to_an_emergency_stores_nothing(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    r = client.post(
        f"/api/v1/emergencies/{e['id']}/areas",
        json={"geometry": polygon([[0, 0], [0, 0], [0, 0], [0, 0]])},
        headers=dispatcher.headers,
    )
    assert r.status_code == 422 and r.json()["code"] == "area_empty"
    assert "فارغة" in r.json()["detail_ar"]
    assert count(store, AffectedArea) == 1
    got = client.get(f"/api/v1/emergencies/{e['id']}", headers=dispatcher.headers).json()
    assert got["version"] == 1


def test_a_forecast_window_must_end_after_it_starts(client, dispatcher, store):
    e = declare(client, dispatcher).json()
    r = client.post(
        f"/api/v1/emergencies/{e['id']}/areas",
        json={
            "geometry": polygon(JAHRA),
            "valid_from": "2026-01-02T00:00:00Z",
            "valid_to": "2026-01-01T00:00:00Z",
        },
        headers=dispatcher.headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["type"] == "window_end_before_start"
    assert r.json()["errors"][0]["msg_ar"]
    assert count(store, AffectedArea) == 1


def test_area_with_forecast_window_round_trips_as_geojson(client, dispatcher):
    e = declare(client, dispatcher).json()
    r = client.post(
        f"/api/v1/emergencies/{e['id']}/areas",
        json={
            "name": "Jahra",
            "geometry": {"type": "Feature", "geometry": polygon(JAHRA)},
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2026-01-02T00:00:00+03:00",
        },
        headers=dispatcher.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["bbox"] == [47.64, 29.32, 47.70, 29.36]
    fc = client.get(f"/api/v1/emergencies/{e['id']}/areas.geojson", headers=dispatcher.headers)
    assert fc.headers["content-type"].startswith("application/geo+json")
    features = fc.json()["features"]
    assert [f["properties"]["name"] for f in features] == ["Sharq", "Jahra"]
    assert features[1]["geometry"]["coordinates"][0][0] == [47.64, 29.32]
    assert features[1]["properties"]["valid_to"] == "2026-01-01T21:00:00+00:00"
