"""Console load: time to interactive with 2,000 open incidents and 1,000 units, then the map's
frame budget while every unit reports one position per second.

One `tansiq serve` on a fresh SQLite database; Debian's headless Chromium (Playwright, the
system browser) opens the console at 1366x768. The session token is placed in the tab's storage,
so "interactive" is measured from navigation to: the feed live, the queue listed and every
incident and unit on the map (sign-in's password hash is not part of it). That is repeated
`--loads` times; the median is reported.

Then for `--seconds` the benchmark sends each unit's position once a second (one batch of
`--units` fixes per second through POST /api/v1/units/positions) and an incident every
`--incident-every` seconds. In the page, a requestAnimationFrame loop records every frame's
duration. Checked at the end: every incident event in the log after the page loaded reached
the console exactly once, the server never closed its feed as too slow, and each unit's marker
is where the server last put it (coalesced positions are allowed; lost ones are not).

The last line printed is one JSON object. Example:

    .venv/bin/python benchmarks/console_load.py --incidents 2000 --units 1000 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tansiq.events import log
from tests.reliability._server import ServerProcess, add_people, fresh_database
from tests.web.conftest import CHROMIUM_ARGS, VIEWPORT, chromium_path

KUWAIT = (47.70, 29.05, 48.20, 29.45)  # lon/lat box the picture is spread over
TYPES = ["fire", "traffic_collision", "theft", "assault", "road_obstruction", "burglary"]
UNIT_TYPES = ["patrol_car", "ambulance", "fire_engine", "motorcycle"]


def seed(api: httpx.Client, headers: dict[str, str], incidents: int, units: int) -> list[int]:
    rng = random.Random(6)
    for i in range(incidents):
        r = api.post(
            "/api/v1/incidents",
            headers=headers,
            json={
                "type": TYPES[i % len(TYPES)],
                "lat": rng.uniform(KUWAIT[1], KUWAIT[3]),
                "lon": rng.uniform(KUWAIT[0], KUWAIT[2]),
                "area": f"area {i % 40}",
                "description": f"load {i}",
            },
        )
        r.raise_for_status()
    ids = []
    for i in range(units):
        r = api.post(
            "/api/v1/units",
            headers=headers,
            json={
                "callsign": f"L-{i:04d}",
                "type": UNIT_TYPES[i % len(UNIT_TYPES)],
                "lat": rng.uniform(KUWAIT[1], KUWAIT[3]),
                "lon": rng.uniform(KUWAIT[0], KUWAIT[2]),
            },
        )
        r.raise_for_status()
        ids.append(r.json()["id"])
    return ids


FRAME_PROBE = """() => {
  window.__frames = [];
  let last = performance.now();
  const loop = (now) => {
    window.__frames.push(now - last); last = now; requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}"""

READY = """(counts) => {
  const s = window.tansiqConsole;
  return s && s.connState === 'live' && s.incidents.size >= counts[0]
    && s.map && s.map.unitMarkers.size >= counts[1]
    && document.querySelectorAll('#queue-list li').length > 0;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--incident-every", type=float, default=0.5)
    args = parser.parse_args()
    chromium = chromium_path()
    if chromium is None:
        sys.exit("Chromium is missing: make browser")
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database("sqlite", Path(tmp)) as db,
    ):
        (who,) = add_people(db, [("bench", "dispatcher", "public_security", "secret")])
        with ServerProcess(db) as server, httpx.Client(base_url=server.base_url, timeout=60) as api:
            server.start()
            began = time.monotonic()
            unit_ids = seed(api, who.headers, args.incidents, args.units)
            seeded_s = time.monotonic() - began
            session = json.dumps({"access": who.token, "refresh": ""})
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                loads = []
                for _ in range(args.loads):
                    context = browser.new_context(viewport=VIEWPORT)
                    context.add_init_script(
                        f"sessionStorage.setItem('tansiq.session', {json.dumps(session)})"
                    )
                    page = context.new_page()
                    start = time.monotonic()
                    page.goto(server.base_url + "/")
                    page.wait_for_function(
                        READY, arg=[args.incidents, args.units], timeout=120_000, polling=50
                    )
                    loads.append(time.monotonic() - start)
                    context.close()

                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(
                    f"sessionStorage.setItem('tansiq.session', {json.dumps(session)})"
                )
                page = context.new_page()
                page.goto(server.base_url + "/")
                page.wait_for_function(
                    READY, arg=[args.incidents, args.units], timeout=120_000, polling=100
                )
                since = page.evaluate("() => window.tansiqConsole.feed.lastSeq")
                page.evaluate(FRAME_PROBE)
                stop = threading.Event()
                latest: dict[int, tuple[float, float]] = {}
                sent = {"positions": 0, "incidents": 0, "late_batches": 0}

                def stream() -> None:
                    rng = random.Random(1)
                    with httpx.Client(base_url=server.base_url, timeout=60) as client:
                        tick = time.monotonic()
                        next_incident = tick
                        while not stop.is_set():
                            rows = []
                            now = datetime.now(UTC).isoformat()
                            for uid in unit_ids:
                                lat = rng.uniform(KUWAIT[1], KUWAIT[3])
                                lon = rng.uniform(KUWAIT[0], KUWAIT[2])
                                rows.append({"unit_id": uid, "lat": lat, "lon": lon, "at": now})
                                latest[uid] = (lat, lon)
                            r = client.post(
                                "/api/v1/units/positions",
                                json={"positions": rows},
                                headers=who.headers,
                            )
                            r.raise_for_status()
                            sent["positions"] += len(rows)
                            while time.monotonic() >= next_incident:
                                client.post(
                                    "/api/v1/incidents",
                                    headers=who.headers,
                                    json={"type": "fire", "lat": 29.3, "lon": 47.9},
                                ).raise_for_status()
                                sent["incidents"] += 1
                                next_incident += args.incident_every
                            tick += 1.0
                            pause = tick - time.monotonic()
                            if pause > 0:
                                stop.wait(pause)
                            else:
                                sent["late_batches"] += 1

                streamer = threading.Thread(target=stream, daemon=True)
                streamer.start()
                time.sleep(args.seconds)
                stop.set()
                streamer.join(60)
                time.sleep(3)  # let the last batch arrive
                frames = page.evaluate("() => window.__frames")
                got = page.evaluate(
                    "(since) => window.tansiqConsole.incidentSeqs.filter((s) => s > since)",
                    since,
                )
                stats = page.evaluate("() => window.tansiqConsole.feed.stats")
                markers = page.evaluate(
                    """() => Object.fromEntries([...window.tansiqConsole.map.unitMarkers]
                        .map(([id, m]) => [id, [m.getLatLng().lat, m.getLatLng().lng]]))"""
                )
                browser.close()
            store = db.store()
            with store.read() as s:
                expected = [
                    e.seq
                    for e in log.read_range(s, since, log.head(s))
                    if e.record_type == "incident"
                ]
            store.dispose()
    misplaced = sum(
        1
        for uid, (lat, lon) in latest.items()
        if abs(markers[str(uid)][0] - lat) > 1e-9 or abs(markers[str(uid)][1] - lon) > 1e-9
    )
    frames = frames[5:]  # the first few include the probe's own start
    frames.sort()
    result = {
        "incidents": args.incidents,
        "units": args.units,
        "seed_s": round(seeded_s, 1),
        "interactive_s": [round(x, 2) for x in loads],
        "interactive_median_s": round(statistics.median(loads), 2),
        "stream_seconds": args.seconds,
        "positions_sent": sent["positions"],
        "incidents_sent": sent["incidents"],
        "late_position_batches": sent["late_batches"],
        "frames": len(frames),
        "frame_median_ms": round(statistics.median(frames), 1),
        "frame_p95_ms": round(frames[int(0.95 * (len(frames) - 1))], 1),
        "frames_over_50ms": sum(f > 50 for f in frames),
        "incident_events_expected": len(expected),
        "incident_events_lost": len(set(expected) - set(got)),
        "incident_events_duplicated": len(got) - len(set(got)),
        "feed_duplicates_dropped": stats["duplicates"],
        "feed_reconnects": stats["reconnects"],
        "units_not_at_last_position": misplaced,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
