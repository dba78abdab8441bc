"""The world the access matrix runs in: a live server, users, records, feed subscriptions.

Built once per database. Records are made through the domain services (fast, and they emit the
same events the API would); every request the matrix grades goes over HTTP to a real server.
The model kept here (owner, classification, shares and the events each record should have
produced) is what expectations are computed from, with the rule in `_matrix_spec`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.access._matrix_spec import RANK, audience_admits

OWNER = "public_security"  # owns every record of the matrix
PARTNER = "joint_ops_room"  # some records are shared with it
OUTSIDER = "traffic"  # never shared with, until an owner shares with it
ELSEWHERE = "interpol_ncb"  # shared with, but no actor belongs to it
AGENCIES = (OWNER, PARTNER, OUTSIDER)
SHARINGS: dict[str, tuple[str, ...]] = {
    "unshared": (),
    "shared_partner": (PARTNER,),
    "shared_elsewhere": (ELSEWHERE,),
}
SHARE_TARGET = OUTSIDER  # what the share action asks for
WORLD_TAG = "mxworld"
SPOT = {"lat": 29.37, "lon": 47.98}
INCIDENT_TYPE = "theft"
NEW_PRIORITY = 1  # theft defaults to 3


@dataclass(frozen=True)
class Actor:
    role: str
    agency: str
    clearance: str
    user_id: int
    token: str

    @property
    def label(self) -> str:
        return f"{self.role}@{self.agency}/{self.clearance}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Record:
    """A record as the model knows it, with the events it should have put in the log."""

    kind: str  # incident, unit
    id: int
    name: str
    owner: str
    classification: str
    shares: set[str] = field(default_factory=set)
    token: str = ""  # a word only this record's description holds
    # (event type, classification, agencies that may see it) in the order they were written
    events: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)

    def emit(self, type_: str) -> None:
        self.events.append((type_, self.classification, frozenset({self.owner, *self.shares})))

    def expected_events(self, agency: str, clearance: str) -> list[str]:
        return [t for t, c, who in self.events if audience_admits(agency, clearance, c, who)]


# --- the server ---


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """A real uvicorn server on a free port in a thread, as conftest's `live_server` runs it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws_ping_interval=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


# --- the feed ---


class Subscription:
    """A WebSocket feed connection whose messages a thread collects as they arrive."""

    def __init__(self, server: str, actor: Actor, since: int | None = None) -> None:
        self.actor = actor
        query = "" if since is None else f"?since={since}"
        # Entered as a context manager, and left in close(), as the client library asks.
        self.conn: ClientConnection = connect(
            f"ws://{server}/api/v1/feed{query}",
            additional_headers=actor.headers,
            open_timeout=20,
            max_size=None,
        ).__enter__()
        self.messages: list[dict[str, Any]] = []
        self._arrived = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            for raw in self.conn:
                message = json.loads(raw)
                with self._arrived:
                    self.messages.append(message)
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._arrived:
                self._closed = True
                self._arrived.notify_all()

    def wait_for(self, record_id: int, timeout: float = 30.0) -> bool:
        """Wait until the creation of incident `record_id` (a marker everyone sees) arrives."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._arrived:
            while True:
                for m in self.messages[seen:]:
                    if m.get("type") == "incident.created" and m["record"]["id"] == str(record_id):
                        return True
                seen = len(self.messages)
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    return False
                self._arrived.wait(left)

    def close(self) -> None:
        self.conn.__exit__(None, None, None)
        self._thread.join(5)


def sse_replay(
    http: httpx.Client, actor: Actor, since: int, marker: int, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """Replay the log over Server-Sent Events from `since` up to the marker's creation."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with http.stream(
        "GET", "/api/v1/feed/sse", params={"since": since}, headers=actor.headers
    ) as r:
        if r.status_code != 200:
            raise AssertionError(f"SSE replay for {actor.label}: HTTP {r.status_code}")
        for line in r.iter_lines():
            if time.monotonic() > deadline:
                break
            if not line.startswith("data: "):
                continue
            message = json.loads(line[6:])
            out.append(message)
            if message["type"] == "incident.created" and message["record"]["id"] == str(marker):
                break
    return out


def received_by_record(messages: list[dict[str, Any]]) -> dict[tuple[str, int], list[str]]:
    got: dict[tuple[str, int], list[str]] = {}
    for m in messages:
        record = m.get("record") or {}
        if record.get("type") in ("incident", "unit"):
            got.setdefault((record["type"], int(record["id"])), []).append(m["type"])
        else:
            got.setdefault((str(m.get("type")), 0), []).append(m["type"])
    return got


# --- users and records ---


def make_users(store: Any, secret: str, specs: list[tuple[str, str, str, str]]) -> list[Actor]:
    """Users straight into the table (role, agency, clearance, username), each with a token."""
    from tansiq.access.directory import Directory
    from tansiq.access.models import User
    from tansiq.access.security import issue_token

    rows = []
    with store.write() as uow:
        directory = Directory(uow.session)
        for role, agency, clearance, username in specs:
            user = User(
                username=username,
                password_hash="!",  # no password: these users only hold tokens
                role=role,
                agency_id=directory.agency_id(agency),
                clearance=RANK[clearance],
            )
            uow.session.add(user)
            rows.append(user)
        uow.session.flush()
        ids = [u.id for u in rows]
    actors = []
    for (role, agency, clearance, _), user_id in zip(specs, ids, strict=True):
        token, _ = issue_token(
            secret, user_id=user_id, token_version=0, lifetime=timedelta(hours=2)
        )
        actors.append(Actor(role, agency, clearance, user_id, token))
    return actors


def principal(store: Any, user_id: int) -> Any:
    from tansiq.access.models import User
    from tansiq.access.service import principal_of

    with store.read() as session:
        return principal_of(session.get(User, user_id))


def create_incidents(
    store: Any, creator: Any, wanted: list[tuple[str, str, tuple[str, ...], str]]
) -> list[Record]:
    """Incidents owned by the creator's agency: (name, classification, shares, token) each."""
    from tansiq.incidents import service
    from tansiq.incidents.models import IncidentCreate

    made = []
    with store.write() as uow:
        for name, classification, shares, token in wanted:
            incident = service.create(
                uow,
                creator,
                IncidentCreate(
                    type=INCIDENT_TYPE,
                    description=f"{WORLD_TAG if token.startswith('mxt') else 'mxdedicated'} "
                    f"{token}",
                    classification=classification,
                    share_with=list(shares),
                    **SPOT,
                ),
            )
            record = Record(
                "incident", incident.id, name, OWNER, classification, set(shares), token
            )
            record.emit("incident.created")
            made.append(record)
    return made


def create_units(
    store: Any, creators: dict[str, Any], wanted: list[tuple[str, str]]
) -> list[Record]:
    """Public, available units, each owned by the agency named: (name, agency) each."""
    from tansiq.units import service
    from tansiq.units.models import UnitCreate

    made: list[Record] = []
    with store.write() as uow:
        for name, agency in wanted:
            callsign = f"MX-{len(made):04d}-{agency[:4].upper()}-{time.monotonic_ns() % 10**6}"
            unit = service.register(
                uow,
                creators[agency],
                UnitCreate(callsign=callsign, type="patrol_car", classification="public"),
            )
            record = Record("unit", unit.id, name, agency, "public")
            record.emit("unit.created")
            made.append(record)
    return made


def insert_incidents(
    store: Any, creator_id: int, wanted: list[tuple[str, str, tuple[str, ...], str]]
) -> list[Record]:
    """Incidents of the owner written straight into the tables, without events: targets for the
    changes the matrix expects to succeed, where only the change's own events matter."""
    from tansiq.access.directory import Directory
    from tansiq.incidents.models import Incident, IncidentShare
    from tansiq.store.base import utcnow

    with store.write() as uow:
        directory = Directory(uow.session)
        owner = directory.agency_id(OWNER)
        now = utcnow()
        rows = [
            Incident(
                type_code=INCIDENT_TYPE,
                priority=3,
                status="reported",
                description=f"mxdedicated {token}",
                agency_id=owner,
                classification=RANK[classification],
                created_by=creator_id,
                reported_at=now,
                updated_at=now,
                version=1,
                search_text=f"mxdedicated {token}",
                **SPOT,
            )
            for _, classification, _, token in wanted
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        uow.session.add_all(
            IncidentShare(
                record_id=row.id, agency_id=directory.agency_id(code), shared_by=creator_id
            )
            for row, (_, _, shares, _) in zip(rows, wanted, strict=True)
            for code in shares
        )
        return [
            Record("incident", row.id, name, OWNER, classification, set(shares), token)
            for row, (name, classification, shares, token) in zip(rows, wanted, strict=True)
        ]


def insert_units(store: Any, wanted: list[tuple[str, str]]) -> list[Record]:
    """Public, available units written straight into the table: (name, agency) each."""
    from tansiq.access.directory import Directory
    from tansiq.units.models import Unit

    with store.write() as uow:
        directory = Directory(uow.session)
        rows = [
            Unit(
                callsign=f"MX-OWN-{i:04d}-{time.monotonic_ns() % 10**9}",
                type_code="patrol_car",
                agency_id=directory.agency_id(agency),
                status="available",
                classification=0,
                version=1,
            )
            for i, (_, agency) in enumerate(wanted)
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        return [
            Record("unit", row.id, name, agency, "public")
            for row, (name, agency) in zip(rows, wanted, strict=True)
        ]
