"""Public alerts from draft to the public feed, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from lxml import etree
from sqlalchemy import select

from tansiq.audit.models import AuditEntry
from tansiq.events.models import EventRow
from tests.alerts.conftest import NS, RING, alert_body, assert_valid
from tests.security.hostile import assert_problem


def test_an_approved_alert_is_published_as_a_bilingual_cap_document_valid_against_oasis(
    client, desk, oasis_cap_schema
):
    published = desk.publish()
    assert published["state"] == "published"
    assert published["url"].endswith(f"/cap/alerts/{published['identifier']}.xml")

    r = client.get(f"/cap/alerts/{published['identifier']}.xml")  # no token: public
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/cap+xml")
    root = assert_valid(oasis_cap_schema, r.content)
    assert root.findtext("cap:identifier", namespaces=NS) == published["identifier"]
    assert root.findtext("cap:sender", namespaces=NS) == "alerts@tansiq.local"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:scope", namespaces=NS) == "Public"
    assert root.findtext("cap:sent", namespaces=NS).endswith("+03:00")  # Kuwait time
    infos = root.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["ar-KW", "en-US"]
    assert infos[0].findtext("cap:event", namespaces=NS) == "أمطار غزيرة"
    assert infos[1].findtext("cap:instruction", namespaces=NS).startswith("Keep away")
    for info in infos:
        assert [c.text for c in info.findall("cap:category", NS)] == ["Met", "Safety"]
        assert info.findtext("cap:urgency", namespaces=NS) == "Immediate"
        assert info.findtext("cap:severity", namespaces=NS) == "Severe"
        assert info.findtext("cap:certainty", namespaces=NS) == "Likely"
        area = info.find("cap:area", NS)
        # CAP writes latitude first: "29.3,47.9", not GeoJSON's lon, lat.
        assert area.findtext("cap:polygon", namespaces=NS) == " ".join(
            f"{lat:g},{lon:g}" for lat, lon in RING
        )
        assert area.findtext("cap:circle", namespaces=NS) == "29.3759,47.9774 5"
        assert area.findtext("cap:geocode/cap:value", namespaces=NS) == "KW-KU"


def test_the_atom_feed_lists_only_published_alerts_and_links_to_their_documents(
    client, desk, oasis_cap_schema, atom_schema
):
    draft = desk.create()
    pending = desk.create()
    assert desk.submit(pending["id"]).status_code == 200
    rejected = desk.create()
    desk.submit(rejected["id"])
    reason = {"reason": "not yet"}
    r = client.post(
        f"/api/v1/alerts/{rejected['id']}/reject", json=reason, headers=desk.supervisor.headers
    )
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    published = desk.publish()

    r = client.get("/cap/alerts.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = assert_valid(atom_schema, r.content)
    entries = feed.findall("atom:entry", NS)
    assert len(entries) == 1
    href = entries[0].find("atom:link", NS).get("href")
    assert entries[0].find("atom:link", NS).get("type") == "application/cap+xml"
    assert href == published["url"]
    document = client.get(href.removeprefix("http://testserver"))
    assert_valid(oasis_cap_schema, document.content)
    assert "تحذير من أمطار غزيرة" in entries[0].findtext("atom:title", namespaces=NS)

    for hidden in (draft, pending, rejected):
        assert hidden["identifier"] not in r.text
        missing = client.get(f"/cap/alerts/{hidden['identifier']}.xml")
        assert_problem(missing, 404)


def test_approving_ones_own_alert_is_refused_in_english_and_arabic(client, desk):
    alert = desk.create(who=desk.supervisor)
    assert desk.submit(alert["id"], who=desk.supervisor).status_code == 200
    body = assert_problem(desk.approve(alert["id"], who=desk.supervisor), 403)
    assert body["code"] == "alert_own_approval"
    assert "another supervisor" in body["detail"] and "مشرف آخر" in body["detail_ar"]
    # Whoever submitted it cannot approve it either.
    other = desk.create()
    desk.submit(other["id"], who=desk.supervisor)
    assert assert_problem(desk.approve(other["id"]), 403)["code"] == "alert_own_approval"

    still = client.get(f"/api/v1/alerts/{alert['id']}", headers=desk.author.headers).json()
    assert still["state"] == "pending" and still["decided_by"] is None
    assert client.get(f"/cap/alerts/{alert['identifier']}.xml").status_code == 404
    approved = desk.approve(alert["id"], who=desk.other_supervisor)
    assert approved.status_code == 200 and approved.json()["state"] == "published"


def test_only_supervisors_approve_and_only_pending_alerts(client, desk):
    alert = desk.create()
    body = assert_problem(desk.approve(alert["id"]), 409)  # still a draft
    assert body["code"] == "alert_wrong_state" and "مسودة" in body["detail_ar"]
    desk.submit(alert["id"])
    body = assert_problem(desk.approve(alert["id"], who=desk.author), 403)
    assert body["code"] == "forbidden"
    assert desk.approve(alert["id"]).status_code == 200
    assert assert_problem(desk.approve(alert["id"]), 409)["code"] == "alert_wrong_state"


def test_a_rejected_alert_goes_back_to_draft_when_edited_and_can_be_resubmitted(client, desk):
    alert = desk.create()
    desk.submit(alert["id"])
    client.post(
        f"/api/v1/alerts/{alert['id']}/reject",
        json={"reason": "Add the affected roads"},
        headers=desk.supervisor.headers,
    )
    got = client.get(f"/api/v1/alerts/{alert['id']}", headers=desk.author.headers)
    assert got.json()["rejection_reason"] == "Add the affected roads"
    changed = alert_body()
    changed["en"]["instruction"] = "Avoid the Fourth Ring Road underpasses."
    stale = client.put(
        f"/api/v1/alerts/{alert['id']}",
        json=changed,
        headers={**desk.author.headers, "If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    edited = client.put(
        f"/api/v1/alerts/{alert['id']}",
        json=changed,
        headers={**desk.author.headers, "If-Match": got.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["state"] == "draft" and edited.json()["rejection_reason"] is None
    assert desk.submit(alert["id"]).status_code == 200
    published = desk.approve(alert["id"])
    assert published.json()["content"]["en"]["instruction"].startswith("Avoid the Fourth")


def test_updates_and_cancellations_reference_the_alerts_they_replace(
    client, desk, oasis_cap_schema
):
    first = desk.publish()
    update = desk.publish(alert_body(msg_type="Update", references=first["id"]))
    assert update["references"] == first["identifier"]
    cancel = desk.publish(alert_body(msg_type="Cancel", references=update["id"]))

    def doc(identifier):
        r = client.get(f"/cap/alerts/{identifier}.xml")
        return assert_valid(oasis_cap_schema, r.content)

    first_doc, update_doc, cancel_doc = (doc(a["identifier"]) for a in (first, update, cancel))

    def name(root):
        return ",".join(
            root.findtext(f"cap:{t}", namespaces=NS) for t in ("sender", "identifier", "sent")
        )

    assert update_doc.findtext("cap:msgType", namespaces=NS) == "Update"
    assert update_doc.findtext("cap:references", namespaces=NS) == name(first_doc)
    assert cancel_doc.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cancel_doc.findtext("cap:references", namespaces=NS).split() == [
        name(first_doc),
        name(update_doc),
    ]
    # The feed shows what is in force: the cancellation, not the messages it replaced.
    feed = client.get("/cap/alerts.atom").text
    assert cancel["identifier"] in feed
    assert first["identifier"] not in feed and update["identifier"] not in feed
    # A replaced message cannot be replaced again; a new Alert references nothing.
    again = alert_body(msg_type="Update", references=first["id"])
    r = client.post("/api/v1/alerts", json=again, headers=desk.author.headers)
    assert assert_problem(r, 409)["code"] == "alert_reference_superseded"
    r = client.post(
        "/api/v1/alerts", json=alert_body(msg_type="Update"), headers=desk.author.headers
    )
    assert assert_problem(r, 422)["code"] == "alert_reference_required"
    r = client.post(
        "/api/v1/alerts", json=alert_body(references=first["id"]), headers=desk.author.headers
    )
    assert assert_problem(r, 422)["code"] == "alert_reference_unexpected"
    draft = desk.create()
    r = client.post(
        "/api/v1/alerts",
        json=alert_body(msg_type="Cancel", references=draft["id"]),
        headers=desk.author.headers,
    )
    assert assert_problem(r, 422)["code"] == "alert_reference_not_published"


def test_approval_publication_and_rejection_are_audited_and_emitted(client, desk, store):
    published = desk.publish()
    rejected = desk.create()
    desk.submit(rejected["id"])
    client.post(
        f"/api/v1/alerts/{rejected['id']}/reject",
        json={"reason": "wrong area"},
        headers=desk.supervisor.headers,
    )
    with store.read() as session:
        audit = {
            (e.action, e.record_id, e.actor)
            for e in session.execute(
                select(AuditEntry).where(AuditEntry.action.like("alert.%"))
            ).scalars()
        }
        events = {
            (e.type, e.record_id, e.public)
            for e in session.execute(
                select(EventRow).where(EventRow.record_type == "alert")
            ).scalars()
        }
    sup = desk.supervisor.username
    assert ("alert.approved", str(published["id"]), sup) in audit
    assert ("alert.published", str(published["id"]), sup) in audit
    assert ("alert.rejected", str(rejected["id"]), sup) in audit
    assert ("alert.published", str(published["id"]), True) in events  # for every signed-in user
    assert ("alert.approved", str(published["id"]), False) in events
    assert ("alert.rejected", str(rejected["id"]), False) in events


def test_drafts_are_seen_only_by_their_agency_and_published_alerts_by_all(client, desk, make_user):
    draft = desk.create()
    published = desk.publish()
    outsider = make_user("dispatcher", "traffic")
    assert_problem(client.get(f"/api/v1/alerts/{draft['id']}", headers=outsider.headers), 404)
    listed = client.get("/api/v1/alerts", headers=outsider.headers).json()["items"]
    assert [a["id"] for a in listed] == [published["id"]]
    # Another agency cannot submit, approve or replace what is not theirs.
    other_sup = make_user("supervisor", "traffic")
    assert_problem(
        client.post(f"/api/v1/alerts/{draft['id']}/submit", headers=outsider.headers), 404
    )
    r = client.post(
        "/api/v1/alerts",
        json=alert_body(msg_type="Cancel", references=published["id"]),
        headers=other_sup.headers,
    )
    assert_problem(r, 403)
    assert_problem(client.get("/api/v1/alerts"), 401)  # the authoring API needs a token


def test_an_expired_alert_cannot_be_approved(client, desk):
    past = datetime.now(UTC) - timedelta(hours=1)
    alert = desk.create(alert_body(expires=past.isoformat()))
    desk.submit(alert["id"])
    body = assert_problem(desk.approve(alert["id"]), 422)
    assert body["code"] == "alert_expired"
    assert client.get("/cap/alerts.atom").text.count("<entry") == 0


def test_every_published_document_is_stored_as_served(client, desk, store):
    from tansiq.alerts.models import Alert

    published = desk.publish()
    served = client.get(f"/cap/alerts/{published['identifier']}.xml").content
    with store.read() as session:
        stored = session.execute(select(Alert.document)).scalar_one()
    assert stored.encode() == served
    assert etree.fromstring(served).tag == "{urn:oasis:names:tc:emergency:cap:1.2}alert"


def _ring(*points):
    return [{"lat": lat, "lon": lon} for lat, lon in points]


BAD_AREAS = {
    "polygon_self_intersecting": {
        "description": "bow tie",
        "polygons": [_ring((29, 47), (30, 48), (30, 47), (29, 48), (29, 47))],
    },
    "polygon_empty": {
        "description": "a line",
        "polygons": [_ring((29, 47), (29.5, 47.5), (30, 48), (29, 47))],
    },
    "polygon_not_closed": {
        "description": "open",
        "polygons": [_ring((29, 47), (29, 48), (30, 48), (30, 47))],
    },
    "polygon_too_few_points": {
        "description": "two points",
        "polygons": [_ring((29, 47), (29, 48), (29, 47))],
    },
    "area_without_shape": {"description": "nowhere"},
}


def test_unusable_areas_are_refused_in_both_languages_and_nothing_is_stored(client, desk):
    for kind, area in BAD_AREAS.items():
        r = client.post(
            "/api/v1/alerts", json=alert_body(areas=[area]), headers=desk.author.headers
        )
        body = assert_problem(r, 422)
        [error] = body["errors"]
        assert error["type"] == kind and error["loc"][:3] == ["body", "areas", 0], kind
        assert error["msg"] != f"validation.{kind}"
        assert re.search("[\u0600-\u06ff]", error["msg_ar"]), kind
    assert client.get("/api/v1/alerts", headers=desk.author.headers).json()["items"] == []


def test_text_xml_cannot_carry_is_refused_at_the_edge(client, desk):
    for bad in ("bell \u0007 ring", "lone \ud800 surrogate", "\ufffe"):
        body = alert_body()
        body["en"]["description"] = bad
        r = client.post(
            "/api/v1/alerts",
            content=json.dumps(body),  # escaped ASCII: JSON can carry a lone surrogate
            headers={**desk.author.headers, "Content-Type": "application/json"},
        )
        assert assert_problem(r, 422)["errors"][0]["type"] == "xml_character"
    assert client.get("/api/v1/alerts", headers=desk.author.headers).json()["items"] == []


def test_an_alert_needs_both_languages_and_zoned_times(client, desk):
    body = alert_body()
    del body["ar"]
    r = client.post("/api/v1/alerts", json=body, headers=desk.author.headers)
    assert assert_problem(r, 422)["errors"][0]["loc"] == ["body", "ar"]
    naive = alert_body(expires="2026-11-23T06:00:00")
    r = client.post("/api/v1/alerts", json=naive, headers=desk.author.headers)
    assert assert_problem(r, 422)["errors"][0]["type"] == "timezone_aware"
    backwards = alert_body(
        effective="2026-11-23T06:00:00+03:00", expires="2026-11-23T05:00:00+03:00"
    )
    r = client.post("/api/v1/alerts", json=backwards, headers=desk.author.headers)
    assert assert_problem(r, 422)["errors"][0]["type"] == "expires_before_effective"
