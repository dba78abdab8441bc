"""Crash safety and feed reliability, the long versions of `tests/reliability/`.

Crash rounds (`--kill-rounds` per database): dispatchers (`--workers` threads, one HTTP client
each) report incidents with an Idempotency-Key, move them through their lifecycle, assign their
own units and report positions against a real `tansiq serve`; after a random number of
acknowledged writes (1..`--max-kill-after`) plus a random few milliseconds the server gets
SIGKILL, is started again on the same database, and the database is checked directly: every
write acknowledged with 2xx is there in the state acknowledged (or the in-flight one after it);
no half-written incident, assignment or unit (each has its events and audit entries and they
agree with the row); the audit chain verifies; event seqs are exactly 1..head. In-flight creates
are then retried with their key. After the last round `tansiq audit verify` runs on the database.

Feed reconnects (`--reconnect-seconds` of load per database): six subscribers of different
agencies and clearances drop their WebSocket at random (every 0.05-1.5 s, half politely, half
abruptly) and resume with `since=` their last seq, while two dispatchers write; the server is
restarted `--restarts` times during the load (alternately SIGKILL and a graceful stop). Each
subscriber's messages are compared with the log read from the database for that user.

The last line printed is one JSON object. Examples:

    .venv/bin/python benchmarks/reliability.py --db both --kill-rounds 10 --reconnect-seconds 60
    .venv/bin/python benchmarks/reliability.py --db sqlite --kill-rounds 3 --reconnect-seconds 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# The repository root, for the helpers in tests/reliability; appended, so a copy of `tansiq`
# put first on PYTHONPATH (a pinned commit) is the one imported here and by the server.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from tests.reliability._crash import (
    Ledger,
    check,
    load_and_kill,
    register_units,
    settle,
)
from tests.reliability._feed import Subscriber, Writer, drain, unaudited_deliveries
from tests.reliability._server import (
    PG_URL,
    ServerProcess,
    add_people,
    fresh_database,
    postgres_unreachable,
)

CRASH_WORKERS = [
    ("crash.ps.1", "dispatcher", "public_security", "secret"),
    ("crash.ps.2", "dispatcher", "public_security", "confidential"),
    ("crash.traffic.1", "dispatcher", "traffic", "secret"),
    ("crash.traffic.2", "supervisor", "traffic", "secret"),
    ("crash.ps.3", "dispatcher", "public_security", "restricted"),
    ("crash.traffic.3", "dispatcher", "traffic", "confidential"),
]
FEED_WRITERS = [
    ("feed.w.ps", "dispatcher", "public_security", "secret"),
    ("feed.w.traffic", "dispatcher", "traffic", "confidential"),
]
FEED_SUBSCRIBERS = [
    ("feed.s.ps.secret", "dispatcher", "public_security", "secret"),
    ("feed.s.ps.restricted", "viewer", "public_security", "restricted"),
    ("feed.s.traffic", "analyst", "traffic", "confidential"),
    ("feed.s.joint", "liaison", "joint_ops_room", "secret"),
    ("feed.s.criminal", "viewer", "criminal_security", "restricted"),
    ("feed.s.civil", "viewer", "civil_defence", "secret"),
]


def log(message: str) -> None:
    print(message, flush=True)


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def code_under_test() -> str:
    """Which `tansiq` the server runs: the repository's tree (clean or with uncommitted edits)
    or a copy put first on PYTHONPATH (how a pinned commit is measured while others edit)."""
    import importlib.util

    spec = importlib.util.find_spec("tansiq")
    origin = Path(spec.origin).resolve().parent if spec and spec.origin else None
    repo_pkg = Path(__file__).resolve().parent.parent / "tansiq"
    if origin != repo_pkg:
        return "copy on PYTHONPATH"
    try:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(repo_pkg)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=repo_pkg.parent,
        ).stdout.strip()
    except OSError:
        return "?"
    return "working tree, uncommitted changes" if dirty else "working tree, clean"


def crash_rounds(
    kind: str, rounds: int, workers: int, max_kill_after: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    ledger = Ledger()
    out: dict[str, Any] = {
        "faults_injected": 0,
        "acknowledged_writes_lost": 0,
        "inconsistencies": 0,
        "settle_problems": 0,
        "kill_after_acks": [],
        "kill_after_s": [],
        "restart_s": [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="tansiq-rel-") as tmp,
        fresh_database(kind, Path(tmp)) as db,
        ServerProcess(db) as server,
    ):
        people = add_people(db, CRASH_WORKERS[:workers])
        server.start()
        register_units(server, people, ledger, per=2)
        for n in range(1, rounds + 1):
            kill_after = rng.randint(1, max_kill_after)
            result = load_and_kill(
                server, people, ledger, kill_after_acks=kill_after, seed=seed * 1000 + n
            )
            out["faults_injected"] += 1
            out["kill_after_acks"].append(kill_after)
            out["kill_after_s"].append(round(result.killed_after_s, 3))
            out["restart_s"].append(round(server.start(), 2))
            report = check(db, ledger)
            problems = settle(db, server, people, ledger)
            out["acknowledged_writes_lost"] += report.acknowledged_writes_lost
            out["inconsistencies"] += len(report.problems) - report.acknowledged_writes_lost
            out["settle_problems"] += len(problems)
            log(
                f"  {kind} kill {n}/{rounds} after {result.acknowledged} acks "
                f"({result.killed_after_s:.2f} s, {result.in_flight} in flight): "
                f"{report.incidents} incidents, {report.assignments} assignments, "
                f"{report.events} events, {report.audit_entries} audit entries; "
                f"lost {report.acknowledged_writes_lost}, problems {len(report.problems)}"
            )
            for p in [*report.problems, *problems][:10]:
                log(f"    {p}")
        out["unexpected_responses"] = len(ledger.unexpected)
        for u in ledger.unexpected[:5]:
            log(f"    unexpected: {u}")
        server.stop()
        out["audit_verify_exit"] = server.cli("audit", "verify").returncode
        out["acknowledged_writes"] = ledger.total_acknowledged
        out["acknowledged_by_kind"] = dict(ledger.acknowledged)
        out["in_flight_at_kill"] = ledger.in_flight
        out["in_flight_found_applied"] = ledger.settled["applied"]
        out["in_flight_found_not_applied"] = ledger.settled["not_applied"]
        out["final"] = {
            "incidents": report.incidents,
            "assignments": report.assignments,
            "events": report.events,
            "audit_entries": report.audit_entries,
        }
    return out


def reconnect_load(kind: str, seconds: float, restarts: int, seed: int) -> dict[str, Any]:
    stop = threading.Event()
    writers: list[Writer] = []
    subscribers: list[Subscriber] = []
    restart_kinds: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="tansiq-rel-") as tmp,
        fresh_database(kind, Path(tmp)) as db,
        ServerProcess(db) as server,
    ):
        try:
            people = add_people(db, FEED_WRITERS + FEED_SUBSCRIBERS)
            server.start()
            began = time.monotonic()
            deadline = began + seconds + 60 * (restarts + 2)
            subscribers = [
                Subscriber(server, p, seed=seed * 100 + i, deadline=deadline)
                for i, p in enumerate(people[len(FEED_WRITERS) :])
            ]
            writers = [
                Writer(server, p, seed=seed * 100 + 50 + i, stop=stop)
                for i, p in enumerate(people[: len(FEED_WRITERS)])
            ]
            for t in [*subscribers, *writers]:
                t.start()
            # Restarts spread evenly over the load; the clock of the load keeps running
            # while the server is down, as it would for its users.
            moments = [began + seconds * (k + 1) / (restarts + 1) for k in range(restarts)]
            for k, moment in enumerate(moments):
                time.sleep(max(0.0, moment - time.monotonic()))
                if k % 2 == 0:
                    server.kill()
                    restart_kinds.append("sigkill")
                else:
                    server.stop()
                    restart_kinds.append("graceful")
                took = server.start()
                log(f"  {kind} restart {k + 1} ({restart_kinds[-1]}), up again in {took:.1f} s")
            time.sleep(max(0.0, began + seconds - time.monotonic()))
            load_seconds = time.monotonic() - began
        finally:
            stop.set()
            for w in writers:
                w.join(60)
            results = drain(db, subscribers, timeout=120) if subscribers else []
            server.stop()  # a graceful stop writes the last batch of delivery records
            classified, unaudited = unaudited_deliveries(db, subscribers)
    for r in results:
        log(
            f"  {kind} {r.user}: expected {r.expected}, received {r.received}, lost {r.lost}, "
            f"duplicated {r.duplicated}, out of order {r.out_of_order}, "
            f"not visible {r.not_visible}, coalesced {r.coalesced}"
        )
        for e in r.examples[:5]:
            log(f"    {e}")
    for s in subscribers:
        for e in s.errors[:5]:
            log(f"    {s.person.username}: {e}")
    for w in writers:
        for e in w.errors[:5]:
            log(f"    {w.person.username}: {e}")
    drops: dict[str, int] = {}
    for s in subscribers:
        for why, n in s.drops.items():
            drops[why] = drops.get(why, 0) + n
    return {
        "load_seconds": round(load_seconds, 1),
        "restarts": restart_kinds,
        "writes": sum(w.writes for w in writers),
        "write_attempts_unanswered": sum(w.unanswered for w in writers),
        "writer_errors": sum(len(w.errors) for w in writers),
        "subscriber_errors": sum(len(s.errors) for s in subscribers),
        "reconnects": sum(s.reconnects for s in subscribers),
        "connection_ends": drops,
        "events_in_log": max((r.expected for r in results), default=0),
        "events_expected": sum(r.expected for r in results),
        "events_delivered": sum(r.received for r in results),
        "events_lost": sum(r.lost for r in results),
        "events_duplicated": sum(r.duplicated for r in results),
        "events_out_of_order": sum(r.out_of_order for r in results),
        "events_not_visible": sum(r.not_visible for r in results),
        "positions_coalesced": sum(r.coalesced for r in results),
        "classified_deliveries": classified,
        "classified_deliveries_not_in_audit": unaudited,
        "per_subscriber": {r.user: [r.expected, r.received] for r in results},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--kill-rounds", type=int, default=10, help="SIGKILLs per database")
    parser.add_argument("--workers", type=int, default=4, choices=range(1, 7))
    parser.add_argument(
        "--max-kill-after",
        type=int,
        default=200,
        help="kill after a random 1..N acknowledged writes",
    )
    parser.add_argument(
        "--reconnect-seconds",
        type=float,
        default=60,
        help="length of the reconnect load per database (0 skips it)",
    )
    parser.add_argument(
        "--restarts", type=int, default=2, help="server restarts during the reconnect load"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and (reason := postgres_unreachable(PG_URL)):
        if args.db == "postgres":
            sys.exit(reason)
        log(f"skipping PostgreSQL: {reason}")
        kinds.remove("postgres")
    started = time.monotonic()
    code = code_under_test()
    per_db: dict[str, Any] = {}
    for kind in kinds:
        per_db[kind] = {}
        if args.kill_rounds > 0:
            log(f"{kind}: {args.kill_rounds} SIGKILL rounds, {args.workers} writers")
            per_db[kind]["crash"] = crash_rounds(
                kind, args.kill_rounds, args.workers, args.max_kill_after, args.seed
            )
        if args.reconnect_seconds > 0:
            log(
                f"{kind}: {args.reconnect_seconds:g} s of random reconnects, "
                f"{args.restarts} restarts"
            )
            per_db[kind]["feed"] = reconnect_load(
                kind, args.reconnect_seconds, args.restarts, args.seed
            )

    def total(part: str, key: str) -> int:
        return sum(int(d[part][key]) for d in per_db.values() if part in d)

    summary = {
        "databases": kinds,
        "faults_injected": total("crash", "faults_injected"),
        "acknowledged_writes": total("crash", "acknowledged_writes"),
        "acknowledged_writes_lost": total("crash", "acknowledged_writes_lost"),
        "half_written_or_inconsistent": total("crash", "inconsistencies"),
        "in_flight_at_kill": total("crash", "in_flight_at_kill"),
        "audit_chain_failures": sum(
            1 for d in per_db.values() if "crash" in d and d["crash"]["audit_verify_exit"] != 0
        ),
        "restarts_during_feed_load": sum(
            len(d["feed"]["restarts"]) for d in per_db.values() if "feed" in d
        ),
        "reconnects": total("feed", "reconnects"),
        "events_expected": total("feed", "events_expected"),
        "events_delivered": total("feed", "events_delivered"),
        "events_lost": total("feed", "events_lost"),
        "events_duplicated": total("feed", "events_duplicated"),
        "events_out_of_order": total("feed", "events_out_of_order"),
        "events_not_visible": total("feed", "events_not_visible"),
        "positions_coalesced": total("feed", "positions_coalesced"),
        "classified_deliveries_not_in_audit": total("feed", "classified_deliveries_not_in_audit"),
        "per_database": per_db,
        "revision": git_revision(),
        "code": code,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary, sort_keys=False), flush=True)


if __name__ == "__main__":
    main()
