"""The access matrix, run in phases against one live server per database.

Every case has a name (action, actor, record) and an expected outcome from `_matrix_spec`.
Mismatches are collected per phase and asserted by the tests; a mismatch that shows a user more
than the rule allows (a record, its existence, or a change they may not make) is also a leak.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.access._matrix_spec import (
    FORBIDDEN,
    HIDDEN,
    LEVELS,
    MAY,
    MUTATIONS,
    NEEDS,
    NOT_OWNER,
    OK,
    ROLES,
    expected,
)
from tests.access._matrix_world import (
    AGENCIES,
    NEW_PRIORITY,
    OUTSIDER,
    OWNER,
    PARTNER,
    SHARE_TARGET,
    SHARINGS,
    SPOT,
    WORLD_TAG,
    Actor,
    Record,
    Subscription,
    create_incidents,
    create_units,
    insert_incidents,
    insert_units,
    make_users,
    principal,
    received_by_record,
    sse_replay,
)

MISSING_ID = 2_000_000_000  # a record that does not exist: must answer like a hidden one
BASE = "/api/v1/incidents"
WORKERS = 4  # requests in flight at once: overlaps database waits, not Python

# Cases the server is known to get wrong, by name prefix, with the diagnosis: they still run,
# are reported apart, and do not fail the suite until the server is fixed. Empty: none known.
KNOWN_SERVER_FAULTS: dict[str, str] = {}


def outcome(r: httpx.Response) -> str:
    if r.is_success:
        return OK
    try:
        code = r.json().get("code")
    except ValueError:
        code = None
    if r.status_code == 404 and code == HIDDEN:
        return HIDDEN
    if r.status_code == 403 and code in (FORBIDDEN, NOT_OWNER):
        return str(code)
    return f"HTTP {r.status_code} {code}"


class Matrix:
    """The world of one database and the results of each phase."""

    PHASES = ("world", "reads", "mutations", "final")

    def __init__(self, db: str, store: Any, server: str, secret: str) -> None:
        self.db = db
        self.store = store
        self.server = server
        self.secret = secret
        self.http = httpx.Client(base_url=f"http://{server}", timeout=60)
        self.pool = ThreadPoolExecutor(max_workers=WORKERS)
        self.cases: set[tuple[str, ...]] = set()  # distinct points of the matrix
        self.checks = 0
        self.failures: dict[str, list[str]] = {}
        self.leaks: list[str] = []
        self.known: list[str] = []
        self.seconds: dict[str, float] = {}
        self._done: set[str] = set()
        self._broken: dict[str, str] = {}
        self.baseline: dict[tuple[str, str], str] = {}  # (action, role): a missing record's answer
        self._subs: list[Subscription] = []

    # --- bookkeeping ---

    def grade(
        self,
        group: str,
        key: tuple[str, ...] | None,
        name: str,
        want: str,
        got: str,
        detail: str = "",
        *,
        shows_more: bool = False,
    ) -> None:
        """Record one case; `shows_more` marks a mismatch that shows the user more than the
        rule allows when the outcomes alone do not say so (extra feed events)."""
        if key is not None:
            self.cases.add(key)
        self.checks += 1
        known = next((d for p, d in KNOWN_SERVER_FAULTS.items() if name.startswith(p)), None)
        if want == got:
            if known is not None:
                self.known.append(f"[{self.db}] {name}: now PASSES, enable it ({known})")
            return
        leak = (
            shows_more
            or (want in (HIDDEN, FORBIDDEN) and got in (OK, NOT_OWNER))
            or (want == NOT_OWNER and got == OK)
        )
        line = f"[{self.db}] {name}: expected {want}, got {got}{' ' + detail if detail else ''}"
        if known is not None:
            self.known.append(f"{line} (known: {known})")
            return
        self.failures.setdefault(group, []).append(("LEAK " if leak else "") + line)
        if leak:
            self.leaks.append(line)

    def failed(self, *groups: str) -> list[str]:
        return [line for g in groups for line in self.failures.get(g, [])]

    def ensure(self, phase: str) -> None:
        """Run the phases up to `phase` that have not run yet; a phase that broke stays broken."""
        for step in self.PHASES[: self.PHASES.index(phase) + 1]:
            if step in self._broken:
                raise RuntimeError(f"phase {step} broke: {self._broken[step]}")
            if step not in self._done:
                self._done.add(step)
                started = time.perf_counter()
                try:
                    getattr(self, f"_{step}")()
                except Exception as exc:
                    self._broken[step] = repr(exc)
                    raise
                self.seconds[step] = time.perf_counter() - started

    def close(self) -> None:
        for sub in self._subs:
            sub.close()
        self.pool.shutdown()
        self.http.close()

    # --- phase 1: the world, watched by the feed as it is built ---

    def _world(self) -> None:
        specs = [
            (role, agency, clearance, f"mx.{role}.{agency}.{clearance}")
            for role in ROLES
            for agency in AGENCIES
            for clearance in LEVELS
        ]
        self.actors = make_users(self.store, self.secret, specs)
        creators = make_users(
            self.store,
            self.secret,
            [("admin", a, "secret", f"mx.creator.{a}") for a in AGENCIES],
        )
        self.creator_actors = dict(zip(AGENCIES, creators, strict=True))
        self.creators = {
            a: principal(self.store, c.user_id) for a, c in zip(AGENCIES, creators, strict=True)
        }
        with self.store.read() as session:
            from tansiq.events import log

            self.start = log.head(session)
        # One subscriber per agency and clearance watches the whole run; roles take turns.
        self.watchers = [
            self._actor(ROLES[(i * 3) % len(ROLES)], agency, clearance)
            for i, (agency, clearance) in enumerate((a, c) for a in AGENCIES for c in LEVELS)
        ]
        self.long_live = self._subscribe(self.watchers)
        self._subs += self.long_live
        # Every user watches the world being built.
        world_live = self._subscribe(self.actors)
        self.templates = create_incidents(
            self.store,
            self.creators[OWNER],
            [
                (f"{c}/{s}", c, shares, f"mxt{i:02d}")
                for i, (c, (s, shares)) in enumerate(
                    (c, item) for c in LEVELS for item in SHARINGS.items()
                )
            ],
        )
        self.template_ids = {t.id for t in self.templates}
        self.spares = {
            u.owner: u
            for u in create_units(
                self.store, self.creators, [(f"spare unit of {a}", a) for a in AGENCIES]
            )
        }
        self.records: list[Record] = [*self.templates, *self.spares.values()]
        self.marker1 = self._marker("marker 1")
        self.world_live: dict[Actor, list[dict[str, Any]]] = {}
        for sub in world_live:
            if not sub.wait_for(self.marker1.id):
                raise AssertionError(f"live feed of {sub.actor.label} never saw the marker")
            self.world_live[sub.actor] = list(sub.messages)
            sub.close()
        replays = self._subscribe(self.actors, since=self.start)
        self.world_replay: dict[Actor, list[dict[str, Any]]] = {}
        for sub in replays:
            if not sub.wait_for(self.marker1.id):
                raise AssertionError(f"replay of {sub.actor.label} never reached the marker")
            self.world_replay[sub.actor] = list(sub.messages)
            sub.close()
        self.world_records = list(self.records)
        for actor in self.actors:
            self._grade_feed("feed_world", "feed_live", actor, self.world_live[actor])
            self._grade_feed("feed_world", "feed_replay", actor, self.world_replay[actor])

    def _subscribe(self, actors: list[Actor], since: int | None = None) -> list[Subscription]:
        return list(self.pool.map(lambda a: Subscription(self.server, a, since), actors))

    def _actor(self, role: str, agency: str, clearance: str) -> Actor:
        return next(
            a for a in self.actors if (a.role, a.agency, a.clearance) == (role, agency, clearance)
        )

    def _marker(self, name: str) -> Record:
        """A public incident every actor sees: once it arrives, everything before it has."""
        creator = self.creator_actors[OWNER]
        r = self.http.post(
            BASE,
            json={
                "type": "theft",
                "description": name,
                "classification": "public",
                "share_with": [PARTNER, OUTSIDER],
                **SPOT,
            },
            headers=creator.headers,
        )
        assert r.status_code == 201, r.text
        record = Record("incident", r.json()["id"], name, OWNER, "public", {PARTNER, OUTSIDER})
        record.emit("incident.created")
        self.records.append(record)
        return record

    def _grade_feed(
        self,
        group: str,
        action: str,
        actor: Actor,
        messages: list[dict[str, Any]],
        records: list[Record] | None = None,
        transport: str = "ws",
    ) -> None:
        """Each record's events as the subscriber got them == those the rule lets it see."""
        records = self.world_records if records is None else records
        got = received_by_record(messages)
        known = {(r.kind, r.id) for r in records}
        for record in records:
            want = record.expected_events(actor.agency, actor.clearance)
            have = got.get((record.kind, record.id), [])
            key = None
            if record.id in self.template_ids and record.kind == "incident":
                c, s = record.name.split("/")
                key = (actor.role, actor.agency, actor.clearance, c, s, action)
            name = f"{action}[{transport}] {actor.label} -> {record.kind} {record.name}"
            if have == want:
                self.grade(group, key, name, OK if want else HIDDEN, OK if want else HIDDEN)
                continue
            extra = [t for t in have if have.count(t) > want.count(t)]
            self.grade(
                group,
                key,
                name,
                f"events {want}",
                f"events {have}",
                f"(extra {extra})" if extra else "",
                shows_more=bool(extra),
            )
        for rec, types in got.items():
            if rec not in known:  # a record the model does not know, or a stray event type
                self.grade(
                    group,
                    None,
                    f"{action}[{transport}] {actor.label} -> {rec}",
                    HIDDEN,
                    OK,
                    f"(unexpected events {types})",
                )
        seqs = [m["seq"] for m in messages]
        if seqs != sorted(set(seqs)):
            self.grade(group, None, f"{action}[{transport}] {actor.label} order", OK, "unordered")

    # --- which user meets which record through which per-record action ---

    def design(self, action: str) -> list[tuple[Actor, Record]]:
        """Cases of one per-record action: every agency x clearance x classification x sharing
        (144 combinations), each met by one role; for actions some roles may not take, a role that
        may, and for every third combination also one that may not (that refusal comes before the
        record is looked up, so it needs fewer samples). Roles take turns in a shuffled (fixed)
        order, so none is tied to one kind of record and each meets records it sees and records
        it does not."""
        combos = [(a, c, t) for a in AGENCIES for c in LEVELS for t in self.templates]
        order = list(range(len(combos)))
        random.Random(f"access-matrix {action}").shuffle(order)
        may = [r for r in ROLES if NEEDS[action] in MAY[r]]
        may_not = [r for r in ROLES if r not in may]
        cases: list[tuple[Actor, Record]] = []
        for k, index in enumerate(order):
            agency, clearance, template = combos[index]
            roles = [may[k % len(may)]]
            if may_not and k % 3 == 0:
                roles.append(may_not[k // 3 % len(may_not)])
            cases += [(self._actor(role, agency, clearance), template) for role in roles]
        return cases

    def _send(
        self, requests: list[Callable[[httpx.Client], httpx.Response]]
    ) -> list[httpx.Response]:
        """Send independent requests a few at a time; answers come back in order."""
        return list(self.pool.map(lambda send: send(self.http), requests))

    # --- phase 2: reads, lists, searches and counts ---

    def _reads(self) -> None:
        lists = list(self.pool.map(lambda a: self._list(a, {}), self.actors))
        searches = list(self.pool.map(lambda a: self._list(a, {"q": WORLD_TAG}), self.actors))
        # lists and searches: every user against every record
        for actor, listed, searched in zip(self.actors, lists, searches, strict=True):
            for t in self.templates:
                c, s = t.name.split("/")
                for action, ids in (("list", listed), ("search", searched)):
                    self.grade(
                        "collections",
                        (actor.role, actor.agency, actor.clearance, c, s, action),
                        f"{action} {actor.label} -> {t.name}",
                        expected(
                            action, actor.role, actor.agency, actor.clearance, OWNER, c, t.shares
                        ),
                        OK if t.id in ids else HIDDEN,
                    )
            visible = {
                rec.id
                for rec in self.records
                if rec.kind == "incident" and rec.expected_events(actor.agency, actor.clearance)
            }
            extra = sorted((listed | searched) - visible)
            self.grade(
                "collections",
                None,
                f"list and search {actor.label} -> nothing else",
                HIDDEN,
                OK if extra else HIDDEN,
                f"(unexpected ids {extra})" if extra else "",
            )
        for role in ROLES:  # a record that does not exist: hidden ones must answer the same
            actor = self._actor(role, OWNER, "secret")
            r = self.http.get(f"{BASE}/{MISSING_ID}", headers=actor.headers)
            want = expected("read", role, OWNER, "secret", None, None)
            self.grade("read", None, f"read {actor.label} -> missing", want, outcome(r))
            self.baseline[("read", role)] = _shape(r)
        reads = self.design("read")
        answers = self._send([_get(f"{BASE}/{t.id}", a.headers) for a, t in reads])
        for (actor, t), r in zip(reads, answers, strict=True):
            c, s = t.name.split("/")
            got, shows_more = self._judge("read", actor, r, t)
            if got == OK and r.json().get("id") != t.id:
                got = f"wrong record {r.json().get('id')}"
            self.grade(
                "read",
                (actor.role, actor.agency, actor.clearance, c, s, "read"),
                f"read {actor.label} -> {t.name}",
                expected("read", actor.role, actor.agency, actor.clearance, OWNER, c, t.shares),
                got,
                _brief(r),
                shows_more=shows_more,
            )
        counts = self.design("count")
        answers = self._send([_get(f"{BASE}/count", a.headers, {"q": t.token}) for a, t in counts])
        for (actor, t), r in zip(counts, answers, strict=True):
            c, s = t.name.split("/")
            n = r.json().get("count") if r.status_code == 200 else None
            self.grade(
                "collections",
                (actor.role, actor.agency, actor.clearance, c, s, "count"),
                f"count {actor.label} -> {t.name}",
                expected("count", actor.role, actor.agency, actor.clearance, OWNER, c, t.shares),
                {1: OK, 0: HIDDEN}.get(n, f"count {n}")
                if n is not None
                else f"HTTP {r.status_code}",
            )

    def _judge(
        self, action: str, actor: Actor, r: httpx.Response, record: Record | None
    ) -> tuple[str, bool]:
        """The outcome of an answer, and whether a refusal gave something away: the record's
        text, or any difference from the answer about a record that does not exist."""
        got = outcome(r)
        if got == OK or record is None:
            return got, False
        if record.token in r.text:
            return f"{got} carrying the record's text", True
        base = self.baseline.get((action, actor.role))
        if got in (HIDDEN, FORBIDDEN) and base is not None and _shape(r) != base:
            return f"{got} unlike the answer for a missing record", True
        return got, False

    def _list(self, actor: Actor, params: dict[str, str]) -> set[int]:
        return {item["id"] for item in self._list_items(actor, params)}

    # --- phase 3: update, transition, assign, share ---

    def _mutations(self) -> None:
        started = time.perf_counter()
        plan: list[tuple[Actor, Record | None, str, str]] = []
        for action in MUTATIONS:
            for actor, template in self.design(action):
                want = expected(
                    action,
                    actor.role,
                    actor.agency,
                    actor.clearance,
                    OWNER,
                    template.classification,
                    template.shares,
                )
                plan.append((actor, template, action, want))
            for role in ROLES:  # and on a record that does not exist
                actor = self._actor(role, OWNER, "secret")
                plan.append(
                    (actor, None, action, expected(action, role, OWNER, "secret", None, None))
                )
        # A case that should succeed gets an incident (and for assign a unit) of its own; the
        # others aim at the shared records, which must come out of the run unchanged.
        succeed = [(a, t, act) for a, t, act, want in plan if want == OK and t is not None]
        own = insert_incidents(
            self.store,
            self.creator_actors[OWNER].user_id,
            [
                (
                    f"{t.name} for {act} by {a.label}",
                    t.classification,
                    tuple(t.shares),
                    f"mxd{i:04d}",
                )
                for i, (a, t, act) in enumerate(succeed)
            ],
        )
        own_units = iter(
            insert_units(
                self.store,
                [
                    (f"unit of {a.label} for {t.name}", a.agency)
                    for a, t, act in succeed
                    if act == "assign"
                ],
            )
        )
        targets: dict[tuple[Actor, int, str], tuple[Record, Record | None]] = {}
        for (a, shared, act), incident in zip(succeed, own, strict=True):
            own_unit = next(own_units) if act == "assign" else None
            targets[(a, shared.id, act)] = (incident, own_unit)
            self.records.append(incident)
            if own_unit is not None:
                self.records.append(own_unit)
        self.seconds["of which mutation targets"] = time.perf_counter() - started
        aims: list[tuple[Record | None, Record]] = []
        for actor, t, action, _ in plan:
            aim: tuple[Record | None, Record | None] = (None, None)
            if t is not None:
                aim = targets.get((actor, t.id, action), (t, None))
            aims.append((aim[0], aim[1] or self.spares[actor.agency]))
        # Refused cases change nothing and permitted ones touch only their own records, so the
        # cases may run side by side.
        answers = self._send(
            [
                _mutate(action, actor, target.id if target else MISSING_ID, spare_or_own.id)
                for (actor, _, action, _), (target, spare_or_own) in zip(plan, aims, strict=True)
            ]
        )
        for (actor, t, action, _), r in zip(plan, answers, strict=True):
            if t is None:
                self.baseline[(action, actor.role)] = _shape(r)
        for (actor, t, action, want), (target, spare_or_own), r in zip(
            plan, aims, answers, strict=True
        ):
            incident_id = target.id if target else MISSING_ID
            got, shows_more = self._judge(action, actor, r, target)
            if got == OK:
                got = _check_success(action, r, incident_id, spare_or_own.id) or OK
            name = f"{action} {actor.label} -> {t.name if t else 'missing'}"
            key = None
            if t is not None:
                c, s = t.name.split("/")
                key = (actor.role, actor.agency, actor.clearance, c, s, action)
            self.grade("mutations", key, name, want, got, _brief(r), shows_more=shows_more)
            if want == OK and target is not None:
                _apply(action, target, spare_or_own)
        self.marker2 = self._marker("marker 2")

    # --- phase 4: the whole run through the feed, and the state it left ---

    def _final(self) -> None:
        for sub in self.long_live:
            if not sub.wait_for(self.marker2.id, timeout=60):
                raise AssertionError(f"live feed of {sub.actor.label} never saw marker 2")
        everything = list(self.records)
        for sub in self.long_live:
            self._grade_feed("feed_run", "feed_live", sub.actor, sub.messages, everything)
        # Replays of the whole log, over WebSocket by the watchers and over SSE by others.
        replays = self._subscribe(self.watchers, since=self.start)
        for sub in replays:
            if not sub.wait_for(self.marker2.id, timeout=60):
                raise AssertionError(f"replay of {sub.actor.label} never reached marker 2")
            self._grade_feed("feed_run", "feed_replay", sub.actor, sub.messages, everything)
            sub.close()
        for i, (agency, clearance) in enumerate((a, c) for a in AGENCIES for c in LEVELS):
            actor = self._actor(ROLES[(i * 3 + 1) % len(ROLES)], agency, clearance)
            messages = sse_replay(self.http, actor, self.start, self.marker2.id)
            self._grade_feed("feed_run", "feed_replay", actor, messages, everything, "sse")
        self._final_state()

    def _final_state(self) -> None:
        """Refused changes left nothing behind; permitted ones landed; sight follows shares."""
        creator = self.creator_actors[OWNER]
        seen = {i["id"]: i for i in self._list_items(creator)}
        for record in self.records:
            if record.kind != "incident":
                continue
            item = seen.get(record.id)
            want = _final_incident(record)
            have = None if item is None else {k: item[k] for k in want}
            if have is not None:
                have["shared_with"] = sorted(have["shared_with"])
            self.grade("state", None, f"state of incident {record.name}", str(want), str(have))
        for agency in AGENCIES:
            statuses = {
                u["id"]: u["status"]
                for u in self.http.get(
                    "/api/v1/units",
                    params={"limit": 500},
                    headers=self.creator_actors[agency].headers,
                ).json()["items"]
            }
            for record in self.records:
                if record.kind == "unit" and record.owner == agency:
                    status = (
                        "dispatched"
                        if "unit.status" in [e[0] for e in record.events]
                        else "available"
                    )
                    self.grade(
                        "state",
                        None,
                        f"state of {record.name}",
                        status,
                        str(statuses.get(record.id)),
                    )
        for actor in self.watchers:
            visible = {
                rec.id for rec in self.records if rec.kind == "incident" and _sees_now(rec, actor)
            }
            r = self.http.get(f"{BASE}/count", headers=actor.headers)
            self.grade(
                "state",
                None,
                f"count after the run {actor.label}",
                f"count {len(visible)}",
                f"count {r.json().get('count') if r.status_code == 200 else r.status_code}",
            )
            ids = {i["id"] for i in self._list_items(actor)}
            for rec_id in sorted(ids ^ visible):
                self.grade(
                    "state",
                    None,
                    f"list after the run {actor.label} -> incident {rec_id}",
                    OK if rec_id in visible else HIDDEN,
                    OK if rec_id in ids else HIDDEN,
                )

    def _list_items(
        self, actor: Actor, params: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**(params or {}), "limit": "500", **({"cursor": cursor} if cursor else {})}
            r = self.http.get(BASE, params=query, headers=actor.headers)
            assert r.status_code == 200, f"list for {actor.label}: {r.status_code} {r.text}"
            page = r.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    # --- the summary ---

    def summary(self) -> str:
        actions = Counter(key[-1] for key in self.cases)
        parts = ", ".join(f"{a} {n}" for a, n in sorted(actions.items()))
        failing = sum(len(v) for v in self.failures.values())
        timing = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return (
            f"[{self.db}] access matrix: {len(self.cases)} distinct cases ({parts}); "
            f"{self.checks} checks; {failing} failing; {len(self.leaks)} leaks; "
            f"{len(self.known)} known server faults; {timing}"
        )


def _get(
    url: str, headers: dict[str, str], params: dict[str, str] | None = None
) -> Callable[[httpx.Client], httpx.Response]:
    return lambda http: http.get(url, params=params, headers=headers)


def _mutate(
    action: str, actor: Actor, incident_id: int, unit_id: int
) -> Callable[[httpx.Client], httpx.Response]:
    url, h = f"{BASE}/{incident_id}", actor.headers
    if action == "update":
        return lambda http: http.patch(url, json={"priority": NEW_PRIORITY}, headers=h)
    if action == "transition":
        return lambda http: http.post(
            f"{url}/transitions", json={"status": "acknowledged"}, headers=h
        )
    if action == "assign":
        return lambda http: http.post(f"{url}/assignments", json={"unit_id": unit_id}, headers=h)
    return lambda http: http.post(f"{url}/shares", json={"agencies": [SHARE_TARGET]}, headers=h)


def _shape(r: httpx.Response) -> str:
    """An answer without what differs between any two requests (request id, path)."""
    try:
        body = r.json()
    except ValueError:
        return f"{r.status_code} {r.text}"
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ("instance", "request_id")}
    return f"{r.status_code} {json.dumps(body, sort_keys=True)}"


def _brief(r: httpx.Response) -> str:
    return f"({r.request.method} {r.request.url.path} -> {r.status_code} {r.text[:160]})"


def _check_success(action: str, r: httpx.Response, incident_id: int, unit_id: int) -> str | None:
    body = r.json()
    if action == "update" and (r.status_code, body.get("priority")) != (200, NEW_PRIORITY):
        return f"update did not land: {r.status_code} priority {body.get('priority')}"
    if action == "transition" and (r.status_code, body.get("status")) != (200, "acknowledged"):
        return f"transition did not land: {r.status_code} {body.get('status')}"
    if action == "assign" and (
        r.status_code,
        body.get("incident_id"),
        body.get("unit_id"),
        body.get("active"),
    ) != (201, incident_id, unit_id, True):
        return f"assign did not land: {r.status_code} {body}"
    if action == "share" and (
        r.status_code != 200 or SHARE_TARGET not in body.get("shared_with", [])
    ):
        return f"share did not land: {r.status_code} {body.get('shared_with')}"
    return None


def _apply(action: str, record: Record, unit: Record) -> None:
    """What a permitted change does to the model: the events it writes and who then sees it."""
    if action == "update":
        record.emit("incident.updated")
    elif action == "transition":
        record.emit("incident.transitioned")
    elif action == "assign":
        record.emit("incident.transitioned")  # reported -> acknowledged
        record.emit("incident.transitioned")  # acknowledged -> dispatched
        record.emit("assignment.created")
        unit.emit("unit.status")
    else:
        record.shares.add(SHARE_TARGET)
        record.emit("incident.shared")


def _final_incident(record: Record) -> dict[str, Any]:
    types = [e[0] for e in record.events]
    status = "reported"
    if "assignment.created" in types:
        status = "dispatched"
    elif "incident.transitioned" in types:
        status = "acknowledged"
    return {
        "status": status,
        "priority": NEW_PRIORITY if "incident.updated" in types else 3,
        "classification": record.classification,
        "shared_with": sorted(record.shares),
        "version": 1
        + len([t for t in types if t != "incident.created" and t != "assignment.created"]),
    }


def _sees_now(record: Record, actor: Actor) -> bool:
    from tests.access._matrix_spec import sees

    return sees(actor.agency, actor.clearance, record.owner, record.classification, record.shares)
