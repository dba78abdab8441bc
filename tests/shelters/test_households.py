"""Evacuees' data: the minimum, seen only by those who need it, kept out of the audit trail,
deleted at the end of its retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.shelters.conftest import check_in

NID = "289010112345"


def test_a_household_is_registered_with_members_needs_and_a_generated_reference(
    client, make_user, household
):
    d = make_user()
    h = household(
        d,
        size=3,
        needs=["infant", "mobility", "infant"],
        phone="+965 5555 1234",
        members=[{"name": "Noura", "age_band": "0-4"}, {"name": "Ali", "age_band": "60+"}],
    )
    assert h["reference"].startswith("H-") and h["status"] == "registered"
    assert h["needs"] == ["infant", "mobility"]
    assert [m["age_band"] for m in h["members"]] == ["0-4", "60+"]
    assert h["agency"] == "public_security"


def test_bad_household_input_is_refused_in_both_languages_and_nothing_is_stored(client, make_user):
    d = make_user()
    cases = [
        ({"size": 0, "head_name": "x"}, "size"),
        ({"size": 2, "head_name": "x", "needs": ["vip"]}, "needs"),
        ({"size": 2, "head_name": "x", "national_id": "12; drop"}, "national_id"),
        ({"size": 2, "head_name": "x", "note": "n" * 501}, "note"),
        (
            {"size": 1, "head_name": "x", "members": [{"name": "a", "age_band": "0-4"}] * 2},
            "members",
        ),
        ({"size": 2, "head_name": "x", "origin_lat": 29.3}, "origin_lon"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/shelters/households", json=body, headers=d.headers)
        assert r.status_code == 422, (body, r.text)
        err = r.json()["errors"][0]
        assert field in err["loc"] and err["msg"] and err["msg_ar"], body
    listed = client.get("/api/v1/shelters/households", headers=d.headers).json()
    assert listed["items"] == []


def test_a_duplicate_reference_is_refused(client, make_user, household):
    d = make_user()
    household(d, reference="JAHRA-001")
    r = client.post(
        "/api/v1/shelters/households",
        json={"size": 1, "head_name": "y", "reference": "JAHRA-001"},
        headers=d.headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "duplicate"


def test_evacuees_are_seen_by_the_registering_and_managing_agencies_and_the_joint_room_only(
    client, make_user, shelter, household, store
):
    desk = make_user("field_unit", agency="traffic")
    manager = make_user(agency="civil_defence")
    joint = make_user("viewer", agency="joint_ops_room", clearance="restricted")
    other = make_user(agency="criminal_security")
    low = make_user("viewer", agency="joint_ops_room", clearance="public")
    s = shelter(manager, agency="civil_defence")
    h = household(desk, national_id=NID)
    url = f"/api/v1/shelters/households/{h['id']}"
    assert client.get(url, headers=manager.headers).status_code == 404  # not at its shelter yet
    assert check_in(client, desk, s["id"], h["id"]).status_code == 200
    for actor in (desk, manager, joint):
        assert client.get(url, headers=actor.headers).status_code == 200
    for actor in (other, low):
        assert client.get(url, headers=actor.headers).status_code == 404
        listed = client.get("/api/v1/shelters/households", headers=actor.headers).json()
        assert listed["items"] == []
    # Each read of an evacuee's record is in the audit trail, with who read it.
    from tansiq.audit.models import AuditEntry

    with store.read() as session:
        readers = (
            session.execute(
                select(AuditEntry.actor).where(
                    AuditEntry.action == "shelter_households.read",
                    AuditEntry.record_id == str(h["id"]),
                )
            )
            .scalars()
            .all()
        )
    assert {desk.username, manager.username, joint.username} <= set(readers)
    assert other.username not in readers
    # The national id is for the managing agency alone.
    assert client.get(url, headers=manager.headers).json()["national_id"] == NID
    assert client.get(url, headers=desk.headers).json()["national_id"] is None
    assert client.get(url, headers=joint.headers).json()["national_id"] is None


def test_only_the_managing_agency_records_a_national_id(client, make_user, shelter, household):
    desk = make_user("field_unit", agency="traffic")
    manager = make_user(agency="civil_defence")
    s = shelter(manager, agency="civil_defence")
    h = household(desk)
    check_in(client, desk, s["id"], h["id"])
    url = f"/api/v1/shelters/households/{h['id']}"
    r = client.patch(url, json={"national_id": NID}, headers=desk.headers)
    assert r.status_code == 403 and r.json()["code"] == "shelter_national_id_managing_agency"
    r = client.patch(url, json={"national_id": NID, "note": "diabetic"}, headers=manager.headers)
    assert r.status_code == 200 and r.json()["national_id"] == NID


def test_the_size_of_a_household_inside_a_shelter_cannot_change_under_its_count(
    client, make_user, shelter, household
):
    d = make_user()
    s = shelter(d)
    h = household(d, size=2)
    check_in(client, d, s["id"], h["id"])
    r = client.patch(f"/api/v1/shelters/households/{h['id']}", json={"size": 5}, headers=d.headers)
    assert r.status_code == 409 and r.json()["code"] == "household_size_locked"


def test_personal_values_never_reach_the_audit_trail(client, make_user, shelter, household, store):
    from tansiq.audit.models import AuditEntry

    d = make_user(agency="civil_defence")
    s = shelter(d, agency="civil_defence")
    h = household(d, head_name="Mariam Q8", phone="+96599990000", national_id=NID, note="asthma")
    check_in(client, d, s["id"], h["id"])
    client.patch(
        f"/api/v1/shelters/households/{h['id']}", json={"phone": "+96511112222"}, headers=d.headers
    )
    with store.read() as session:
        entries = session.execute(select(AuditEntry)).scalars().all()
    trail = str([(e.action, e.before, e.after) for e in entries])
    assert "shelter_households.insert" in trail and "shelter_households.update" in trail
    for secret in ("Mariam", "9999", "1111", NID, "asthma"):
        assert secret not in trail


def test_households_past_their_retention_are_deleted_and_others_kept(
    client, make_user, shelter, household, store
):
    from tansiq.shelters.models import Household, HouseholdMember, Stay
    from tansiq.store.base import utcnow

    d = make_user()
    s = shelter(d)
    gone = household(d, members=[{"name": "a", "age_band": "5-17"}])
    staying = household(d)
    recent = household(d)
    for h in (gone, staying):
        check_in(client, d, s["id"], h["id"])
    client.post(
        f"/api/v1/shelters/{s['id']}/check-outs",
        json={"household_id": gone["id"]},
        headers=d.headers,
    )
    with store.write() as uow:  # the check-out happened 91 days ago
        uow.session.execute(
            update(Household)
            .where(Household.id == gone["id"])
            .values(checked_out_at=utcnow() - timedelta(days=91))
        )
    field = make_user("field_unit")
    assert (
        client.post("/api/v1/shelters/households/purge", json={}, headers=field.headers).status_code
        == 403
    )
    r = client.post("/api/v1/shelters/households/purge", json={}, headers=d.headers)
    assert r.status_code == 200 and r.json() == {"purged": 1}
    with store.read() as session:
        left = set(session.execute(select(Household.id)).scalars())
        assert (
            session.execute(
                select(HouseholdMember).where(HouseholdMember.household_id == gone["id"])
            ).first()
            is None
        )
        assert session.execute(select(Stay).where(Stay.household_id == gone["id"])).first() is None
    assert left == {staying["id"], recent["id"]}
