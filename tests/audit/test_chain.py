"""The audit chain: written with the change, and any tampering in the database is found."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, text, update
from typer.testing import CliRunner

from tansiq.audit.chain import FIELDS, link
from tansiq.audit.models import AuditEntry, AuditHead
from tansiq.audit.verify import anchor, verify_chain
from tansiq.cli.main import app as cli

SPOT = {"lat": 29.37, "lon": 47.98}


def entries(store, **where):
    with store.read() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.seq)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, key) == value)
        return list(session.execute(stmt).scalars())


def make_history(client, make_user, n=4):
    d = make_user("dispatcher", "traffic")
    for _ in range(n):
        r = client.post(
            "/api/v1/incidents", json={"type": "traffic_collision", **SPOT}, headers=d.headers
        )
        assert r.status_code == 201
    return d


def test_a_write_is_recorded_with_who_what_and_where(client, make_user, store):
    d = make_user("dispatcher", "traffic")
    r = client.post(
        "/api/v1/incidents",
        json={"type": "traffic_collision", **SPOT},
        headers={**d.headers, "X-Request-ID": "req-123"},
    )
    incident_id = str(r.json()["id"])
    (entry,) = entries(store, action="incidents.insert")
    assert entry.record_id == incident_id and entry.record_type == "incidents"
    assert (entry.actor, entry.agency, entry.role) == (d.username, "traffic", "dispatcher")
    assert entry.request_id == "req-123" and entry.client
    assert entry.before is None and entry.after["type_code"] == "traffic_collision"
    assert "search_text" not in entry.after
    client.patch(f"/api/v1/incidents/{incident_id}", json={"priority": 4}, headers=d.headers)
    (change,) = entries(store, action="incidents.update")
    assert change.before == {"priority": 2, "version": 1, "updated_at": change.before["updated_at"]}
    assert change.after["priority"] == 4


def test_a_rolled_back_command_leaves_no_audit_entry(client, make_user, store):
    d = make_user("dispatcher", "traffic")
    before = len(entries(store))
    r = client.post(
        "/api/v1/incidents",
        json={"type": "traffic_collision", **SPOT, "share_with": ["nowhere"]},
        headers=d.headers,
    )
    assert r.status_code == 422
    assert len(entries(store)) == before


def test_secrets_never_reach_the_trail(client, make_user, store):
    admin = make_user("admin", "systems_information")
    client.post(
        "/api/v1/users",
        json={
            "username": "new.one",
            "password": "s3cret-passphrase!",
            "role": "viewer",
            "agency": "traffic",
        },
        headers=admin.headers,
    )
    (entry,) = [
        e for e in entries(store, action="users.insert") if e.after["username"] == "new.one"
    ]
    assert entry.after["password_hash"] == "[redacted]"
    with store.read() as session:
        dump = " ".join(
            str(r) for r in session.execute(select(AuditEntry.before, AuditEntry.after)).all()
        )
    assert "s3cret-passphrase" not in dump and "argon2" not in dump


def test_intact_chain_verifies(client, make_user, store):
    make_history(client, make_user)
    with store.read() as session:
        report = verify_chain(session)
    assert report.ok and report.checked >= 8 and report.head_seq == report.checked


def _report(store):
    with store.read() as session:
        return verify_chain(session)


def test_an_edited_entry_is_found(client, make_user, store):
    make_history(client, make_user)
    with store.write() as uow:
        uow.session.execute(
            update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone-else")
        )
    report = _report(store)
    assert not report.ok and report.broken_at == 3 and "edited" in report.reason


def test_a_deleted_entry_is_found(client, make_user, store):
    make_history(client, make_user)
    with store.write() as uow:
        uow.session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    report = _report(store)
    assert not report.ok and report.broken_at == 4


def test_deleting_the_newest_entries_is_found(client, make_user, store):
    make_history(client, make_user)
    head = _report(store).head_seq
    with store.write() as uow:
        uow.session.execute(delete(AuditEntry).where(AuditEntry.seq > head - 2))
    report = _report(store)
    assert not report.ok and report.broken_at == head - 1 and "removed" in report.reason


def test_an_inserted_entry_is_found(client, make_user, store):
    make_history(client, make_user)
    with store.write() as uow:
        s = uow.session
        rows = list(
            s.execute(
                select(AuditEntry).where(AuditEntry.seq >= 5).order_by(AuditEntry.seq.desc())
            ).scalars()
        )
        for row in rows:  # make room at 5, newest first so keys never collide
            s.execute(update(AuditEntry).where(AuditEntry.seq == row.seq).values(seq=row.seq + 1))
        forged = {c.key: getattr(rows[-1], c.key) for c in AuditEntry.__table__.columns}
        s.execute(insert(AuditEntry).values(**{**forged, "seq": 5, "action": "incidents.delete"}))
        s.execute(update(AuditHead).values(seq=AuditHead.seq + 1))
    report = _report(store)
    assert not report.ok and report.broken_at == 5


def test_reordered_entries_are_found(client, make_user, store):
    make_history(client, make_user)
    with store.write() as uow:
        s = uow.session
        s.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=-3))
        s.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=3))
        s.execute(update(AuditEntry).where(AuditEntry.seq == -3).values(seq=4))
    report = _report(store)
    assert not report.ok and report.broken_at == 3


def test_anchors_catch_a_history_rewritten_with_fresh_hashes(client, make_user, store):
    make_history(client, make_user)
    with store.read() as session:
        kept = anchor(session)
    # Someone with database access edits entry 2 and recomputes every hash after it.
    with store.write() as uow:
        s = uow.session
        prev = s.execute(select(AuditEntry.hash).where(AuditEntry.seq == 1)).scalar_one()
        for row in (
            s.execute(select(AuditEntry).where(AuditEntry.seq >= 2).order_by(AuditEntry.seq))
            .scalars()
            .all()
        ):
            values = {c: getattr(row, c) for c in FIELDS}
            if row.seq == 2:
                values["actor"] = "someone-else"
            digest = link(prev, values)
            s.execute(
                update(AuditEntry)
                .where(AuditEntry.seq == row.seq)
                .values(actor=values["actor"], prev_hash=prev, hash=digest)
            )
            prev = digest
        s.execute(update(AuditHead).values(hash=prev))
    with store.read() as session:
        assert verify_chain(session).ok  # consistent on its own...
        report = verify_chain(session, [(kept["seq"], kept["hash"])])
    assert not report.ok and report.broken_at == kept["seq"]  # ...but not with the anchor


def test_cli_verify_and_anchor(client, make_user, store, settings, monkeypatch, tmp_path):
    make_history(client, make_user)
    monkeypatch.setenv("TANSIQ_DATABASE_URL", settings.effective_database_url)
    runner = CliRunner()
    anchors = tmp_path / "anchors.jsonl"
    assert runner.invoke(cli, ["audit", "anchor", "--append", str(anchors)]).exit_code == 0
    ok = runner.invoke(cli, ["audit", "verify", "--anchors", str(anchors)])
    assert ok.exit_code == 0 and "intact" in ok.output
    with store.write() as uow:
        uow.session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(action="x"))
    broken = runner.invoke(cli, ["audit", "verify"], terminal_width=200)
    assert broken.exit_code == 1 and "entry 2" in broken.output
    out = tmp_path / "audit.jsonl"
    exported = runner.invoke(
        cli, ["audit", "export", "--out", str(out), "--action", "incidents.insert"]
    )
    assert exported.exit_code == 0 and len(out.read_text().splitlines()) == 4


@pytest.mark.parametrize("table", ["audit_log"])
def test_raw_sql_cannot_bypass_detection(client, make_user, store, table):
    make_history(client, make_user, n=2)
    with store.write() as uow:
        uow.session.execute(text(f"UPDATE {table} SET record_id = 'x' WHERE seq = 1"))
    assert _report(store).broken_at == 1
