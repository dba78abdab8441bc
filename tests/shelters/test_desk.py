"""Check-in and check-out: occupancy in persons, full and open again, refusals store nothing."""

from __future__ import annotations

from tests.shelters.conftest import check_in, get_shelter


def check_out(client, actor, shelter_id, household_id):
    return client.post(
        f"/api/v1/shelters/{shelter_id}/check-outs",
        json={"household_id": household_id},
        headers=actor.headers,
    )


def household_status(client, actor, household_id):
    return client.get(f"/api/v1/shelters/households/{household_id}", headers=actor.headers).json()


def test_households_check_in_whole_the_shelter_fills_and_opens_again_when_they_leave(
    client, make_user, shelter, household
):
    d = make_user()
    s = shelter(d, capacity=10)
    a, b = household(d, size=6), household(d, size=4)
    r = check_in(client, d, s["id"], a["id"])
    assert r.status_code == 200 and r.json()["status"] == "checked_in"
    assert r.json()["shelter_id"] == s["id"]
    assert get_shelter(client, d, s["id"])["occupancy"] == 6
    assert check_in(client, d, s["id"], b["id"]).status_code == 200
    full = get_shelter(client, d, s["id"])
    assert (full["occupancy"], full["status"], full["available"]) == (10, "full", 0)
    out = check_out(client, d, s["id"], a["id"])
    assert out.status_code == 200 and out.json()["status"] == "checked_out"
    again = get_shelter(client, d, s["id"])
    assert (again["occupancy"], again["status"]) == (4, "open")


def test_check_in_to_a_full_shelter_is_refused_in_both_languages_and_nothing_is_stored(
    client, make_user, shelter, household
):
    d = make_user()
    s = shelter(d, capacity=5)
    assert check_in(client, d, s["id"], household(d, size=3)["id"]).status_code == 200
    big = household(d, size=3)
    r = check_in(client, d, s["id"], big["id"])
    assert r.status_code == 409 and r.json()["code"] == "shelter_full"
    assert "2" in r.json()["detail"] and r.json()["detail_ar"]
    assert get_shelter(client, d, s["id"])["occupancy"] == 3
    assert household_status(client, d, big["id"])["status"] == "registered"
    # The one person too many is not let in either: a household is never split.
    assert check_in(client, d, s["id"], household(d, size=2)["id"]).status_code == 200
    assert get_shelter(client, d, s["id"])["status"] == "full"


def test_check_in_to_a_closed_or_planned_shelter_is_refused_and_nothing_is_stored(
    client, make_user, shelter, household
):
    d = make_user()
    planned = shelter(d, status="planned")
    closed = shelter(d)
    client.post(f"/api/v1/shelters/{closed['id']}/close", headers=d.headers)
    h = household(d)
    for target, label in ((closed, "مغلق"), (planned, "مخطط له")):
        r = check_in(client, d, target["id"], h["id"])
        assert r.status_code == 409 and r.json()["code"] == "shelter_not_open"
        assert label in r.json()["detail_ar"]
        assert get_shelter(client, d, target["id"])["occupancy"] == 0
    assert household_status(client, d, h["id"])["status"] == "registered"


def test_a_household_cannot_be_checked_in_twice_nor_out_where_it_is_not(
    client, make_user, shelter, household
):
    d = make_user()
    s1, s2 = shelter(d), shelter(d, name="Second")
    h = household(d, size=2)
    assert check_in(client, d, s1["id"], h["id"]).status_code == 200
    twice = check_in(client, d, s2["id"], h["id"])
    assert twice.status_code == 409 and twice.json()["code"] == "household_already_checked_in"
    wrong = check_out(client, d, s2["id"], h["id"])
    assert wrong.status_code == 409 and wrong.json()["code"] == "household_not_checked_in"
    assert [get_shelter(client, d, s["id"])["occupancy"] for s in (s1, s2)] == [2, 0]
    other = household(d, size=1)
    missing = check_in(client, d, s2["id"] + 100, other["id"])
    assert missing.status_code == 404 and missing.json()["detail_ar"]
    assert household_status(client, d, other["id"])["status"] == "registered"


def test_people_inside_a_closed_shelter_can_still_check_out(client, make_user, shelter, household):
    d = make_user()
    s = shelter(d, capacity=4)
    h = household(d, size=4)
    check_in(client, d, s["id"], h["id"])
    client.post(f"/api/v1/shelters/{s['id']}/close", headers=d.headers)
    assert check_out(client, d, s["id"], h["id"]).status_code == 200
    after = get_shelter(client, d, s["id"])
    assert (after["occupancy"], after["status"]) == (0, "closed")


def test_occupancy_changes_go_out_on_the_feed_without_personal_data(
    client, make_user, shelter, household, store
):
    from tansiq.events.log import head, read_range

    d = make_user()
    s = shelter(d, capacity=8)
    h = household(d, size=3, national_id="289010112345")
    check_in(client, d, s["id"], h["id"])
    with store.read() as session:
        events = read_range(session, 0, head(session))
    kinds = [e.type for e in events if e.type.startswith("shelter.")]
    assert kinds == [
        "shelter.created",
        "shelter.household_registered",
        "shelter.occupancy",
        "shelter.checked_in",
    ]
    occupancy = next(e for e in events if e.type == "shelter.occupancy")
    assert occupancy.data["shelter"]["occupancy"] == 3
    assert occupancy.audience.agencies is None  # every signed-in user sees the figures
    assert "Fatima" not in str(occupancy.data)
    personal = next(e for e in events if e.type == "shelter.checked_in")
    assert personal.audience.agencies is not None and personal.audience.classification >= 1
    assert personal.data["household"]["size"] == 3
    for secret in ("289010112345", "Fatima"):
        assert secret not in str([e.data for e in events])
