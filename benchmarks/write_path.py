"""Write path: sustained incident creates/s through the API against raw SQLAlchemy inserts.

One run starts a fresh database (SQLite file or PostgreSQL schema) and one `tansiq serve`
process on it, then alternates two phases for `--rounds` rounds:

* api: `--concurrency` clients POST /api/v1/incidents back to back (closed loop) for
  `--seconds`; we count 201 answers and time each call.
* raw: `--concurrency` threads write the rows the service writes for one incident (incident,
  timeline entry, event-head bump, event, event audience) in one transaction per incident,
  through `tansiq.store.db.Store`, so the engine, the SQLite pragmas (WAL, synchronous=FULL),
  BEGIN IMMEDIATE and the in-process writer lock are exactly the server's.

Phases alternate so that both see the same background noise; the ratio is taken per round and
the median reported. The last line printed is one JSON object.

    .venv/bin/python benchmarks/write_path.py --db sqlite
    .venv/bin/python benchmarks/write_path.py --db postgres --rounds 5 --seconds 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from sqlalchemy import insert, select, update

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (
    BENCH_USER,
    DEFAULT_LOG_LEVEL,
    code_under_test,
    database,
    git_revision,
    login,
    percentile,
    serve,
    server_pid_cpu,
)

from tansiq.access.models import Agency, User
from tansiq.events.models import EventAudienceRow, EventHead, EventRow
from tansiq.incidents.models import Incident, TimelineEntry
from tansiq.store.base import utcnow
from tansiq.store.db import Store

INCIDENT = {"type": "theft", "lat": 29.37, "lon": 47.97, "description": "benchmark"}


@dataclass
class Phase:
    kind: str
    count: int
    seconds: float
    per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_s: float | None = None


def api_phase(
    url: str, token: str, seconds: float, concurrency: int, server: Any
) -> tuple[Phase, dict[str, Any] | None]:
    """Closed loop: each client sends the next create as soon as the previous one answered."""
    latencies: list[float] = []
    errors = 0
    sample: dict[str, Any] | None = None
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}

    def client(deadline: float) -> None:
        nonlocal errors, sample
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            # Bounded by the deadline and, as a second guard, by a count no run can reach.
            for _ in range(1_000_000):
                if time.perf_counter() >= deadline:
                    break
                t0 = time.perf_counter()
                r = http.post("/api/v1/incidents", json=INCIDENT)
                if r.status_code == 201:
                    mine.append(time.perf_counter() - t0)
                    if sample is None:
                        sample = r.json()
                else:
                    bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    cpu0 = server_pid_cpu(server)
    start = time.perf_counter()
    deadline = start + seconds
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(client, deadline) for _ in range(concurrency)]:
            f.result()
    elapsed = time.perf_counter() - start
    cpu1 = server_pid_cpu(server)
    return (
        _phase("api", latencies, elapsed, errors, cpu0, cpu1),
        sample,
    )


class RawWriter:
    """The four inserts (and the head bump) of one incident create, without the service."""

    def __init__(self, store: Store, payload: dict[str, Any]) -> None:
        self.store = store
        self.payload = payload
        with store.read() as s:
            user = s.execute(select(User).where(User.username == BENCH_USER)).scalar_one()
            self.user_id = user.id
            self.agency_id = user.agency_id
            # Agency lookups the service does are cached per request; they are not writes.
            s.execute(select(Agency.id).where(Agency.id == self.agency_id)).scalar_one()

    def one(self) -> None:
        with self.store.write() as uow:  # same lock, BEGIN IMMEDIATE, pragmas and commit
            s = uow.session
            now = utcnow()
            incident_id = s.execute(
                insert(Incident)
                .values(
                    type_code="theft",
                    priority=3,
                    status="reported",
                    lat=29.37,
                    lon=47.97,
                    description="benchmark",
                    agency_id=self.agency_id,
                    classification=1,
                    created_by=self.user_id,
                    reported_at=now,
                    updated_at=now,
                    version=1,
                    search_text="theft سرقه benchmark",
                )
                .returning(Incident.id)
            ).scalar_one()
            s.execute(
                insert(TimelineEntry).values(
                    incident_id=incident_id,
                    kind="status",
                    author_id=self.user_id,
                    text="",
                    data={"status": "reported"},
                    at=now,
                )
            )
            seq = s.execute(
                update(EventHead)
                .where(EventHead.id == 1)
                .values(seq=EventHead.seq + 1)
                .returning(EventHead.seq)
            ).scalar_one()
            body = {**self.payload, "id": incident_id}
            s.execute(
                insert(EventRow).values(
                    seq=seq,
                    type="incident.created",
                    at=now,
                    record_type="incident",
                    record_id=str(incident_id),
                    classification=1,
                    public=False,
                    data={"incident": body},
                )
            )
            s.execute(insert(EventAudienceRow).values(seq=seq, agency_id=self.agency_id))


def raw_phase(writer: RawWriter, seconds: float, concurrency: int, server: Any) -> Phase:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(deadline: float) -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        for _ in range(1_000_000):
            if time.perf_counter() >= deadline:
                break
            t0 = time.perf_counter()
            try:
                writer.one()
                mine.append(time.perf_counter() - t0)
            except Exception:  # counted and reported; a benchmark should not die on one error
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    cpu0 = server_pid_cpu(server)
    start = time.perf_counter()
    deadline = start + seconds
    with ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker, deadline) for _ in range(concurrency)]:
            f.result()
    elapsed = time.perf_counter() - start
    return _phase("raw", latencies, elapsed, errors, cpu0, server_pid_cpu(server))


def _phase(
    kind: str,
    latencies: list[float],
    elapsed: float,
    errors: int,
    cpu0: float | None,
    cpu1: float | None,
) -> Phase:
    return Phase(
        kind=kind,
        count=len(latencies),
        seconds=round(elapsed, 3),
        per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 2),
        p99_ms=round(percentile(latencies, 99) * 1000, 2),
        errors=errors,
        server_cpu_s=None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 2),
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    p.add_argument("--rounds", type=int, default=3, help="api/raw phase pairs, alternating")
    p.add_argument("--concurrency", type=int, default=8, help="API clients and raw threads")
    p.add_argument("--log-level", default=DEFAULT_LOG_LEVEL, help="server TANSIQ_LOG_LEVEL")
    p.add_argument(
        "--server-workers", type=int, default=1, help="server processes (TANSIQ_WORKERS)"
    )
    args = p.parse_args(argv)
    if not (0 < args.seconds <= 120 and 1 <= args.rounds <= 20 and 1 <= args.concurrency <= 64):
        p.error("--seconds must be in (0, 120], --rounds in 1..20, --concurrency in 1..64")

    rounds: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(database(args.db, args.log_level))
        db.env["TANSIQ_WORKERS"] = str(args.server_workers)
        server = stack.enter_context(serve(db))
        token = login(server.url, BENCH_USER, db.password)
        # Warm-up: first requests pay for imports, caches and connection pools.
        _, sample = api_phase(server.url, token, 1.0, args.concurrency, server.process)
        assert sample is not None, "no incident could be created during warm-up"
        store = Store(db.url)  # a second, identically configured store in this process
        try:
            writer = RawWriter(store, sample)
            for _ in range(3):
                writer.one()
            for i in range(args.rounds):
                # Alternate which phase goes first, so neither always runs on a warmer machine.
                order = ("api", "raw") if i % 2 == 0 else ("raw", "api")
                result: dict[str, Phase] = {}
                for kind in order:
                    if kind == "api":
                        result["api"], _ = api_phase(
                            server.url, token, args.seconds, args.concurrency, server.process
                        )
                    else:
                        result["raw"] = raw_phase(
                            writer, args.seconds, args.concurrency, server.process
                        )
                api, raw = result["api"], result["raw"]
                ratio = api.per_s / raw.per_s if raw.per_s else float("nan")
                row = {"round": i + 1, "api": asdict(api), "raw": asdict(raw), "ratio": ratio}
                rounds.append(row)
                print(
                    f"round {i + 1}: api {api.per_s:.0f}/s p50 {api.p50_ms:.1f} ms "
                    f"p99 {api.p99_ms:.1f} ms (err {api.errors}, server cpu "
                    f"{api.server_cpu_s}s) | raw {raw.per_s:.0f}/s p99 {raw.p99_ms:.1f} ms "
                    f"(err {raw.errors}) | ratio {ratio:.3f}",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            store.dispose()

    def med(kind: str, key: str) -> float:
        return round(float(statistics.median(float(r[kind][key]) for r in rounds)), 2)

    summary = {
        "db": args.db,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "api_per_s": med("api", "per_s"),
        "api_p50_ms": med("api", "p50_ms"),
        "api_p99_ms": med("api", "p99_ms"),
        "raw_per_s": med("raw", "per_s"),
        "raw_p99_ms": med("raw", "p99_ms"),
        "ratio": round(statistics.median(r["ratio"] for r in rounds), 3),
        "ratios": [round(r["ratio"], 3) for r in rounds],
        "api_errors": sum(r["api"]["errors"] for r in rounds),
        "raw_errors": sum(r["raw"]["errors"] for r in rounds),
        "server_log_level": args.log_level,
        "server_workers": args.server_workers,
        # Other work on the machine shares the two cores; record how busy it was at the end.
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "revision": git_revision(),
        "code": code_under_test(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
