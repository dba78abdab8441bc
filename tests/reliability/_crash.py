"""Concurrent incident work against a server that is SIGKILLed, and what must hold afterwards.

Workers (one thread and one HTTP client each, as different dispatchers) report incidents with an
Idempotency-Key, move them through their lifecycle, assign their own units and report unit
positions. Every answer is written down in a ledger: a 2xx is an acknowledged write; a request
that got no answer because the server died is "in flight" and may or may not have happened.

After a restart, `check` reads the database directly and reports:

- acknowledged writes that are missing or older than acknowledged (lost writes);
- half-written records: an incident without its `incident.created` event or its audit entry, an
  assignment without its event or audit entry, a unit whose status disagrees with its active
  assignment, a row whose latest event or audit record disagrees with the row;
- an audit chain that does not verify, and any gap in the event sequence.

`settle` then adopts what the database says for writes that were in flight and retries in-flight
creates with their Idempotency-Key, so every incident in the database is accounted for.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from tansiq.audit.models import AuditEntry
from tansiq.audit.verify import verify_chain
from tansiq.events.models import EventHead, EventRow
from tansiq.incidents.models import Incident
from tansiq.units.models import Assignment, Unit
from tests.reliability._server import Database, Person, ServerProcess

OPEN = ("reported", "acknowledged", "dispatched", "on_scene")
AGENCY_SPOT = {"public_security": (29.37, 47.98), "traffic": (29.31, 48.03)}
TYPES = ("theft", "assault", "traffic_collision", "public_disturbance", "fire")
CLASSIFICATIONS = ("restricted", "restricted", "confidential", "secret")
LEVELS = {"public": 0, "restricted": 1, "confidential": 2, "secret": 3}


@dataclass
class IncidentEntry:
    key: str
    owner: str
    body: dict[str, Any]
    id: int | None = None  # None until the create is acknowledged
    status: str | None = None  # the last acknowledged status
    pending: str | None = None  # target status of a request the kill left unanswered
    assignments: dict[int, int] = field(default_factory=dict)  # acknowledged: id -> unit id


@dataclass
class UnitEntry:
    id: int
    owner: str
    busy_with: int | None = None  # incident holding it, as last acknowledged
    position: tuple[float | None, float | None] | None = None
    pending_position: tuple[float | None, float | None] | None = None


@dataclass
class Ledger:
    incidents: list[IncidentEntry] = field(default_factory=list)
    units: dict[int, UnitEntry] = field(default_factory=dict)
    acknowledged: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    # What became of the writes in flight at a kill, as found after the restart.
    settled: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, kind: str) -> None:
        with self.lock:
            self.acknowledged[kind] += 1

    @property
    def total_acknowledged(self) -> int:
        return sum(self.acknowledged.values())


class Worker(threading.Thread):
    """One dispatcher working their own incidents and units until stopped or cut off."""

    def __init__(
        self,
        server: ServerProcess,
        person: Person,
        ledger: Ledger,
        stop: threading.Event,
        seed: int,
        max_ops: int,
    ) -> None:
        super().__init__(name=f"worker-{person.username}", daemon=True)
        self.server = server
        self.person = person
        self.ledger = ledger
        self.stop = stop
        self.rng = random.Random(seed)
        self.max_ops = max_ops
        self.ops = 0

    def _post(self, http: httpx.Client, path: str, body: dict[str, Any], **kw: Any) -> Any:
        """The response, or None when the server did not answer (the write is in flight)."""
        try:
            return http.post(path, json=body, **kw)
        except httpx.TransportError:
            with self.ledger.lock:
                self.ledger.in_flight += 1
            return None

    def _unexpected(self, what: str, r: httpx.Response) -> None:
        with self.ledger.lock:
            self.ledger.unexpected.append(
                f"{self.person.username} {what}: {r.status_code} {r.text}"
            )

    def run(self) -> None:
        with httpx.Client(
            base_url=self.server.base_url, headers=self.person.headers, timeout=60
        ) as http:
            while not self.stop.is_set() and self.ops < self.max_ops:
                self.ops += 1
                if not self.step(http):
                    return

    def _mine(self) -> tuple[list[IncidentEntry], list[UnitEntry]]:
        name = self.person.username
        incidents = [
            i
            for i in self.ledger.incidents
            if i.owner == name and i.id is not None and i.status in (*OPEN, "resolved")
        ]
        units = [u for u in self.ledger.units.values() if u.owner == name]
        return incidents, units

    def step(self, http: httpx.Client) -> bool:
        incidents, units = self._mine()
        roll = self.rng.random()
        if units and roll < 0.15:
            return self.report_position(http, self.rng.choice(units))
        if len(incidents) < 3 or roll < 0.3:
            return self.create(http)
        return self.advance(http, self.rng.choice(incidents), units)

    def create(self, http: httpx.Client) -> bool:
        lat, lon = AGENCY_SPOT[self.person.agency]
        body = {
            "type": self.rng.choice(TYPES),
            "lat": round(lat + self.rng.uniform(-0.05, 0.05), 6),
            "lon": round(lon + self.rng.uniform(-0.05, 0.05), 6),
            "classification": self.rng.choice(
                [c for c in CLASSIFICATIONS if LEVELS[c] <= self.person.clearance]
            ),
            "description": f"crash load {uuid.uuid4().hex[:8]}",
        }
        entry = IncidentEntry(key=uuid.uuid4().hex, owner=self.person.username, body=body)
        with self.ledger.lock:
            self.ledger.incidents.append(entry)
        r = self._post(http, "/api/v1/incidents", body, headers={"Idempotency-Key": entry.key})
        if r is None:
            entry.pending = "reported"
            return False
        if r.status_code != 201:
            self._unexpected("create", r)
            return False
        entry.id, entry.status = r.json()["id"], "reported"
        self.ledger.ack("incident.create")
        return True

    def advance(self, http: httpx.Client, incident: IncidentEntry, units: list[UnitEntry]) -> bool:
        status = incident.status
        cancel = self.rng.random() < 0.08 and status in OPEN
        if status == "acknowledged" and not cancel:
            free = [u for u in units if u.busy_with is None]
            if free:
                return self.assign(http, incident, self.rng.choice(free))
        target = "cancelled" if cancel else _NEXT[status or ""]
        r = self._post(http, f"/api/v1/incidents/{incident.id}/transitions", {"status": target})
        if r is None:
            incident.pending = target
            return False
        if r.status_code != 200:
            self._unexpected(f"transition {incident.id} {status}->{target}", r)
            return False
        incident.status = target
        if target not in OPEN:
            for unit_id in incident.assignments.values():
                unit = self.ledger.units[unit_id]
                if unit.busy_with == incident.id:
                    unit.busy_with = None
        self.ledger.ack("incident.transition")
        return True

    def assign(self, http: httpx.Client, incident: IncidentEntry, unit: UnitEntry) -> bool:
        r = self._post(http, f"/api/v1/incidents/{incident.id}/assignments", {"unit_id": unit.id})
        if r is None:
            incident.pending = "dispatched"
            return False
        if r.status_code != 201:
            self._unexpected(f"assign unit {unit.id} to {incident.id}", r)
            return False
        incident.assignments[r.json()["id"]] = unit.id
        incident.status = "dispatched"
        unit.busy_with = incident.id
        self.ledger.ack("assignment")
        return True

    def report_position(self, http: httpx.Client, unit: UnitEntry) -> bool:
        fix = (
            round(29.3 + self.rng.uniform(0, 0.1), 6),
            round(47.9 + self.rng.uniform(0, 0.1), 6),
        )
        r = self._post(http, f"/api/v1/units/{unit.id}/position", {"lat": fix[0], "lon": fix[1]})
        if r is None:
            unit.pending_position = fix
            return False
        if r.status_code != 202:
            self._unexpected(f"position of unit {unit.id}", r)
            return False
        unit.position = fix
        self.ledger.ack("unit.position")
        return True


_NEXT = {
    "reported": "acknowledged",
    "acknowledged": "dispatched",
    "dispatched": "on_scene",
    "on_scene": "resolved",
    "resolved": "closed",
}


def register_units(server: ServerProcess, people: list[Person], ledger: Ledger, per: int) -> None:
    """Each worker registers `per` units of its own agency before the load."""
    for person in people:
        with httpx.Client(base_url=server.base_url, headers=person.headers, timeout=60) as http:
            for n in range(per):
                r = http.post(
                    "/api/v1/units",
                    json={
                        "callsign": f"{person.username}-{n}-{uuid.uuid4().hex[:4]}",
                        "type": "patrol_car",
                    },
                )
                assert r.status_code == 201, r.text
                unit_id = r.json()["id"]
                ledger.units[unit_id] = UnitEntry(unit_id, person.username)
                ledger.ack("unit.create")


@dataclass
class RoundResult:
    acknowledged: int
    in_flight: int
    killed_after_s: float


def load_and_kill(
    server: ServerProcess,
    people: list[Person],
    ledger: Ledger,
    *,
    kill_after_acks: int,
    seed: int,
    max_seconds: float = 30.0,
    max_ops: int = 5000,
) -> RoundResult:
    """Run the workers; SIGKILL the server once `kill_after_acks` more writes were acknowledged
    (or after `max_seconds`), at a random moment a few milliseconds later."""
    rng = random.Random(seed)
    stop = threading.Event()
    before, in_flight_before = ledger.total_acknowledged, ledger.in_flight
    workers = [
        Worker(server, p, ledger, stop, seed * 100 + i, max_ops) for i, p in enumerate(people)
    ]
    began = time.monotonic()
    for w in workers:
        w.start()
    try:
        deadline = began + max_seconds
        while ledger.total_acknowledged - before < kill_after_acks:
            if time.monotonic() > deadline or not any(w.is_alive() for w in workers):
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.03))
        killed_after = time.monotonic() - began
    finally:
        server.kill()
        stop.set()
        for w in workers:
            w.join(60)
    assert not any(w.is_alive() for w in workers), "a worker did not stop"
    return RoundResult(
        ledger.total_acknowledged - before, ledger.in_flight - in_flight_before, killed_after
    )


@dataclass
class CheckReport:
    incidents: int = 0
    assignments: int = 0
    events: int = 0
    audit_entries: int = 0
    acknowledged_writes: int = 0
    acknowledged_writes_lost: int = 0
    problems: list[str] = field(default_factory=list)

    def lost(self, message: str) -> None:
        self.acknowledged_writes_lost += 1
        self.problems.append(f"lost: {message}")

    def broken(self, message: str) -> None:
        self.problems.append(f"inconsistent: {message}")


def _fold_audit(entries: list[AuditEntry]) -> dict[str, dict[str, Any]]:
    """The state each audited row has according to its audit entries, replayed in chain order."""
    state: dict[str, dict[str, Any]] = {}
    for e in entries:
        kind = e.action.rpartition(".")[2]
        if kind == "insert":
            state[e.record_id or ""] = dict(e.after or {})
        elif kind == "update" and (e.record_id or "") in state:
            state[e.record_id or ""].update(e.after or {})
    return state


def check(db: Database, ledger: Ledger) -> CheckReport:
    """What the database holds after a crash, against what was acknowledged (see module doc)."""
    report = CheckReport(acknowledged_writes=ledger.total_acknowledged)
    store = db.store()
    try:
        with store.read() as s:
            incidents = {i.id: i for i in s.execute(select(Incident)).scalars()}
            assignments = {a.id: a for a in s.execute(select(Assignment)).scalars()}
            units = {u.id: u for u in s.execute(select(Unit)).scalars()}
            head = s.execute(select(EventHead.seq).where(EventHead.id == 1)).scalar_one()
            events = list(s.execute(select(EventRow).order_by(EventRow.seq)).scalars())
            audit = list(
                s.execute(
                    select(AuditEntry)
                    .where(AuditEntry.record_type.in_(("incidents", "assignments", "units")))
                    .order_by(AuditEntry.seq)
                ).scalars()
            )
            chain = verify_chain(s)
    finally:
        store.dispose()
    report.incidents, report.assignments, report.events = len(incidents), len(assignments), head
    report.audit_entries = chain.checked

    # The event log and the audit chain.
    seqs = [e.seq for e in events]
    if seqs != list(range(1, head + 1)):
        missing = sorted(set(range(1, head + 1)) - set(seqs))[:10]
        extra = sorted(set(seqs) - set(range(1, head + 1)))[:10]
        report.broken(f"event seqs not 1..{head}: missing {missing}, beyond head {extra}")
    if not chain.ok:
        report.broken(f"audit chain broken at {chain.broken_at}: {chain.reason}")

    created = Counter(e.record_id for e in events if e.type == "incident.created")
    last_incident_event: dict[str, dict[str, Any]] = {}
    assignment_events: dict[str, set[int]] = {
        "assignment.created": set(),
        "assignment.released": set(),
    }
    for e in events:
        if e.record_type == "incident" and "incident" in e.data:
            last_incident_event[e.record_id] = e.data["incident"]
        if e.type in assignment_events:
            assignment_events[e.type].add(int(e.data["assignment"]["id"]))
    audited = {
        rt: _fold_audit([a for a in audit if a.record_type == rt])
        for rt in ("incidents", "assignments", "units")
    }

    # Acknowledged writes are there, in the state acknowledged (or the in-flight one after it).
    for entry in ledger.incidents:
        if entry.id is None:
            continue
        row = incidents.get(entry.id)
        if row is None:
            report.lost(f"incident {entry.id} acknowledged as created is missing")
            continue
        if row.status != entry.status and row.status != entry.pending:
            report.lost(
                f"incident {entry.id} acknowledged as {entry.status} is {row.status}"
                + (f" (in flight: {entry.pending})" if entry.pending else "")
            )
        for assignment_id, unit_id in entry.assignments.items():
            a = assignments.get(assignment_id)
            if a is None or a.unit_id != unit_id or a.incident_id != entry.id:
                report.lost(f"assignment {assignment_id} of unit {unit_id} to {entry.id}")
    for unit in ledger.units.values():
        row_u = units.get(unit.id)
        if row_u is None:
            report.lost(f"unit {unit.id} acknowledged as registered is missing")
            continue
        if unit.position is not None or unit.pending_position is not None:
            at = (row_u.lat, row_u.lon)
            if at != (unit.position or (None, None)) and at != unit.pending_position:
                report.lost(f"unit {unit.id} acknowledged at {unit.position} is at {at}")
    in_flight_creates = sum(1 for e in ledger.incidents if e.id is None)
    known = {e.id for e in ledger.incidents if e.id is not None}
    unknown = set(incidents) - known
    if len(unknown) > in_flight_creates:
        report.broken(
            f"{len(unknown)} incidents nobody reported ({in_flight_creates} creates were in "
            f"flight): {sorted(unknown)[:10]}"
        )

    # No half-written record, whether acknowledged or not.
    for incident_id, row in incidents.items():
        rid = str(incident_id)
        if created[rid] != 1:
            report.broken(f"incident {incident_id} has {created[rid]} incident.created events")
        last = last_incident_event.get(rid)
        if last is None or (last["status"], last["version"]) != (row.status, row.version):
            report.broken(
                f"incident {incident_id} is {row.status} v{row.version}; its last event says "
                f"{None if last is None else (last['status'], last['version'])}"
            )
        trail = audited["incidents"].get(rid)
        if trail is None:
            report.broken(f"incident {incident_id} has no audit entry for its creation")
        elif (trail.get("status"), trail.get("version")) != (row.status, row.version):
            report.broken(
                f"incident {incident_id} is {row.status} v{row.version}; its audit trail says "
                f"{trail.get('status')} v{trail.get('version')}"
            )
    active_by_unit: dict[int, list[Assignment]] = {}
    for a in assignments.values():
        if a.id not in assignment_events["assignment.created"]:
            report.broken(f"assignment {a.id} has no assignment.created event")
        trail = audited["assignments"].get(str(a.id))
        if trail is None:
            report.broken(f"assignment {a.id} has no audit entry for its creation")
        elif (trail.get("released_at") is None) != (a.released_at is None):
            report.broken(f"assignment {a.id} release disagrees with its audit trail")
        if a.released_at is None:
            active_by_unit.setdefault(a.unit_id, []).append(a)
            incident = incidents.get(a.incident_id)
            if incident is None or incident.status not in ("dispatched", "on_scene"):
                report.broken(
                    f"assignment {a.id} is active but incident {a.incident_id} is "
                    f"{None if incident is None else incident.status}"
                )
        elif a.id not in assignment_events["assignment.released"]:
            report.broken(f"assignment {a.id} was released without an assignment.released event")
    for unit_id, row_u in units.items():
        active = active_by_unit.get(unit_id, [])
        if len(active) > 1:
            report.broken(f"unit {unit_id} holds {len(active)} active assignments")
        if (row_u.status == "dispatched") != bool(active):
            report.broken(f"unit {unit_id} is {row_u.status} with {len(active)} active assignments")
        trail = audited["units"].get(str(unit_id))
        if trail is None or trail.get("status") != row_u.status:
            report.broken(
                f"unit {unit_id} is {row_u.status}; its audit trail says "
                f"{None if trail is None else trail.get('status')}"
            )
    return report


def settle(db: Database, server: ServerProcess, people: list[Person], ledger: Ledger) -> list[str]:
    """After `check`: adopt the database's answer for in-flight writes, and retry in-flight
    creates with their Idempotency-Key (one incident per key, whether it had committed or not).

    Returns problems: a retry that did not answer 201, or incidents still unaccounted for.
    """
    problems: list[str] = []
    store = db.store()
    try:
        with store.read() as s:
            status = {i: st for i, st in s.execute(select(Incident.id, Incident.status))}
            active = {
                unit_id: incident_id
                for unit_id, incident_id in s.execute(
                    select(Assignment.unit_id, Assignment.incident_id).where(
                        Assignment.released_at.is_(None)
                    )
                )
            }
            by_incident: dict[int, dict[int, int]] = {}
            for a_id, inc, unit_id in s.execute(
                select(Assignment.id, Assignment.incident_id, Assignment.unit_id)
            ):
                by_incident.setdefault(inc, {})[a_id] = unit_id
            positions = {
                u: (lat, lon) for u, lat, lon in s.execute(select(Unit.id, Unit.lat, Unit.lon))
            }
    finally:
        store.dispose()
    for entry in ledger.incidents:
        if entry.id is not None:
            if entry.pending is not None:
                applied = status[entry.id] == entry.pending
                ledger.settled["applied" if applied else "not_applied"] += 1
            entry.status, entry.pending = status[entry.id], None
            entry.assignments = by_incident.get(entry.id, {})
    for unit in ledger.units.values():
        unit.busy_with = active.get(unit.id)
        if unit.pending_position is not None:
            applied = positions[unit.id] == unit.pending_position
            ledger.settled["applied" if applied else "not_applied"] += 1
            unit.position, unit.pending_position = positions[unit.id], None
    who = {p.username: p for p in people}
    for entry in ledger.incidents:
        if entry.id is not None:
            continue
        r = httpx.post(
            f"{server.base_url}/api/v1/incidents",
            json=entry.body,
            headers={**who[entry.owner].headers, "Idempotency-Key": entry.key},
            timeout=60,
        )
        if r.status_code != 201:
            problems.append(f"retry of create {entry.key}: {r.status_code} {r.text}")
            continue
        entry.id = r.json()["id"]
        entry.status, entry.pending = status.get(entry.id, "reported"), None
        entry.assignments = by_incident.get(entry.id, {})
        # Replayed: it had committed before the kill; otherwise it has been created now.
        replayed = r.headers.get("Idempotent-Replayed") == "true"
        ledger.settled["applied" if replayed else "not_applied"] += 1
        ledger.ack("incident.create")
    store = db.store()
    try:
        with store.read() as s:
            ids = set(s.execute(select(Incident.id)).scalars())
    finally:
        store.dispose()
    known = {e.id for e in ledger.incidents}
    if ids != known:
        problems.append(
            f"incidents in the database but never acknowledged: {sorted(ids - known)[:10]}; "
            f"acknowledged but missing: {sorted(known - ids)[:10]}"  # type: ignore[type-var]
        )
    return problems
