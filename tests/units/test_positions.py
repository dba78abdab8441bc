"""Position reports in batches, and the group commit that writes concurrent reports together."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import orjson
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
        "fixes": 3,  # the late fix is kept in the track
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


def test_the_track_keeps_every_fix_late_ones_included_and_thins_on_request(client, make_user):
    d = make_user()
    unit = _unit(client, d, "TR-1")
    t0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    rows = [
        {
            "unit_id": unit["id"],
            "lat": 29.3 + i * 1e-4,
            "lon": 48.0,
            "at": (t0 + timedelta(seconds=10 * i)).isoformat(),
        }
        for i in range(30)
    ]
    late, rest = rows[5], rows[:5] + rows[6:]
    assert client.post(URL, json={"positions": rest}, headers=d.headers).status_code == 202
    assert client.post(URL, json={"positions": [late]}, headers=d.headers).json()["stale"] == 1
    track_url = f"/api/v1/units/{unit['id']}/track"
    window = {"from": t0.isoformat(), "to": (t0 + timedelta(minutes=10)).isoformat()}
    full = client.get(track_url, params=window, headers=d.headers).json()
    assert [p["lat"] for p in full["points"]] == [r["lat"] for r in rows]
    assert full["truncated"] is False and len(full["geometry"]["coordinates"]) == 30
    thin = client.get(track_url, params={**window, "every": 60}, headers=d.headers).json()
    assert [p["at"][:19] for p in thin["points"]] == [
        (t0 + timedelta(minutes=m)).isoformat()[:19] for m in range(5)
    ]
    capped = client.get(track_url, params={**window, "limit": 7}, headers=d.headers).json()
    assert len(capped["points"]) == 7 and capped["truncated"] is True


def test_bad_track_queries_are_refused(client, make_user):
    d, other = make_user(), make_user("dispatcher", "fire_marine_rescue")
    unit = _unit(client, d, "TR-2")
    url = f"/api/v1/units/{unit['id']}/track"
    now = datetime.now(UTC)
    naive = client.get(url, params={"from": "2026-11-22T06:00:00"}, headers=d.headers)
    assert naive.status_code == 422 and naive.json()["errors"][0]["msg_ar"]
    backwards = client.get(
        url,
        params={"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()},
        headers=d.headers,
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_time_range"
    assert client.get(url, params={"every": 0}, headers=d.headers).status_code == 422
    assert client.get(url, headers=other.headers).status_code == 404


def test_old_track_points_are_pruned_after_the_retention(store, make_user, client):
    """The writer prunes now and then (first after its first batch): a fix older than the
    retention (90 days by default) is accepted, then pruned, and the pruning is audited."""
    d = make_user()
    unit = _unit(client, d, "TR-3")
    now = datetime.now(UTC)
    rows = [
        {
            "unit_id": unit["id"],
            "lat": 29.3,
            "lon": 48.0,
            "at": (now - timedelta(days=100)).isoformat(),
        },
        {"unit_id": unit["id"], "lat": 29.4, "lon": 48.0, "at": now.isoformat()},
    ]
    answer = client.post(URL, json={"positions": rows}, headers=d.headers).json()
    assert answer["applied"] + answer["stale"] == 2 and not answer["rejected"]
    # The writer prunes after answering the batch: wait for its audit entry, then look.
    deadline = time.monotonic() + 10
    pruned = None
    while pruned is None and time.monotonic() < deadline:
        with store.read() as session:
            pruned = session.execute(
                select(AuditEntry).where(AuditEntry.action == "units.track_pruned")
            ).scalar_one_or_none()
        time.sleep(0.05)
    assert pruned is not None, "the writer did not prune"
    track = client.get(
        f"/api/v1/units/{unit['id']}/track",
        params={"from": (now - timedelta(days=200)).isoformat()},
        headers=d.headers,
    ).json()
    assert [p["lat"] for p in track["points"]] == [29.4]
    assert pruned.after["deleted"] == 1


def test_fixes_are_placed_on_the_road_network_when_one_is_loaded(settings, store, make_user):
    from fastapi.testclient import TestClient

    from tansiq.app import create_app
    from tansiq.roads.storage import save_network
    from tansiq.roads.synthetic import grid_network
    from tansiq.units.models import UnitPosition

    save_network(store, grid_network(side=10, spacing_m=100.0))
    d = make_user()
    with TestClient(create_app(settings)) as c:
        unit = register(c, d, callsign="RD-1", lat=29.301, lon=47.901)
        rows = [
            {"unit_id": unit["id"], "lat": 29.3004, "lon": 47.9013},  # beside a street of the grid
            {"unit_id": unit["id"], "lat": 29.9, "lon": 48.9},  # far from any road: kept anyway
        ]
        rows[1]["at"] = datetime.now(UTC).isoformat()
        rows[0]["at"] = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
        answer = c.post(URL, json={"positions": rows}, headers=d.headers).json()
        assert answer["applied"] + answer["stale"] == 2
    with store.read() as session:
        placed = (
            session.execute(
                select(UnitPosition)
                .where(UnitPosition.unit_id == unit["id"])
                .order_by(UnitPosition.at)
            )
            .scalars()
            .all()
        )
    assert placed[0].road_edge is not None and placed[0].road_offset_m < 50
    assert placed[1].road_edge is None


def test_a_body_that_is_no_batch_is_refused_whole_and_stores_nothing(client, make_user, store):
    from tansiq.units.models import UnitPosition

    d = make_user()
    unit = _unit(client, d, "NB-1")
    good = {"unit_id": unit["id"], "lat": 29.4, "lon": 48.1}
    json_type = {**d.headers, "Content-Type": "application/json"}
    refused = {
        b"not json": ("json_invalid", 422, json_type),
        b"[" * 50_000 + b"]" * 50_000: ("json_invalid", 422, json_type),  # nested past any stack
        orjson.dumps({"positions": [good], "extra": 1}): ("extra_forbidden", 422, json_type),
        orjson.dumps([good]): ("model_type", 422, json_type),
        orjson.dumps({"positions": [good]}): (None, 415, {**d.headers, "Content-Type": "text/csv"}),
    }
    for body, (kind, status, headers) in refused.items():
        r = client.post(URL, content=body, headers=headers)
        assert r.status_code == status, (body[:40], r.text)
        problem = r.json()
        if kind:
            assert problem["errors"][0]["type"] == kind and problem["errors"][0]["msg_ar"]
        else:
            assert problem["code"] == "unsupported_media_type"
    with store.read() as session:
        kept = session.execute(select(UnitPosition).where(UnitPosition.unit_id == unit["id"]))
        assert kept.first() is None
    got = client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()
    assert (got["lat"], got["lon"]) == (29.3, 48.0)


def test_a_nan_row_is_rejected_alone_and_a_body_without_a_type_is_read_as_json(client, make_user):
    d = make_user()
    unit = _unit(client, d, "NB-2")
    body = (
        b'{"positions": [{"unit_id": %d, "lat": NaN, "lon": 48.0},'
        b' {"unit_id": %d, "lat": 29.5, "lon": 48.2}]}' % (unit["id"], unit["id"])
    )
    r = client.post(URL, content=body, headers=d.headers)  # no Content-Type at all
    assert r.status_code == 202, r.text
    assert r.json()["applied"] == 1
    assert [row["index"] for row in r.json()["rejected"]] == [0]
    got = client.get(f"/api/v1/units/{unit['id']}", headers=d.headers).json()
    assert (got["lat"], got["lon"]) == (29.5, 48.2)


def test_a_unit_reported_twice_in_one_transaction_gets_one_position_event(store, make_user, client):
    from tansiq.audit.context import acting_as
    from tansiq.units import positions

    d = make_user()
    unit = _unit(client, d, "CO-1")["id"]
    with store.read() as session:
        who = principal_of(session.get(User, d.user_id))
        head = session.execute(select(EventRow.seq).order_by(EventRow.seq.desc())).scalar()
    at = datetime.now(UTC)  # newer than the unit's registered position
    with acting_as(None), store.write() as uow:  # two requests written by one group commit
        positions.record(uow, who, [Fix(unit, 29.1, 48.1, at)])
        positions.record(uow, who, [Fix(unit, 29.2, 48.2, at + timedelta(seconds=1))])
    with store.read() as session:
        events = session.execute(select(EventRow).where(EventRow.seq > (head or 0))).scalars()
        moved = [e for e in events if e.type == "unit.position"]
    assert len(moved) == 1 and (moved[0].data["lat"], moved[0].data["lon"]) == (29.2, 48.2)
