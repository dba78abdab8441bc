"""Feed subscribers that drop their connection at random and resume with `since=`, writers that
keep the log growing, and the comparison of what each subscriber got against the log itself.

A subscriber holds each connection for a random 0.05–1.5 s, then leaves it either politely
(close handshake) or abruptly (socket closed under it), and reconnects with `since=<last seq it
received>`. When the server goes away (SIGKILL or a graceful stop) it keeps trying to reconnect
until the server is back. At the end the log is read straight from the database with the
visibility rule written out here in SQL (clearance covers the classification, and the event is
public or addressed to the subscriber's agency), and each subscriber's messages are compared
with it: every event exactly once and in order. The one allowed difference: a `unit.position`
event may be replaced by a later position of the same unit that the subscriber did receive
(latest wins for a slow subscriber, as documented); those are counted as coalesced.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import httpx
from sqlalchemy import or_, select
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import connect

from tansiq.audit.models import AuditEntry
from tansiq.events.models import EventAudienceRow, EventHead, EventRow
from tests.reliability._server import Database, Person, ServerProcess

COALESCIBLE = frozenset({"unit.position"})
LEVELS = {"restricted": 1, "confidential": 2, "secret": 3}
SHARE_WITH = ("traffic", "joint_ops_room", "public_security", "criminal_security")
SPOT = (29.37, 47.98)


class Subscriber(threading.Thread):
    """One user's feed client that disconnects at random and resumes where it stopped."""

    def __init__(self, server: ServerProcess, person: Person, seed: int, deadline: float) -> None:
        super().__init__(name=f"subscriber-{person.username}", daemon=True)
        self.server = server
        self.person = person
        self.rng = random.Random(seed)
        self.deadline = deadline
        self.received: list[tuple[int, str, str]] = []  # (seq, type, record id)
        self.last = 0
        self.connects = 0
        self.drops: Counter[str] = Counter()  # why each connection ended
        self.errors: list[str] = []
        self.target: int | None = None  # stop once `last` reaches it (set when the load ends)
        self.finish = threading.Event()  # stop regardless (the caller gave up)

    def _done(self) -> bool:
        if self.finish.is_set() or time.monotonic() > self.deadline:
            return True
        return self.target is not None and self.last >= self.target

    def run(self) -> None:
        while not self._done():
            opened = False
            try:
                with connect(
                    f"{self.server.ws_url}?since={self.last}",
                    additional_headers=self.person.headers,
                    open_timeout=5,
                    close_timeout=1,
                ) as conn:
                    opened = True
                    self.connects += 1
                    self._hold(conn, time.monotonic() + self.rng.uniform(0.05, 1.5))
                    if self.rng.random() < 0.5:
                        conn.close_socket()  # gone without a close handshake
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status >= 500:
                    # uvicorn answers 500 to a handshake still in progress when it shuts down
                    # gracefully; the client retries like any other unavailability.
                    self.drops["refused:5xx"] += 1
                else:  # a refusal of the request itself (a bad `since`, a lost token): a fault
                    self.drops["refused"] += 1
                    self.errors.append(f"refused at since={self.last}: {status} {exc}")
                time.sleep(0.2)
            except (OSError, TimeoutError, WebSocketException):
                if not opened:  # the server is down: try again shortly
                    self.drops["unreachable"] += 1
                    time.sleep(0.1)

    def _hold(self, conn: Any, until: float) -> None:
        try:
            while not self._done():
                remaining = until - time.monotonic()
                if remaining <= 0:
                    self.drops["by_client"] += 1
                    return
                try:
                    raw = conn.recv(timeout=min(remaining, 0.25))
                except TimeoutError:
                    continue
                msg = json.loads(raw)
                if msg["type"] == "feed.closed":
                    self.drops[f"closed:{msg['data']['code']}"] += 1
                    return
                seq = int(msg["seq"])
                self.received.append((seq, msg["type"], str(msg["record"]["id"])))
                self.last = max(self.last, seq)
            self.drops["by_client"] += 1
        except ConnectionClosed:
            self.drops["by_server"] += 1
        except OSError:
            self.drops["by_server"] += 1

    @property
    def reconnects(self) -> int:
        return max(0, self.connects - 1)


class Writer(threading.Thread):
    """A dispatcher reporting, moving and sharing incidents and moving units until stopped;
    rides out a server restart by retrying."""

    def __init__(
        self,
        server: ServerProcess,
        person: Person,
        seed: int,
        stop: threading.Event,
        max_ops: int = 100_000,
    ) -> None:
        super().__init__(name=f"writer-{person.username}", daemon=True)
        self.server = server
        self.person = person
        self.rng = random.Random(seed)
        self.stop = stop
        self.max_ops = max_ops
        self.writes = 0
        self.unanswered = 0
        self.errors: list[str] = []
        self.units: list[int] = []
        self.open: dict[int, str] = {}  # incident id -> status

    def run(self) -> None:
        with httpx.Client(
            base_url=self.server.base_url, headers=self.person.headers, timeout=30
        ) as http:
            for _ in range(self.max_ops):
                if self.stop.is_set():
                    return
                try:
                    self.step(http)
                except httpx.TransportError:
                    self.unanswered += 1  # the server is down; what was in flight is unknown
                    self.open.clear()
                    self.stop.wait(0.1)

    def _ok(self, r: httpx.Response, what: str) -> bool:
        if r.is_success:
            self.writes += 1
            return True
        self.errors.append(f"{what}: {r.status_code} {r.text[:300]}")
        return False

    def step(self, http: httpx.Client) -> None:
        roll = self.rng.random()
        if len(self.units) < 2:
            r = http.post(
                "/api/v1/units",
                json={
                    "callsign": f"{self.person.username}-{uuid.uuid4().hex[:6]}",
                    "type": "patrol_car",
                    "classification": self._classification(),
                    "share_with": self._shares(),
                },
            )
            if self._ok(r, "register unit"):
                self.units.append(r.json()["id"])
        elif roll < 0.3:
            r = http.post(
                f"/api/v1/units/{self.rng.choice(self.units)}/position",
                json={
                    "lat": round(SPOT[0] + self.rng.uniform(-0.1, 0.1), 6),
                    "lon": round(SPOT[1] + self.rng.uniform(-0.1, 0.1), 6),
                },
            )
            self._ok(r, "position")
        elif roll < 0.6 or not self.open:
            r = http.post(
                "/api/v1/incidents",
                json={
                    "type": self.rng.choice(("theft", "assault", "fire", "smuggling")),
                    "lat": SPOT[0],
                    "lon": SPOT[1],
                    "classification": self._classification(),
                    "share_with": self._shares(),
                },
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            if self._ok(r, "create"):
                self.open[r.json()["id"]] = "reported"
        elif roll < 0.68:
            incident = self.rng.choice(list(self.open))
            r = http.post(f"/api/v1/incidents/{incident}/notes", json={"text": "ملاحظة / note"})
            self._ok(r, "note")
        else:
            incident = self.rng.choice(list(self.open))
            target = _NEXT[self.open[incident]]
            r = http.post(f"/api/v1/incidents/{incident}/transitions", json={"status": target})
            if self._ok(r, f"transition to {target}"):
                if target == "closed":
                    del self.open[incident]
                else:
                    self.open[incident] = target

    def _classification(self) -> str:
        allowed = [c for c, level in LEVELS.items() if level <= self.person.clearance]
        return self.rng.choice(allowed)

    def _shares(self) -> list[str]:
        others = [a for a in SHARE_WITH if a != self.person.agency]
        return self.rng.sample(others, self.rng.randint(0, 2))


_NEXT = {
    "reported": "acknowledged",
    "acknowledged": "dispatched",
    "dispatched": "on_scene",
    "on_scene": "resolved",
    "resolved": "closed",
}


def visible_log(db: Database, person: Person) -> list[tuple[int, str, str]]:
    """(seq, type, record id) of every event `person` may see, read from the database."""
    audience = select(EventAudienceRow.seq).where(EventAudienceRow.agency_id == person.agency_id)
    store = db.store()
    try:
        with store.read() as s:
            rows = s.execute(
                select(EventRow.seq, EventRow.type, EventRow.record_id)
                .where(EventRow.classification <= person.clearance)
                .where(or_(EventRow.public, EventRow.seq.in_(audience)))
                .order_by(EventRow.seq)
            ).all()
    finally:
        store.dispose()
    return [(int(seq), type_, str(record_id)) for seq, type_, record_id in rows]


def log_head(db: Database) -> int:
    store = db.store()
    try:
        with store.read() as s:
            return int(s.execute(select(EventHead.seq).where(EventHead.id == 1)).scalar_one())
    finally:
        store.dispose()


@dataclass
class Comparison:
    user: str
    expected: int
    received: int
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    not_visible: int = 0  # received although the log says the user may not see it
    coalesced: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order or self.not_visible)


def compare(
    user: str, expected: list[tuple[int, str, str]], got: list[tuple[int, str, str]]
) -> Comparison:
    c = Comparison(user, len(expected), len(got))
    wanted = {e[0]: e for e in expected}
    counts = Counter(seq for seq, _, _ in got)
    c.duplicated = sum(n - 1 for n in counts.values() if n > 1)
    c.out_of_order = sum(1 for a, b in pairwise(got) if b[0] < a[0])
    for seq, type_, record in got:
        if wanted.get(seq) is None:
            c.not_visible += 1
            c.examples.append(f"received {seq} {type_} {record} not in the user's log")
        elif wanted[seq][1:] != (type_, record):
            c.not_visible += 1
            c.examples.append(f"received {seq} as {type_} {record}; the log has {wanted[seq]}")
    later_position: dict[str, int] = {}
    for seq, type_, record in got:
        if type_ in COALESCIBLE:
            later_position[record] = max(later_position.get(record, 0), seq)
    for seq, type_, record in expected:
        if seq in counts:
            continue
        if type_ in COALESCIBLE and later_position.get(record, 0) > seq:
            c.coalesced += 1
        else:
            c.lost += 1
            if len(c.examples) < 10:
                c.examples.append(f"never received {seq} {type_} {record}")
    return c


def drain(db: Database, subscribers: list[Subscriber], timeout: float) -> list[Comparison]:
    """After the writers stopped: let every subscriber reach the end of what it may see, stop
    them, and compare each with the log."""
    expected = {s.person.username: visible_log(db, s.person) for s in subscribers}
    for s in subscribers:
        log = expected[s.person.username]
        s.target = log[-1][0] if log else 0
    deadline = time.monotonic() + timeout
    for s in subscribers:
        s.join(max(0.1, deadline - time.monotonic()))
    for s in subscribers:
        s.finish.set()
    for s in subscribers:
        s.join(10)
    return [
        compare(s.person.username, expected[s.person.username], s.received) for s in subscribers
    ]


def unaudited_deliveries(db: Database, subscribers: list[Subscriber]) -> tuple[int, int]:
    """(classified events the subscribers received, of which the audit trail has no
    `feed.delivered` entry). Deliveries are recorded in batches a quarter of a second apart, so
    a SIGKILL may lose the last batch; this counts how many that was."""
    store = db.store()
    try:
        with store.read() as s:
            classified = set(
                s.execute(select(EventRow.seq).where(EventRow.classification > 1)).scalars()
            )
            audited = {
                (actor, int((after or {}).get("seq", -1)))
                for actor, after in s.execute(
                    select(AuditEntry.actor, AuditEntry.after).where(
                        AuditEntry.action == "feed.delivered"
                    )
                )
            }
    finally:
        store.dispose()
    received = [(sub.person.username, seq) for sub in subscribers for seq, _, _ in sub.received]
    delivered = [r for r in received if r[1] in classified]
    return len(delivered), sum(1 for r in delivered if r not in audited)
