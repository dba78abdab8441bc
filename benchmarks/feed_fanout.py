"""Live feed fan-out: S WebSocket subscribers, publishers writing through the HTTP API at rate R.

One `tansiq serve` process on a fresh SQLite database (or the server at `--url`). The
subscribers run in their own process(es), apart from the publishers, so the two sides of the
benchmark do not share one interpreter; on a 2-core machine all three processes still share the
CPU with the server, and the figures say so.

Publishers (this process, asyncio + an httpx connection pool, `--workers` concurrent calls) send
`--rate` API calls per second for `--seconds`: incident creates and unit position reports
(`--position-share` of them). Each call carries its own start time (time.time()) in the record
it writes: the incident's description, the position fix's `at`. A subscriber reads it back from
the event and the wall clock at receipt gives the end-to-end latency, per delivery, without
shipping every receipt between processes. Both processes read the same machine clock.

Checked per subscriber: every incident the API acknowledged arrives once (lost, duplicated),
sequence numbers only increase (reordered), positions not received were coalesced (allowed:
latest fix per unit wins for a slow subscriber), and whether the server closed it as too slow.

The last line printed is one JSON object. Examples:

    .venv/bin/python benchmarks/feed_fanout.py --subscribers 100 --rate 500 --seconds 10
    .venv/bin/python benchmarks/feed_fanout.py --sweep --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
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

SWEEP_SUBSCRIBERS = (10, 100, 500)
SWEEP_RATES = (100, 500, 2000)
LAT0 = 29.0  # positions encode a counter in the latitude's micro-degrees, kept within Kuwait
MAX_SECONDS = 120


def _use_uvloop() -> None:
    # The client's own CPU cost competes with the server on two cores; uvloop lowers it.
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


# --- subscribers (child process) ----------------------------------------------------------------


@dataclass
class SubStats:
    received: int = 0
    positions: int = 0
    duplicated: int = 0
    reordered: int = 0
    last_seq: int = 0
    closed: str | None = None
    incidents: set[int] = field(default_factory=set)


def _parse_at(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


async def _subscriber(
    ws_url: str,
    token: str,
    compression: str | None,
    stats: SubStats,
    latencies: array[float],
    inc_latencies: array[float],
    feed_latencies: array[float],
    done: asyncio.Event,
    target: list[int],
    connected: asyncio.Queue[bool],
) -> None:
    from websockets.asyncio.client import connect

    try:
        ws = await connect(
            ws_url,
            additional_headers={"Authorization": f"Bearer {token}"},
            compression=compression,
            max_size=2**20,
            ping_interval=None,  # the server sends heartbeats; client pings would be noise
            open_timeout=60,
            close_timeout=2,
        )
    except Exception as exc:
        stats.closed = f"connect_failed: {type(exc).__name__}"
        await connected.put(False)
        return
    await connected.put(True)
    try:
        async with ws:
            recv = ws.recv
            while not done.is_set():
                try:
                    raw = await recv()
                except Exception:
                    stats.closed = stats.closed or "connection_lost"
                    break
                now = time.time()
                msg = orjson.loads(raw)
                seq = msg["seq"]
                kind = msg["type"]
                if kind == "feed.closed":
                    stats.closed = msg["data"]["code"]
                    break
                if seq <= stats.last_seq:
                    if seq == stats.last_seq:
                        stats.duplicated += 1
                    else:
                        stats.reordered += 1
                else:
                    stats.last_seq = seq
                stats.received += 1
                feed_latencies.append((now - _parse_at(msg["at"])) * 1000)
                data = msg["data"]
                if kind == "incident.created":
                    inc = data["incident"]
                    iid = inc["id"]
                    if iid in stats.incidents:
                        stats.duplicated += 1
                    stats.incidents.add(iid)
                    desc = inc.get("description", "")
                    if desc.startswith("t="):
                        lat = (now - float(desc[2:])) * 1000
                        latencies.append(lat)
                        inc_latencies.append(lat)
                elif kind == "unit.position":
                    stats.positions += 1
                    latencies.append((now - _parse_at(data["at"])) * 1000)
                if target and stats.last_seq >= target[0]:
                    break
    except Exception:  # a subscriber's failure is a result, not a crash of the benchmark
        stats.closed = stats.closed or "error"


async def _subscribers_main(
    ws_url: str, token: str, n: int, compression: str | None, ctl: Any, out: Any
) -> None:
    stats = [SubStats() for _ in range(n)]
    latencies: array[float] = array("d")
    inc_latencies: array[float] = array("d")
    feed_latencies: array[float] = array("d")
    done = asyncio.Event()
    target: list[int] = []  # filled with the feed head once the publishers are finished
    connected: asyncio.Queue[bool] = asyncio.Queue()
    tasks: list[asyncio.Task[None]] = []
    ok = 0
    # Connect in small waves: 500 simultaneous handshakes would measure the accept queue.
    for start in range(0, n, 25):
        wave = stats[start : start + 25]
        for st in wave:
            tasks.append(
                asyncio.create_task(
                    _subscriber(
                        ws_url,
                        token,
                        compression,
                        st,
                        latencies,
                        inc_latencies,
                        feed_latencies,
                        done,
                        target,
                        connected,
                    )
                )
            )
        for _ in wave:  # each subscriber reports exactly once; connect() has its own timeout
            ok += await connected.get()
    out.put(("ready", ok))
    cpu0 = time.process_time()
    loop = asyncio.get_running_loop()
    # Wait (off the loop) for the publishers' end: the head to reach and the incidents expected.
    msg = await loop.run_in_executor(None, ctl.get, True, MAX_SECONDS * 3)
    _, head, expected_incidents, drain_s = msg
    target.append(head)
    deadline = time.monotonic() + drain_s
    # Bounded wait until every subscriber has the head (or was closed).
    while time.monotonic() < deadline:
        if all(st.last_seq >= head or st.closed for st in stats):
            break
        await asyncio.sleep(0.05)
    done.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    expected = set(expected_incidents)
    per_sub = []
    for st in stats:
        per_sub.append(
            {
                "received": st.received,
                "positions": st.positions,
                "lost": len(expected - st.incidents),
                "duplicated": st.duplicated,
                "reordered": st.reordered,
                "reached_head": st.last_seq >= head,
                "closed": st.closed,
            }
        )
    cpu = time.process_time() - cpu0
    out.put(
        (
            "result",
            per_sub,
            latencies.tobytes(),
            inc_latencies.tobytes(),
            feed_latencies.tobytes(),
            cpu,
        )
    )


def subscriber_process(
    ws_url: str, token: str, n: int, compression: str | None, ctl: Any, out: Any
) -> None:
    _use_uvloop()
    asyncio.run(_subscribers_main(ws_url, token, n, compression, ctl, out))


# --- publishers (this process) -------------------------------------------------------------------


@dataclass
class PublishResult:
    incidents: list[int]
    positions: int
    errors: int
    elapsed: float
    first_send: float
    api_latencies: list[float]
    send_lag: list[float]
    scheduled: int
    unsent: int


async def publish(
    base_url: str,
    token: str,
    units: list[int],
    rate: float,
    seconds: float,
    workers: int,
    position_share: float,
) -> PublishResult:
    """Open loop: call i is due at start + i/rate; a free worker takes the next due call."""
    total = max(1, int(rate * seconds))
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    incidents: list[int] = []
    api_lat: list[float] = []
    lag: list[float] = []
    positions = 0
    errors = 0
    counter = [0]
    unsent = [0]
    window_end = math.inf
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    headers = {"Authorization": f"Bearer {token}"}
    # Units are split between workers so each unit's fixes leave in order (an older fix arriving
    # after a newer one is ignored by design and would look like a lost event).
    owned = [units[w::workers] for w in range(workers)]

    async def worker(w: int, http: httpx.AsyncClient) -> None:
        nonlocal positions, errors
        mine = owned[w]
        turn = 0
        while (job := await queue.get()) is not None:
            i, due = job
            if time.time() > window_end:
                # The server could not keep up: a call not started in the window is not sent,
                # so the run stays bounded; it shows as an achieved rate below the target.
                unsent[0] += 1
                continue
            is_position = bool(mine) and math.floor((i + 1) * position_share) > math.floor(
                i * position_share
            )
            t0 = time.time()
            lag.append(t0 - due)
            try:
                if is_position:
                    unit = mine[turn % len(mine)]
                    turn += 1
                    counter[0] += 1
                    body: dict[str, Any] = {
                        "lat": LAT0 + (counter[0] % 900_000) * 1e-6,
                        "lon": 47.97,
                        "at": datetime.fromtimestamp(t0, UTC).isoformat(),
                    }
                    r = await http.post(f"/api/v1/units/{unit}/position", json=body)
                    if r.status_code == 202:
                        positions += 1
                    else:
                        errors += 1
                else:
                    body = {"type": "theft", "lat": 29.37, "lon": 47.97, "description": f"t={t0!r}"}
                    r = await http.post("/api/v1/incidents", json=body)
                    if r.status_code == 201:
                        incidents.append(r.json()["id"])
                    else:
                        errors += 1
                if r.status_code < 300:
                    api_lat.append(time.time() - t0)
            except httpx.HTTPError:
                errors += 1

    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as http:
        tasks = [asyncio.create_task(worker(w, http)) for w in range(workers)]
        start = time.time()
        window_end = start + seconds
        for i in range(total):
            due = start + i / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in tasks:
            queue.put_nowait(None)
        # Calls still queued after the window are sent late; the achieved rate shows it.
        await asyncio.wait_for(asyncio.gather(*tasks), seconds + 120)
        elapsed = time.time() - start
    return PublishResult(
        incidents, positions, errors, elapsed, start, api_lat, lag, total, unsent[0]
    )


def register_units(base_url: str, token: str, count: int, tag: str) -> list[int]:
    ids = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        for i in range(count):
            r = http.post("/api/v1/units", json={"callsign": f"B-{tag}-{i}", "type": "patrol_car"})
            r.raise_for_status()
            ids.append(r.json()["id"])
    return ids


def feed_head(base_url: str, token: str) -> int:
    r = httpx.get(
        f"{base_url}/api/v1/feed/head", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    r.raise_for_status()
    head: int = r.json()["seq"]
    return head


# --- one configuration ---------------------------------------------------------------------------


def run_once(
    base_url: str,
    token: str,
    units: list[int],
    args: argparse.Namespace,
    subscribers: int,
    rate: float,
    server: Any,
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ws_url = base_url.replace("http://", "ws://", 1) + "/api/v1/feed"
    compression = None if args.compression == "none" else "deflate"
    procs = max(1, min(args.sub_procs, subscribers))
    shares = [subscribers // procs + (1 if p < subscribers % procs else 0) for p in range(procs)]
    ctls = [ctx.Queue() for _ in range(procs)]
    out = ctx.Queue()
    children = [
        ctx.Process(
            target=subscriber_process,
            args=(ws_url, token, n, compression, ctls[p], out),
            daemon=True,
        )
        for p, n in enumerate(shares)
    ]
    for c in children:
        c.start()
    try:
        ready = 0
        for _ in children:
            tag, n_ok = out.get(timeout=180)
            assert tag == "ready"
            ready += n_ok
        time.sleep(0.5)  # let the last handshakes settle before the clock starts
        cpu0 = server_pid_cpu(server)
        pub_cpu0 = time.process_time()
        _use_uvloop()
        pub = asyncio.run(
            publish(base_url, token, units, rate, args.seconds, args.workers, args.position_share)
        )
        cpu1 = server_pid_cpu(server)
        pub_cpu = time.process_time() - pub_cpu0
        head = feed_head(base_url, token)
        for q in ctls:
            q.put(("finish", head, pub.incidents, args.drain))
        per_sub: list[dict[str, Any]] = []
        latencies: array[float] = array("d")
        inc_latencies: array[float] = array("d")
        feed_latencies: array[float] = array("d")
        client_cpu = 0.0
        for _ in children:
            tag, subs, lat_bytes, inc_bytes, feed_bytes, cpu = out.get(timeout=args.drain + 120)
            assert tag == "result"
            per_sub.extend(subs)
            latencies.frombytes(lat_bytes)
            inc_latencies.frombytes(inc_bytes)
            feed_latencies.frombytes(feed_bytes)
            client_cpu += cpu
        for c in children:
            c.join(timeout=10)
    finally:
        for c in children:
            if c.is_alive():
                c.terminate()
                c.join(timeout=5)

    deliveries = sum(s["received"] for s in per_sub)
    expected_positions = pub.positions * subscribers
    received_positions = sum(s["positions"] for s in per_sub)
    closed: dict[str, int] = {}
    for s in per_sub:
        if s["closed"]:
            closed[s["closed"]] = closed.get(s["closed"], 0) + 1
    window = pub.elapsed
    lat = list(latencies)
    inc_lat = list(inc_latencies)
    accepted = len(pub.incidents) + pub.positions
    return {
        "subscribers": subscribers,
        "connected": ready,
        "rate": rate,
        "seconds": args.seconds,
        "position_share": args.position_share,
        "offered_per_s": round(accepted / window, 1),
        "scheduled_per_s": round(pub.scheduled / args.seconds, 1),
        "unsent": pub.unsent,
        "publish_window_s": round(window, 2),
        "incidents": len(pub.incidents),
        "positions": pub.positions,
        "api_errors": pub.errors,
        "api_p50_ms": round(percentile(pub.api_latencies, 50) * 1000, 1),
        "api_p99_ms": round(percentile(pub.api_latencies, 99) * 1000, 1),
        "send_lag_p99_ms": round(percentile(pub.send_lag, 99) * 1000, 1),
        "delivered_per_s": round(deliveries / max(1, subscribers) / window, 1),
        "deliveries_per_s": round(deliveries / window, 1),
        "deliveries": deliveries,
        "lost": sum(s["lost"] for s in per_sub),
        "duplicated": sum(s["duplicated"] for s in per_sub),
        "reordered": sum(s["reordered"] for s in per_sub),
        "positions_coalesced": expected_positions - received_positions,
        "subscribers_closed": closed,
        "not_at_head": sum(1 for s in per_sub if not s["reached_head"]),
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "p99_ms": round(percentile(lat, 99), 1),
        "max_ms": round(max(lat), 1) if lat else math.nan,
        "incident_p99_ms": round(percentile(inc_lat, 99), 1),
        # From the event's commit-time stamp to receipt: the hub and WebSocket part alone,
        # without the time the API call waited for the write path.
        "feed_p50_ms": round(percentile(feed_latencies, 50), 1),
        "feed_p99_ms": round(percentile(feed_latencies, 99), 1),
        "server_cpu_cores": (
            None if cpu0 is None or cpu1 is None else round((cpu1 - cpu0) / window, 2)
        ),
        # The clients' own CPU on the same two cores (subscribers include the drain period).
        "publisher_cpu_cores": round(pub_cpu / window, 2),
        "subscriber_cpu_s": round(client_cpu, 2),
        # Other work on the machine (tests of colleagues) shares the two cores; record it.
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "compression": args.compression,
        "sub_procs": procs,
        "server_workers": args.server_workers,
        "workers": args.workers,
    }


def _summary_line(r: dict[str, Any]) -> str:
    return (
        f"S={r['subscribers']:>3} R={r['rate']:>5g}: offered {r['offered_per_s']:>6}/s "
        f"delivered {r['delivered_per_s']:>6}/s/sub ({r['deliveries_per_s']:>8}/s total) "
        f"lost {r['lost']} dup {r['duplicated']} coalesced {r['positions_coalesced']} "
        f"closed {r['subscribers_closed']} p50 {r['p50_ms']} p95 {r['p95_ms']} "
        f"p99 {r['p99_ms']} ms; api p99 {r['api_p99_ms']} ms; feed p99 {r['feed_p99_ms']} ms; "
        f"cores: server {r['server_cpu_cores']} publisher {r['publisher_cpu_cores']}; "
        f"subscriber cpu {r['subscriber_cpu_s']} s; load {r['loadavg_1m']}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--subscribers", type=int, default=100)
    p.add_argument("--rate", type=float, default=500, help="API calls (= events) per second")
    p.add_argument("--seconds", type=float, default=10.0, help="publishing window")
    p.add_argument("--url", help="use this running server instead of starting one")
    p.add_argument("--username", default=BENCH_USER, help="with --url: a dispatcher's name")
    p.add_argument(
        "--password-env", default="TANSIQ_BENCH_PASSWORD", help="with --url: env var of password"
    )
    p.add_argument("--position-share", type=float, default=0.5, help="share of position reports")
    p.add_argument("--units", type=int, default=64, help="units reporting positions")
    p.add_argument("--workers", type=int, default=32, help="concurrent publisher calls")
    p.add_argument("--sub-procs", type=int, default=1, help="subscriber processes")
    p.add_argument(
        "--server-workers", type=int, default=1, help="server processes (TANSIQ_WORKERS)"
    )
    p.add_argument(
        "--compression",
        choices=["deflate", "none"],
        default="deflate",
        help="what the WebSocket client offers; browsers offer permessage-deflate",
    )
    p.add_argument("--drain", type=float, default=15.0, help="max wait for the feed to catch up")
    p.add_argument("--sweep", action="store_true", help="S in {10,100,500} x R in {100,500,2000}")
    p.add_argument("--repeat", type=int, default=1, help="runs per configuration (medians)")
    p.add_argument("--log-level", default=DEFAULT_LOG_LEVEL, help="server TANSIQ_LOG_LEVEL")
    args = p.parse_args(argv)
    if not (0 < args.seconds <= MAX_SECONDS and 0 < args.rate <= 20_000):
        p.error(f"--seconds must be in (0, {MAX_SECONDS}] and --rate in (0, 20000]")
    if not (1 <= args.subscribers <= 2000 and 0 <= args.position_share <= 1):
        p.error("--subscribers must be in 1..2000 and --position-share in [0, 1]")
    if not (1 <= args.workers <= 256 and 1 <= args.units <= 1000 and 1 <= args.repeat <= 10):
        p.error("--workers in 1..256, --units in 1..1000, --repeat in 1..10")

    configs = (
        [(s, r) for s in SWEEP_SUBSCRIBERS for r in SWEEP_RATES]
        if args.sweep
        else [(args.subscribers, args.rate)]
    )
    results: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        server_proc = None
        if args.url:
            base_url = args.url.rstrip("/")
            token = login(base_url, args.username, os.environ.get(args.password_env, ""))
        else:
            db = stack.enter_context(database("sqlite", args.log_level))
            db.env["TANSIQ_WORKERS"] = str(args.server_workers)
            server = stack.enter_context(serve(db))
            base_url, server_proc = server.url, server.process
            token = login(base_url, BENCH_USER, db.password)
        units = register_units(base_url, token, args.units, f"{os.getpid()}-{int(time.time())}")
        for s, r in configs:
            runs = []
            for _ in range(args.repeat):
                one = run_once(base_url, token, units, args, s, r, server_proc)
                print(_summary_line(one), file=sys.stderr, flush=True)
                runs.append(one)
                time.sleep(1.0)  # let the server's queues empty before the next run
            results.append(_median(runs))

    meta = {
        "revision": git_revision(),
        "code": code_under_test(),
        "cpus": os.cpu_count(),
        "server_log_level": args.log_level,
    }
    if args.sweep:
        for r in results:
            print(json.dumps(r), flush=True)
        final: dict[str, Any] = {**meta, "sweep": results}
        # The one-line verdict the target asks about, when the sweep contains it.
        target = [r for r in results if r["subscribers"] == 100 and r["rate"] == 500]
        if target:
            final.update({k: target[0][k] for k in _REQUIRED})
    else:
        final = {**results[0], **meta}
    print(json.dumps(final), flush=True)
    return final


_REQUIRED = (
    "subscribers",
    "offered_per_s",
    "delivered_per_s",
    "lost",
    "duplicated",
    "p50_ms",
    "p99_ms",
)


_CONFIG = frozenset(
    {"subscribers", "rate", "seconds", "position_share", "sub_procs", "workers", "server_workers"}
)


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field median of numeric results over repeated runs (loss counts: the maximum)."""
    if len(runs) == 1:
        return runs[0]
    merged = dict(runs[-1])
    for key, value in runs[-1].items():
        if isinstance(value, bool) or not isinstance(value, int | float) or key in _CONFIG:
            continue
        values = [r[key] for r in runs]
        worst = key in ("lost", "duplicated", "reordered", "not_at_head", "api_errors")
        merged[key] = max(values) if worst else statistics.median(values)
    merged["runs"] = len(runs)
    merged["p99_ms_runs"] = [r["p99_ms"] for r in runs]
    merged["offered_per_s_runs"] = [r["offered_per_s"] for r in runs]
    return merged


if __name__ == "__main__":
    main()
