"""Feed subscribers that disconnect and reconnect at random (`since=` their last seq) while
dispatchers write, across a SIGKILL and restart of the server, end with every event they may see
exactly once and in order, compared with the log read from the database for each user.

Subscribers are users of different agencies and clearances, and writers classify and share what
they write, so the visibility filter is exercised on every replay and live delivery. The long
version (60 s of load, several restarts) is `benchmarks/reliability.py --reconnect-seconds 60`.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.reliability._feed import Subscriber, Writer, drain
from tests.reliability._server import (
    PG_URL,
    ServerProcess,
    add_people,
    fresh_database,
    postgres_unreachable,
)

WRITERS = [
    ("feed.w.ps", "dispatcher", "public_security", "secret"),
    ("feed.w.traffic", "dispatcher", "traffic", "confidential"),
]
SUBSCRIBERS = [
    ("feed.s.ps.secret", "dispatcher", "public_security", "secret"),
    ("feed.s.ps.restricted", "viewer", "public_security", "restricted"),
    ("feed.s.traffic", "analyst", "traffic", "confidential"),
    ("feed.s.joint", "liaison", "joint_ops_room", "secret"),
    ("feed.s.criminal", "viewer", "criminal_security", "restricted"),
    ("feed.s.civil", "viewer", "civil_defence", "secret"),  # nothing is shared with it
]


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
def test_random_reconnects_across_a_restart_miss_and_repeat_nothing(
    kind: str, tmp_path: Path
) -> None:
    stop = threading.Event()
    writers: list[Writer] = []
    subscribers: list[Subscriber] = []
    with fresh_database(kind, tmp_path) as db, ServerProcess(db) as server:
        try:
            people = add_people(db, WRITERS + SUBSCRIBERS)
            server.start()
            deadline = time.monotonic() + 120
            subscribers = [
                Subscriber(server, p, seed=i, deadline=deadline)
                for i, p in enumerate(people[len(WRITERS) :])
            ]
            writers = [
                Writer(server, p, seed=100 + i, stop=stop)
                for i, p in enumerate(people[: len(WRITERS)])
            ]
            for t in [*subscribers, *writers]:
                t.start()
            time.sleep(4)
            server.kill()  # in the middle of the load: nothing flushed, nothing said goodbye
            server.start()
            time.sleep(4)
        finally:
            stop.set()
            for w in writers:
                w.join(60)
            results = drain(db, subscribers, timeout=30) if subscribers else []
    for w in writers:
        assert w.errors == [], w.errors[:5]
    assert sum(w.writes for w in writers) >= 40
    for s in subscribers:
        assert s.errors == [], (s.person.username, s.errors[:5])
        assert s.drops["refused:5xx"] == 0, (s.person.username, s.drops)
    for r in results:
        assert r.ok, r
    by_user = {r.user: r for r in results}
    assert by_user["feed.s.ps.secret"].received > by_user["feed.s.ps.restricted"].received > 0
    assert by_user["feed.s.joint"].received > 0 and by_user["feed.s.traffic"].received > 0
    assert by_user["feed.s.civil"].expected == by_user["feed.s.civil"].received == 0
    assert sum(s.reconnects for s in subscribers) >= 20
    # Every subscriber was cut off by the kill (or found the server down) and came back.
    assert all(s.drops["by_server"] + s.drops["unreachable"] for s in subscribers)
