"""Position reports in batches, and the group commit that writes concurrent reports together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tansiq.access.models import User
from tansiq.access.service import principal_of
from tansiq.audit.models import AuditEntry
from tansiq.events.models import EventRow
from tansiq.units.position_writer import PositionWriter
from tansiq.units.positions import Fix
from tests.units.test_units import register

URL = "/api/v1/units/positions"


def _unit(client, actor, callsign):
    return register(client, actor, callsign=callsign, lat=29.3, lon=48.0)


def test_good_rows_are_written_and_bad_rows_reported_by_index(client, make_user, store):
    d = make_user()
    a, b = _unit(client, d, "PB-1"), _unit(client, d, "PB-2")
    now = datetime.now(UTC)
    rows = [
        {"unit_id": a["id"], "lat": 29.31, "lon": 48.01, "at": now.isoformat()},
        {"unit_id": a["id"], "lat": 91, "lon": 48.0},  # latitude out of range
        {"unit_id": b["id"], "lat": 29.32, "lon": 48.02, "at": "2026-01-01T10:00:00"},  # no zone
        {"unit_id": 999_999, "lat": 29.3, "lon": 48.0},  # no such unit
        "not an object",
        {
            "unit_id": b["id"],
            "lat": 29.33,
            "lon": 48.03,
            "at": (now + timedelta(hours=1)).isoformat(),
        },
        {"unit_id": b["id"], "lat": 29.34, "lon": 48.04, "at": now.isoformat()},
        {
            "unit_id": a["id"],
            "lat": 1.0,
            "lon": 1.0,
            "at": (now - timedelta(minutes=5)).isoformat(),
        },
    ]
    r = client.post(URL, json={"positions": rows}, headers=d.headers)
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["applied"], body["stale"]) == (2, 1)
    rejected = {row["index"]: row["errors"][0] for row in body["rejected"]}
    assert sorted(rejected) == [1, 2, 3, 4, 5]
    assert rejected[1]["loc"][:3] == ["body", "positions", 1]
    assert rejected[2]["type"] == "timezone_aware" and rejected[5]["type"] == "in_future"
    assert rejected[3]["type"] == "unit_not_found"
    assert all(e["msg"] and e["msg_ar"] for e in rejected.values())
    got_a = client.get(f"/api/v1/units/{a['id']}", headers=d.headers).json()
    got_b = client.get(f"/api/v1/units/{b['id']}", headers=d.headers).json()
    assert (got_a["lat"], got_a["lon"]) == (29.31, 48.01)  # the late fix did not move it back
    assert (got_b["lat"], got_b["lon"]) == (29.34, 48.04)
    with store.read() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "units.positions")
        ).scalar_one()
    assert entry.actor == d.username and entry.after == {
        "fixes": 2,
        "units": sorted([a["id"], b["id"]]),
        "unit_count": 2,
    }


def test_a_unit_out_of_sight_is_reported_like_a_missing_one(client, make_user):
    owner = make_user("dispatcher", "fire_marine_rescue")
    other = make_user("dispatcher", "traffic")
    hidden = register(client, owner, callsign="FE-9", type="fire_engine", lat=29.3, lon=48.0)
    r = client.post(
        URL,
        json={"positions": [{"unit_id": hidden["id"], "lat": 29.5, "lon": 48.5}]},
        headers=other.headers,
    )
    assert r.status_code == 202
    assert r.json()["rejected"][0]["errors"][0]["type"] == "unit_not_found"
    got = client.get(f"/api/v1/units/{hidden['id']}", headers=owner.headers).json()
    assert (got["lat"], got["lon"]) == (29.3, 48.0)


def test_batch_shape_errors_refuse_the_request(client, make_user):
    d = make_user()
    for body in ({"positions": []}, {"positions": "x"}, {}, {"positions": [{}] * 5001}):
        r = client.post(URL, json=body, headers=d.headers)
        assert r.status_code == 422, body
    viewer = make_user("viewer")
    r = client.post(
        URL, json={"positions": [{"unit_id": 1, "lat": 1, "lon": 1}]}, headers=viewer.headers
    )
    assert r.status_code == 403


def test_concurrent_reports_share_a_transaction_and_each_gets_its_answer(store, make_user, client):
    d = make_user()
    units = [_unit(client, d, f"GC-{i}")["id"] for i in range(20)]
    with store.read() as session:
        who = principal_of(session.get(User, d.user_id))
        head_before = session.execute(select(EventRow.seq).order_by(EventRow.seq.desc())).first()
    writer = PositionWriter(store)
    at = datetime.now(UTC)

    async def burst():
        return await asyncio.gather(
            *(writer.submit(who, [Fix(u, 29.0 + i * 1e-4, 48.0, at)]) for i, u in enumerate(units)),
            writer.submit(who, [Fix(10**9, 29.0, 48.0, at)]),
        )

    try:
        results = asyncio.run(burst())
    finally:
        writer.close()
    assert [r[0].result for r in results] == ["applied"] * 20 + ["not_found"]
    assert [r[0].lat for r in results[:20]] == [29.0 + i * 1e-4 for i in range(20)]
    with store.read() as session:
        new = (
            session.execute(
                select(EventRow.seq).where(EventRow.seq > (head_before[0] if head_before else 0))
            )
            .scalars()
            .all()
        )
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "units.positions"))
            .scalars()
            .all()
        )
    assert len(new) == 20  # one event per unit, however the requests were grouped
    assert sum(e.after["fixes"] for e in entries) == 20
    assert len(entries) == 20  # one audit entry per request, naming its reporter
    # Requests that queued together were written in one transaction (one time stamp each).
    assert len({e.at for e in entries}) < 10
