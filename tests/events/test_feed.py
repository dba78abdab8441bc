"""The live feed over WebSocket and SSE, against a real server: replay, seam, visibility, auth."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

SPOT = {"lat": 29.37, "lon": 47.98}


def ws(server, actor=None, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    headers = actor.headers if actor else {}
    return connect(
        f"ws://{server}/api/v1/feed?{query}", additional_headers=headers, open_timeout=10
    )


def receive(conn, n, timeout=10.0):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        out.append(json.loads(conn.recv(timeout=max(0.01, deadline - time.monotonic()))))
    return out


def create(http, actor, **fields):
    r = http.post(
        "/api/v1/incidents", json={"type": "theft", **SPOT, **fields}, headers=actor.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def http(live_server):
    with httpx.Client(base_url=f"http://{live_server}", timeout=30) as c:
        yield c


def test_since_replays_then_streams_live_in_order(live_server, http, make_user):
    d = make_user()
    made = [create(http, d)["id"] for _ in range(3)]
    with ws(live_server, d, since=0) as conn:
        replayed = receive(conn, 3)
        assert [m["data"]["incident"]["id"] for m in replayed] == made
        assert all(m["type"] == "incident.created" for m in replayed)
        live = create(http, d)
        (msg,) = receive(conn, 1)
        assert msg["data"]["incident"]["id"] == live["id"]
        seqs = [m["seq"] for m in [*replayed, msg]]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4


def test_no_gap_or_duplicate_at_the_seam_under_concurrent_writes(live_server, http, make_user):
    d = make_user()
    for _ in range(5):
        create(http, d)
    start = http.get("/api/v1/feed/head", headers=d.headers).json()["seq"]
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        with httpx.Client(base_url=f"http://{live_server}", timeout=30) as w:
            while not stop.is_set() and len(written) < 60:
                written.append(create(w, d)["id"])

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.2)
    with ws(live_server, d, since=start) as conn:
        time.sleep(0.3)
        stop.set()
        t.join(30)
        got = receive(conn, len(written), timeout=20)
    assert [m["data"]["incident"]["id"] for m in got] == written
    seqs = [m["seq"] for m in got]
    assert seqs == list(range(start + 1, start + 1 + len(written)))


def test_feed_only_carries_what_the_subscriber_may_see(live_server, http, make_user):
    owner = make_user("dispatcher", "public_security")
    traffic = make_user("dispatcher", "traffic")
    low = make_user("viewer", "public_security", "restricted")
    with ws(live_server, traffic) as t_conn, ws(live_server, low) as low_conn:
        hidden = create(http, owner)
        secret = create(http, owner, classification="secret")
        shared = create(http, owner, share_with=["traffic"])
        (t_msg,) = receive(t_conn, 1)
        assert t_msg["data"]["incident"]["id"] == shared["id"]
        low_msgs = receive(low_conn, 2)
        assert [m["data"]["incident"]["id"] for m in low_msgs] == [hidden["id"], shared["id"]]
        assert secret["id"] not in {m["data"]["incident"]["id"] for m in low_msgs}
    # Replay narrows the same way.
    with ws(live_server, traffic, since=0) as conn:
        (msg,) = receive(conn, 1)
        assert msg["data"]["incident"]["id"] == shared["id"]
        with pytest.raises(TimeoutError):
            conn.recv(timeout=0.5)


def test_sse_honours_last_event_id(live_server, http, make_user):
    d = make_user()
    first = create(http, d)
    head = http.get("/api/v1/feed/head", headers=d.headers).json()["seq"]
    second = create(http, d)
    headers = {**d.headers, "Last-Event-ID": str(head)}
    with http.stream("GET", "/api/v1/feed/sse", headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        event: dict[str, str] = {}
        for line in r.iter_lines():
            if line.startswith(("id:", "event:", "data:")):
                key, _, value = line.partition(": ")
                event[key] = value
            if "data" in event:
                break
    assert event["id"] == str(head + 1) and event["event"] == "incident.created"
    data = json.loads(event["data"])
    assert data["data"]["incident"]["id"] == second["id"] != first["id"]


@pytest.mark.parametrize("since", [-1, 10_000])
def test_since_outside_the_log_is_refused(live_server, http, make_user, since):
    d = make_user()
    with pytest.raises(InvalidStatus) as err:
        ws(live_server, d, since=since)
    assert err.value.response.status_code == 400
    assert json.loads(err.value.response.body)["code"] == "feed_since_out_of_range"
    r = http.get("/api/v1/feed/sse", params={"since": since}, headers=d.headers)
    assert r.status_code == 400 and r.json()["code"] == "feed_since_out_of_range"


def test_feed_refuses_missing_and_forged_tokens(live_server, http, make_user):
    with pytest.raises(InvalidStatus) as err:
        ws(live_server)
    assert err.value.response.status_code == 401
    assert http.get("/api/v1/feed/sse").status_code == 401
    d = make_user()
    # An access token is not a feed ticket, and a ticket is not an access token.
    with pytest.raises(InvalidStatus):
        ws(live_server, ticket=d.token)
    ticket = http.post("/api/v1/feed/ticket", headers=d.headers).json()["ticket"]
    assert (
        http.get("/api/v1/incidents", headers={"Authorization": f"Bearer {ticket}"}).status_code
        == 401
    )
    with ws(live_server, ticket=ticket) as conn:
        create(http, d)
        assert receive(conn, 1)[0]["type"] == "incident.created"


def test_disabling_a_user_closes_their_open_feed(live_server, http, make_user):
    admin = make_user("admin", "systems_information")
    user = make_user("dispatcher", "public_security")
    with ws(live_server, user) as conn:
        time.sleep(0.2)
        r = http.patch(
            f"/api/v1/users/{user.username}", json={"disabled": True}, headers=admin.headers
        )
        assert r.status_code == 200
        (msg,) = receive(conn, 1)
        assert msg["type"] == "feed.closed" and msg["data"]["code"] == "token_revoked"
        assert msg["data"]["detail_ar"]


def test_a_subscriber_that_falls_behind_is_told_and_disconnected(
    request, settings, make_user, store
):
    from tansiq.access.policy import record_audience
    from tansiq.events.types import PendingEvent

    settings.feed_queue_max = 100
    server = request.getfixturevalue("live_server")
    d = make_user()
    with ws(server, d) as conn:
        time.sleep(0.2)
        with store.write() as uow:  # one burst larger than the subscriber's whole queue
            for i in range(150):
                uow.emit(
                    PendingEvent(
                        "incident.updated",
                        "incident",
                        str(i),
                        {"i": i},
                        record_audience(1, d_agency(store, d), set()),
                    )
                )
        messages = []
        while True:
            msg = json.loads(conn.recv(timeout=10))
            messages.append(msg)
            if msg["type"] == "feed.closed":
                break
    assert messages[-1]["data"]["code"] == "feed_too_slow"
    delivered = [m["seq"] for m in messages[:-1]]
    assert len(delivered) == 100 and delivered == sorted(delivered)
    assert messages[-1]["seq"] == delivered[-1]  # where to resume: since=<that seq>


def d_agency(store, actor) -> int:
    from tansiq.access.models import User

    with store.read() as session:
        return session.get(User, actor.user_id).agency_id
