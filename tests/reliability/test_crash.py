"""SIGKILL the server in the middle of concurrent incident work, restart it, and check that no
acknowledged write is lost and nothing is half-written (see `_crash.py` for what is checked).

One database per run (SQLite file, PostgreSQL schema of its own), a real `tansiq serve` process,
several dispatchers writing at once, and three kills at different moments of the load: early
(a handful of writes in), in the middle, and later. The long version with many more rounds is
`benchmarks/reliability.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability._crash import Ledger, check, load_and_kill, register_units, settle
from tests.reliability._server import (
    PG_URL,
    ServerProcess,
    add_people,
    fresh_database,
    postgres_unreachable,
)

WORKERS = [
    ("crash.ps.1", "dispatcher", "public_security", "secret"),
    ("crash.ps.2", "dispatcher", "public_security", "confidential"),
    ("crash.traffic.1", "dispatcher", "traffic", "secret"),
    ("crash.traffic.2", "supervisor", "traffic", "secret"),
]
KILL_AFTER_ACKS = (8, 40, 90)  # three different moments of the load


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        reason = postgres_unreachable(PG_URL)
        if reason:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI=true requires PostgreSQL. {reason}")
            pytest.skip(reason)
    return str(request.param)


@pytest.mark.slow
def test_sigkill_during_concurrent_writes_loses_no_acknowledged_write(
    kind: str, tmp_path: Path
) -> None:
    ledger = Ledger()
    with fresh_database(kind, tmp_path) as db, ServerProcess(db) as server:
        people = add_people(db, WORKERS)
        server.start()
        register_units(server, people, ledger, per=2)
        for round_no, kill_after in enumerate(KILL_AFTER_ACKS, start=1):
            result = load_and_kill(
                server, people, ledger, kill_after_acks=kill_after, seed=round_no
            )
            assert not ledger.unexpected, ledger.unexpected[:5]
            assert result.acknowledged >= min(kill_after, 5), (result, server.log_tail())
            server.start()
            report = check(db, ledger)
            assert report.problems == [], f"after kill {round_no} ({result}):\n" + "\n".join(
                report.problems[:20]
            )
            assert settle(db, server, people, ledger) == []
        server.stop()
        assert server.proc is not None and server.proc.returncode == 0, server.log_tail()
        verified = server.cli("audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    assert ledger.acknowledged["incident.create"] >= 20
    assert ledger.acknowledged["incident.transition"] >= 10
    assert ledger.acknowledged["assignment"] >= 3
