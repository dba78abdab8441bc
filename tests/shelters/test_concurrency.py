"""A shelter is never over capacity, whatever the interleaving of many desks (real threads and
connections on SQLite and PostgreSQL, and real HTTP requests against a live server)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tansiq.access.models import User
from tansiq.access.service import principal_of
from tansiq.errors import Problem
from tansiq.shelters import desk
from tansiq.shelters.models import Shelter, Stay
from tests.shelters.conftest import check_in, get_shelter


def _nearly_full(client, actor, shelter, household, capacity, inside):
    s = shelter(actor, capacity=capacity)
    assert check_in(client, actor, s["id"], household(actor, size=inside)["id"]).status_code == 200
    return s


def test_concurrent_check_ins_never_overfill_a_nearly_full_shelter(
    client, make_user, shelter, household, store
):
    d = make_user()
    s = _nearly_full(client, d, shelter, household, capacity=50, inside=45)
    waiting = [household(d, size=1)["id"] for _ in range(40)]
    with store.read() as session:
        who = principal_of(session.get(User, d.user_id))
    barrier = threading.Barrier(len(waiting))
    outcomes: list[str] = []

    def desk_checks_in(household_id: int) -> None:
        barrier.wait(30)
        try:
            with store.write() as uow:
                desk.check_in(uow, who, s["id"], household_id)
            outcomes.append("in")
        except Problem as problem:
            outcomes.append(problem.code)

    with ThreadPoolExecutor(len(waiting)) as pool:
        list(pool.map(desk_checks_in, waiting))
    assert outcomes.count("in") == 5  # exactly the room there was, no more
    assert set(outcomes) == {"in", "shelter_full"}
    with store.read() as session:
        shelter_row = session.get(Shelter, s["id"])
        stays = session.execute(
            select(func.sum(Stay.persons)).where(
                Stay.shelter_id == s["id"], Stay.checked_out_at.is_(None)
            )
        ).scalar_one()
    assert (shelter_row.occupancy, shelter_row.status, stays) == (50, "full", 50)


def test_two_desks_checking_one_household_into_two_shelters_at_once_admit_it_once(
    client, make_user, shelter, household, store
):
    d = make_user()
    shelters = [shelter(d, name=n) for n in ("A", "B")]
    h = household(d, size=3)
    with store.read() as session:
        who = principal_of(session.get(User, d.user_id))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def desk_checks_in(shelter_id: int) -> None:
        barrier.wait(30)
        try:
            with store.write() as uow:
                desk.check_in(uow, who, shelter_id, h["id"])
            outcomes.append("in")
        except Problem as problem:
            outcomes.append(problem.code)

    threads = [threading.Thread(target=desk_checks_in, args=(s["id"],)) for s in shelters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["household_already_checked_in", "in"]
    assert sum(get_shelter(client, d, s["id"])["occupancy"] for s in shelters) == 3


def test_the_database_refuses_an_over_full_shelter_whatever_the_code_does(
    client, make_user, shelter, store
):
    s = shelter(make_user(), capacity=3)
    with pytest.raises(IntegrityError), store.write() as uow:
        uow.session.execute(
            text("UPDATE shelters SET occupancy = 4 WHERE id = :id"), {"id": s["id"]}
        )


def test_concurrent_check_ins_over_http_never_overfill_the_shelter(live_server, make_user, store):
    d = make_user()
    base = f"http://{live_server}"
    with httpx.Client(base_url=base, timeout=60, headers=d.headers) as http:
        s = http.post(
            "/api/v1/shelters",
            json={
                "name": "Jahra hall",
                "lat": 29.33,
                "lon": 47.66,
                "capacity": 12,
                "status": "open",
            },
        ).json()
        ids = [
            http.post("/api/v1/shelters/households", json={"size": 2, "head_name": f"H{i}"}).json()[
                "id"
            ]
            for i in range(1, 25)
        ]
        first = http.post(f"/api/v1/shelters/{s['id']}/check-ins", json={"household_id": ids[0]})
        assert first.status_code == 200  # 2 of 12 places taken: room for 5 more households

    def post(household_id: int) -> int:
        with httpx.Client(base_url=base, timeout=60, headers=d.headers) as c:
            r = c.post(f"/api/v1/shelters/{s['id']}/check-ins", json={"household_id": household_id})
            return r.status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(post, ids[1:]))
    assert codes.count(200) == 5 and codes.count(409) == len(ids) - 6
    with httpx.Client(base_url=base, timeout=60, headers=d.headers) as http:
        after = http.get(f"/api/v1/shelters/{s['id']}").json()
    assert (after["occupancy"], after["status"]) == (12, "full")
