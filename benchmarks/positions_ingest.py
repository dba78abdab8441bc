"""Batch position ingestion through the API, with snapping, while the live feed is watched.

One `tansiq serve` on a fresh SQLite database (or PostgreSQL with `--db postgres`) holding a
generated street grid (`--side`, default 100: 10,000 junctions around Kuwait City) as its road
network. `--units` units are registered; `--clients` concurrent clients post batches of `--batch`
fixes (`POST /api/v1/units/positions`) back to back for `--seconds`. Meanwhile one WebSocket
subscriber receives the feed, and a probe reports one incident a second through the API and
times it from the call to its arrival on the feed: "the server stays responsive" is that
latency, compared with the same probe on an idle server measured first in the same run.

Reports positions/s accepted (every fix written to the track and snapped), batch p50/p99, and
the probe's p50/p99 idle and under load. The last line printed is one JSON object.

    .venv/bin/python benchmarks/positions_ingest.py
    .venv/bin/python benchmarks/positions_ingest.py --clients 4 --batch 2000 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import orjson

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

from tansiq.roads.storage import save_network
from tansiq.roads.synthetic import grid_network
from tansiq.store.db import Store


class FeedProbe(threading.Thread):
    """Subscribes to the feed and notes when each probe incident (by description) arrives."""

    def __init__(self, ws_url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.ws_url, self.token = ws_url, token
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        from websockets.sync.client import connect

        with connect(
            self.ws_url,
            additional_headers={"Authorization": f"Bearer {self.token}"},
            max_size=2**22,
        ) as ws:
            self.ready.set()
            while not self.stop.is_set():
                try:
                    raw = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                msg = orjson.loads(raw)
                if msg["type"] == "incident.created":
                    desc = msg["data"]["incident"].get("description", "")
                    if desc.startswith("probe-"):
                        self.arrived[desc] = time.time()


def probe(
    base: str, token: str, feed: FeedProbe, seconds: float, tag: str
) -> tuple[list[float], list[float]]:
    """One incident a second: latencies (ms) from the call's start to its arrival on the feed,
    and of the call itself (the part spent in the API and the write, before the feed)."""
    sent: dict[str, float] = {}
    calls: list[float] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as h:
        end = time.time() + seconds
        i = 0
        while time.time() < end:
            name = f"probe-{tag}-{i}"
            sent[name] = time.time()
            h.post(
                "/api/v1/incidents",
                json={"type": "theft", "lat": 29.31, "lon": 47.91, "description": name},
            )
            calls.append((time.time() - sent[name]) * 1000)
            i += 1
            time.sleep(max(0.0, sent[name] + 1.0 - time.time()))
    deadline = time.time() + 10
    while time.time() < deadline and not all(n in feed.arrived for n in sent):
        time.sleep(0.05)
    return [(feed.arrived[n] - t) * 1000 for n, t in sent.items() if n in feed.arrived], calls


async def ingest(
    base: str, token: str, units: list[int], box: tuple[float, float, float, float], args: Any
) -> tuple[int, list[float], int]:
    lon0, lat0, lon1, lat1 = box
    rng = np.random.default_rng(1)
    accepted = 0
    errors = 0
    latencies: list[float] = []
    clock = [datetime.now(UTC) - timedelta(seconds=60)]

    async def client(c: int, http: httpx.AsyncClient) -> None:
        nonlocal accepted, errors
        end = time.time() + args.seconds
        mine = units[c :: args.clients]
        while time.time() < end:
            clock[0] += timedelta(milliseconds=1)  # every batch newer than the last
            at = clock[0].isoformat()
            pick = rng.integers(0, len(mine), args.batch)
            rows = [
                {
                    "unit_id": mine[int(j)],
                    "lat": float(rng.uniform(lat0, lat1)),
                    "lon": float(rng.uniform(lon0, lon1)),
                    "at": at,
                }
                for j in pick
            ]
            t0 = time.perf_counter()
            r = await http.post("/api/v1/units/positions", json={"positions": rows})
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status_code == 202:
                body = r.json()
                accepted += body["applied"] + body["stale"]
                errors += len(body["rejected"])
            else:
                errors += args.batch

    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as http:
        await asyncio.gather(*(client(c, http) for c in range(args.clients)))
    return accepted, latencies, errors


def main() -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--side", type=int, default=100, help="grid side (junctions per row)")
    p.add_argument("--units", type=int, default=2000)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--idle-seconds", type=float, default=8.0, help="probe on the idle server")
    p.add_argument("--log-level", default=DEFAULT_LOG_LEVEL)
    p.add_argument(
        "--server-workers", type=int, default=1, help="server processes (TANSIQ_WORKERS)"
    )
    args = p.parse_args()
    if not (2 <= args.side <= 400 and 1 <= args.batch <= 5000 and 1 <= args.clients <= 32):
        p.error("--side in 2..400, --batch in 1..5000, --clients in 1..32")

    network = grid_network(side=args.side, spacing_m=100.0)
    box = network.bbox()
    with database(args.db, args.log_level) as db:
        db.env["TANSIQ_WORKERS"] = str(args.server_workers)
        store = Store(db.url)
        try:
            save_network(store, network)
        finally:
            store.dispose()
        with serve(db) as server:
            token = login(server.url, BENCH_USER, db.password)
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}
            ) as h:
                units = [
                    h.post(
                        "/api/v1/units", json={"callsign": f"I-{i}", "type": "patrol_car"}
                    ).json()["id"]
                    for i in range(args.units)
                ]
            feed = FeedProbe(server.url.replace("http://", "ws://") + "/api/v1/feed", token)
            feed.start()
            feed.ready.wait(30)
            idle, _ = probe(server.url, token, feed, args.idle_seconds, "idle")
            loaded: list[float] = []
            calls: list[float] = []

            def probe_under_load() -> None:
                arrivals, durations = probe(server.url, token, feed, args.seconds, "load")
                loaded.extend(arrivals)
                calls.extend(durations)

            probe_thread = threading.Thread(target=probe_under_load)
            cpu0 = server_pid_cpu(server.process)
            started = time.perf_counter()
            probe_thread.start()
            accepted, batch_ms, errors = asyncio.run(ingest(server.url, token, units, box, args))
            elapsed = time.perf_counter() - started
            cpu1 = server_pid_cpu(server.process)
            probe_thread.join()
            feed.stop.set()
    result = {
        "db": args.db,
        "grid_nodes": network.node_count,
        "units": args.units,
        "clients": args.clients,
        "batch": args.batch,
        "server_workers": args.server_workers,
        "seconds": round(elapsed, 2),
        "positions_per_s": round(accepted / elapsed, 1),
        "rejected": errors,
        "batch_p50_ms": round(percentile(batch_ms, 50), 1),
        "batch_p99_ms": round(percentile(batch_ms, 99), 1),
        "probe_idle_p50_ms": round(percentile(idle, 50), 1),
        "probe_idle_p99_ms": round(percentile(idle, 99), 1),
        "probe_load_p50_ms": round(percentile(loaded, 50), 1),
        "probe_load_p99_ms": round(percentile(loaded, 99), 1),
        "probe_load_call_p50_ms": round(percentile(calls, 50), 1),
        "probe_load_call_p99_ms": round(percentile(calls, 99), 1),
        "probes_lost": int(args.seconds) - len(loaded) if loaded else None,
        "server_cpu_cores": None
        if cpu0 is None or cpu1 is None
        else round((cpu1 - cpu0) / elapsed, 2),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "revision": git_revision(),
        "code": code_under_test(),
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
