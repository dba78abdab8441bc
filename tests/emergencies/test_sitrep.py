"""Situation reports: counts as of a time, in JSON, HTML (Arabic right to left) and PDF."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

from pypdf import PdfReader

from tests.units.test_units import register

from .conftest import declare, report


def _link(client, actor, emergency_id, incident_id):
    r = client.post(
        f"/api/v1/emergencies/{emergency_id}/incidents",
        json={"incident_ids": [incident_id]},
        headers=actor.headers,
    )
    assert r.status_code == 200, r.text


def test_sitrep_counts_incidents_units_and_each_sources_latest_casualties(client, dispatcher):
    e = declare(client, dispatcher).json()
    url = f"/api/v1/emergencies/{e['id']}"
    a = report(client, dispatcher)
    b = report(client, dispatcher)
    _link(client, dispatcher, e["id"], a["id"])
    _link(client, dispatcher, e["id"], b["id"])
    client.post(
        f"/api/v1/incidents/{a['id']}/transitions",
        json={"status": "acknowledged"},
        headers=dispatcher.headers,
    )
    unit = register(client, dispatcher, "CD-1", lat=29.37, lon=47.97)
    client.post(
        f"/api/v1/incidents/{a['id']}/assignments",
        json={"unit_id": unit["id"]},
        headers=dispatcher.headers,
    )
    client.post(
        f"{url}/casualties", json={"source": "MoH", "injured": 2}, headers=dispatcher.headers
    )
    client.post(
        f"{url}/casualties",
        json={"source": "MoH", "injured": 5, "dead": 1},
        headers=dispatcher.headers,
    )
    client.post(
        f"{url}/casualties", json={"source": "KFSD", "evacuated": 40}, headers=dispatcher.headers
    )
    s = client.get(f"{url}/sitrep", headers=dispatcher.headers)
    assert s.status_code == 200, s.text
    body = s.json()
    assert body["incidents_total"] == 2
    assert body["incidents_by_status"]["dispatched"] == 1  # assigning moved it on
    assert body["incidents_by_status"]["reported"] == 1
    assert body["units_on_incidents"] == 1 and body["units_total"] == 1
    assert body["casualties"] == {"injured": 5, "dead": 1, "missing": 0, "evacuated": 40}
    assert [c["source"] for c in body["casualty_sources"]] == ["KFSD", "MoH"]


def test_sitrep_as_of_an_earlier_time_shows_the_state_then(client, dispatcher):
    e = declare(client, dispatcher).json()
    url = f"/api/v1/emergencies/{e['id']}"
    a = report(client, dispatcher)
    _link(client, dispatcher, e["id"], a["id"])
    client.post(
        f"{url}/casualties", json={"source": "MoH", "injured": 2}, headers=dispatcher.headers
    )
    time.sleep(0.05)
    then = datetime.now(UTC)
    time.sleep(0.05)
    client.post(
        f"/api/v1/incidents/{a['id']}/transitions",
        json={"status": "acknowledged"},
        headers=dispatcher.headers,
    )
    client.post(
        f"{url}/casualties", json={"source": "MoH", "injured": 9}, headers=dispatcher.headers
    )
    before = client.get(
        f"{url}/sitrep", params={"as_of": then.isoformat()}, headers=dispatcher.headers
    ).json()
    now = client.get(f"{url}/sitrep", headers=dispatcher.headers).json()
    assert before["incidents_by_status"]["reported"] == 1
    assert before["incidents_by_status"]["acknowledged"] == 0
    assert before["casualties"]["injured"] == 2
    assert now["incidents_by_status"]["acknowledged"] == 1 and now["casualties"]["injured"] == 9


def test_sitrep_leaves_out_linked_incidents_the_reader_may_not_see(client, make_user):
    lead = make_user("dispatcher", "civil_defence")
    partner = make_user("viewer", "fire_marine_rescue")
    e = declare(client, lead, participating_agencies=["fire_marine_rescue"]).json()
    _link(client, lead, e["id"], report(client, lead)["id"])
    mine = client.get(f"/api/v1/emergencies/{e['id']}/sitrep", headers=lead.headers).json()
    theirs = client.get(f"/api/v1/emergencies/{e['id']}/sitrep", headers=partner.headers).json()
    assert mine["incidents_total"] == 1 and theirs["incidents_total"] == 0


def test_sitrep_html_is_right_to_left_in_arabic_and_left_to_right_in_english(client, dispatcher):
    e = declare(client, dispatcher).json()
    url = f"/api/v1/emergencies/{e['id']}/sitrep"
    ar = client.get(url, params={"format": "html", "lang": "ar"}, headers=dispatcher.headers)
    assert ar.headers["content-type"].startswith("text/html")
    assert '<html lang="ar" dir="rtl">' in ar.text
    assert "تقرير الموقف" in ar.text and "سيول في العاصمة" in ar.text and "شديدة" in ar.text
    en = client.get(url, params={"format": "html", "lang": "en"}, headers=dispatcher.headers)
    assert '<html lang="en" dir="ltr">' in en.text
    assert "Situation report" in en.text and "Flooding in the capital" in en.text


def test_sitrep_pdf_is_a_pdf_holding_the_arabic_text(client, dispatcher):
    e = declare(client, dispatcher).json()
    r = client.get(
        f"/api/v1/emergencies/{e['id']}/sitrep",
        params={"format": "pdf", "lang": "ar"},
        headers=dispatcher.headers,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "تقرير الموقف" in text
    assert "سيول في العاصمة" in text


def test_sitrep_refuses_a_time_without_a_zone(client, dispatcher):
    e = declare(client, dispatcher).json()
    r = client.get(
        f"/api/v1/emergencies/{e['id']}/sitrep",
        params={"as_of": "2026-01-01T00:00:00"},
        headers=dispatcher.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["msg_ar"]


def test_sitrep_lists_the_emergencys_shelters_and_deployments_use_open_ones(client, dispatcher):
    e = declare(client, dispatcher, areas=[]).json()
    shelter = {"lat": 29.33, "lon": 47.99, "capacity": 200, "emergency_id": e["id"]}
    opened = client.post(
        "/api/v1/shelters",
        json={"name": "Sharq school", "status": "open", **shelter},
        headers=dispatcher.headers,
    )
    assert opened.status_code == 201, opened.text
    client.post(
        "/api/v1/shelters",
        json={"name": "Spare hall", "status": "planned", **shelter},
        headers=dispatcher.headers,
    )
    body = client.get(f"/api/v1/emergencies/{e['id']}/sitrep", headers=dispatcher.headers).json()
    assert body["shelters_available"] is True
    assert [(s["name"], s["status"]) for s in body["shelters"]] == [
        ("Sharq school", "open"),
        ("Spare hall", "planned"),
    ]
    assert body["shelter_capacity"] == 400 and body["shelter_occupancy"] == 0
    html = client.get(
        f"/api/v1/emergencies/{e['id']}/sitrep",
        params={"format": "html", "lang": "ar"},
        headers=dispatcher.headers,
    ).text
    assert "Sharq school" in html and "مفتوح" in html
    register(client, dispatcher, "CD-1", lat=29.34, lon=47.98)
    p = client.post(
        f"/api/v1/emergencies/{e['id']}/deployment-proposals",
        json={"points": ["shelter"]},
        headers=dispatcher.headers,
    ).json()
    assert [(i["kind"], i["label"], i["callsign"]) for i in p["items"]] == [
        ("shelter", "Sharq school", "CD-1")
    ]
