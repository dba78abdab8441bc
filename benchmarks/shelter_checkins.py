"""Shelter check-ins under contention: 200 desks check households into one nearly full shelter.

For each database (SQLite, PostgreSQL) a fresh installation is served by `tansiq serve` (with
`--workers` processes, so check-ins also race across processes), a shelter of 1,000 places is
filled to 980 by 20 households of 49, and 200 households of 1-3 persons (fixed seed) are
checked in at once from 200 threads released by one barrier, each its own HTTP connection.

Reported per round: check-ins accepted and refused (by code), persons accepted against the room
there was, **over-capacity persons accepted (must be 0)**, the shelter's final occupancy and
status as it reports them, and request latency (median, p95). Anything but 200 or 409
shelter_full is reported as an error.

The last line printed is one JSON object.

    .venv/bin/python benchmarks/shelter_checkins.py
    .venv/bin/python benchmarks/shelter_checkins.py --rounds 3 --workers 2 --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter

import httpx
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import BENCH_USER, code_under_test, database, git_revision, login, percentile, serve

CAPACITY, PREFILL_HOUSEHOLDS, PREFILL_SIZE = 1000, 20, 49


def one_round(base: str, token: str, desks: int, seed: int) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    rng = np.random.default_rng(seed)
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        shelter = http.post(
            "/api/v1/shelters",
            json={
                "name": "Bench hall",
                "lat": 29.33,
                "lon": 47.98,
                "capacity": CAPACITY,
                "status": "open",
            },
        ).json()
        sid = shelter["id"]

        def register(size: int) -> int:
            r = http.post("/api/v1/shelters/households", json={"size": size, "head_name": "bench"})
            r.raise_for_status()
            return int(r.json()["id"])

        for _ in range(PREFILL_HOUSEHOLDS):
            r = http.post(
                f"/api/v1/shelters/{sid}/check-ins", json={"household_id": register(PREFILL_SIZE)}
            )
            r.raise_for_status()
        sizes = [int(s) for s in rng.integers(1, 4, desks)]
        ids = [register(s) for s in sizes]
        before = http.get(f"/api/v1/shelters/{sid}").json()
    room = before["capacity"] - before["occupancy"] - before["reserved"]

    barrier = threading.Barrier(desks)
    results: list[tuple[int, str, int, float]] = [(0, "", 0, 0.0)] * desks

    def desk(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
            # No connection is opened before the start line: one held idle across the wait
            # would be closed by the server's keep-alive timeout under the client's feet.
            barrier.wait(120)
            t0 = time.perf_counter()
            try:
                r = c.post(f"/api/v1/shelters/{sid}/check-ins", json={"household_id": ids[i]})
            except httpx.HTTPError as exc:  # reported, never hidden
                results[i] = (-1, f"client:{type(exc).__name__}", sizes[i], 0.0)
                return
            elapsed = time.perf_counter() - t0
            code = "" if r.status_code == 200 else str(r.json().get("code", r.status_code))
            results[i] = (r.status_code, code, sizes[i], elapsed)

    threads = [threading.Thread(target=desk, args=(i,)) for i in range(desks)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    wall = time.perf_counter() - started
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        after = http.get(f"/api/v1/shelters/{sid}").json()
    accepted = [r for r in results if r[0] == 200]
    persons = sum(r[2] for r in accepted)
    refused = Counter(r[1] for r in results if r[0] != 200)
    latencies = [r[3] * 1000 for r in results if r[0] > 0]
    return {
        "room_before": room,
        "accepted": len(accepted),
        "accepted_persons": persons,
        "over_capacity_persons": max(0, persons - room),
        "refused": dict(refused),
        "errors": sum(n for code, n in refused.items() if code != "shelter_full"),
        "final_occupancy": after["occupancy"],
        "final_status": after["status"],
        "occupancy_consistent": after["occupancy"] == before["occupancy"] + persons,
        "latency_ms_median": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(percentile(latencies, 95), 1),
        "wall_s": round(wall, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--desks", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--databases", default="sqlite,postgres")
    args = ap.parse_args()
    out: dict[str, object] = {"benchmark": "shelter_checkins", "desks": args.desks}
    for kind in args.databases.split(","):
        with database(kind) as db:
            db.env["TANSIQ_WORKERS"] = str(args.workers)
            with serve(db) as server:
                token = login(server.url, BENCH_USER, db.password)
                rounds = [
                    one_round(server.url, token, args.desks, seed) for seed in range(args.rounds)
                ]
        for i, r in enumerate(rounds):
            print(kind, i, r)
        out[kind] = {
            "workers": args.workers,
            "rounds": rounds,
            "over_capacity_persons_max": max(int(r["over_capacity_persons"]) for r in rounds),  # type: ignore[call-overload]
            "latency_ms_median": statistics.median(float(r["latency_ms_median"]) for r in rounds),  # type: ignore[arg-type]
        }
    out.update(
        code=code_under_test(),
        revision=git_revision(),
        cores=os.cpu_count(),
        load_1m=round(os.getloadavg()[0], 2),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
