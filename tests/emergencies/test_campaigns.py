"""Awareness campaigns: recorded with topic, audience, areas, channels, period and messages,
linked to an emergency or incident types; bad input refused and nothing stored."""

from __future__ import annotations

import pytest

from tansiq.emergencies.models import Campaign

from .conftest import SHARQ, count, declare, events, polygon

URL = "/api/v1/campaigns"


def _body(**fields):
    return {
        "topic": "Flood safety",
        "topic_ar": "السلامة أثناء السيول",
        "audience": "drivers",
        "channels": ["sms", "mosques", "sms"],
        "areas": polygon(SHARQ),
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2026-01-08T00:00:00Z",
        "incident_types": ["heavy_rain_flooding", "traffic_collision"],
        "messages": [{"channel": "sms", "en": "Avoid underpasses.", "ar": "تجنبوا الأنفاق."}],
        **fields,
    }


def test_a_campaign_is_recorded_linked_to_an_emergency_and_found_by_its_links(
    client, dispatcher, store
):
    e = declare(client, dispatcher).json()
    r = client.post(URL, json=_body(emergency_id=e["id"]), headers=dispatcher.headers)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["channels"] == ["sms", "mosques"] and c["state"] == "ended"
    assert c["areas"]["type"] == "Polygon" and c["classification"] == "public"
    assert c["messages"][0]["ar"] == "تجنبوا الأنفاق."
    found = client.get(URL, params={"emergency_id": e["id"]}, headers=dispatcher.headers).json()
    assert [x["id"] for x in found["items"]] == [c["id"]]
    by_type = client.get(
        URL, params={"incident_type": "traffic_collision"}, headers=dispatcher.headers
    )
    assert [x["id"] for x in by_type.json()["items"]] == [c["id"]]
    assert (
        client.get(URL, params={"channel": "tv"}, headers=dispatcher.headers).json()["items"] == []
    )
    during = client.get(
        URL, params={"active_at": "2026-01-03T00:00:00Z"}, headers=dispatcher.headers
    )
    assert len(during.json()["items"]) == 1
    assert events(store, "campaign.created")[0].data["campaign"]["topic"] == "Flood safety"


def test_a_campaign_is_changed_with_its_etag_and_deleted(client, dispatcher, store):
    c = client.post(URL, json=_body(), headers=dispatcher.headers).json()
    url = f"{URL}/{c['id']}"
    r = client.patch(
        url, json={"channels": ["tv", "radio"]}, headers={**dispatcher.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["channels"] == ["tv", "radio"]
    stale = client.patch(
        url, json={"audience": "all"}, headers={**dispatcher.headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert client.delete(url, headers=dispatcher.headers).status_code == 204
    assert client.get(url, headers=dispatcher.headers).status_code == 404
    assert count(store, Campaign) == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ends_at": "2025-12-31T00:00:00Z"}, "validation_failed"),
        ({"channels": []}, "validation_failed"),
        ({"channels": ["carrier_pigeon"]}, "validation_failed"),
        ({"messages": [{"en": "", "ar": ""}]}, "validation_failed"),
        ({"incident_types": ["no_such_type"]}, "unknown_reference"),
        ({"emergency_id": 999}, "unknown_reference"),
        (
            {
                "areas": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                }
            },
            "area_invalid",
        ),
        ({"starts_at": "2026-01-01T00:00:00"}, "validation_failed"),
    ],
)
def test_bad_campaigns_are_refused_in_both_languages_and_nothing_is_stored(
    client, dispatcher, store, fields, code
):
    r = client.post(URL, json=_body(**fields), headers=dispatcher.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code and r.json()["detail_ar"]
    assert count(store, Campaign) == 0


def test_a_period_change_that_ends_before_it_starts_is_refused(client, dispatcher):
    c = client.post(URL, json=_body(), headers=dispatcher.headers).json()
    r = client.patch(
        f"{URL}/{c['id']}", json={"ends_at": "2025-01-01T00:00:00Z"}, headers=dispatcher.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "period_end_before_start"
    assert client.get(f"{URL}/{c['id']}", headers=dispatcher.headers).json()["version"] == 1


def test_campaigns_of_another_agency_stay_out_of_sight_and_viewers_cannot_record(client, make_user):
    mine = make_user("dispatcher", "security_media")
    other = make_user("dispatcher", "traffic")
    viewer = make_user("viewer", "security_media")
    c = client.post(URL, json=_body(), headers=mine.headers).json()
    assert client.get(f"{URL}/{c['id']}", headers=other.headers).status_code == 404
    assert client.get(f"{URL}/{c['id']}", headers=viewer.headers).status_code == 200
    assert client.post(URL, json=_body(), headers=viewer.headers).status_code == 403
