"""CAP codec costs: what publishing one alert and reading one imported alert cost in CPU.

Three measurements, each the median of `--rounds` rounds of `--n` repetitions, in one process:

* build: the bilingual CAP document of one alert (two info blocks, a 40-point polygon, a circle
  and a geocode) built with lxml and validated against the CAP 1.2 schema, as approval does;
* read: the same document read as an import reads it (the defused pass with depth counting,
  the hardened lxml parse, the schema, the coordinates and the polygon check);
* feed: the Atom feed of `--entries` alerts in force.

    .venv/bin/python benchmarks/alerts_cap.py
    .venv/bin/python benchmarks/alerts_cap.py --rounds 7 --n 500 --entries 100

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tansiq.alerts import atom, cap, xmlsafe
from tansiq.alerts.schemas import AlertContent


def _content() -> AlertContent:
    ring = [
        {
            "lat": 29.35 + 0.1 * math.sin(2 * math.pi * i / 39),
            "lon": 47.95 + 0.1 * math.cos(2 * math.pi * i / 39),
        }
        for i in range(39)
    ]
    ring.append(ring[0])
    texts = {
        "event": "Heavy rain",
        "headline": "Heavy rain and flash flood warning",
        "description": "Heavy rain is expected over Kuwait City. " * 5,
        "instruction": "Keep away from underpasses and low-lying areas.",
    }
    return AlertContent.model_validate(
        {
            "category": ["Met"],
            "urgency": "Immediate",
            "severity": "Severe",
            "certainty": "Likely",
            "ar": {**texts, "event": "أمطار غزيرة", "headline": "تحذير من أمطار غزيرة"},
            "en": texts,
            "areas": [
                {
                    "description": "Kuwait City",
                    "polygons": [ring],
                    "circles": [{"lat": 29.37, "lon": 47.97, "radius_km": 5}],
                    "geocodes": [{"name": "ISO3166-2", "value": "KW-KU"}],
                }
            ],
        }
    )


def _median_us(fn: Callable[[], object], n: int, rounds: int) -> float:
    per_round = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        per_round.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(per_round)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--entries", type=int, default=100)
    args = parser.parse_args()

    content = _content()
    sent = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    header = cap.Header("TANSIQ-bench", "alerts@tansiq.local", sent, "Actual", "Alert")
    names = {"en": "Ministry of Interior", "ar": "وزارة الداخلية"}
    document = cap.build(header, content, names)
    limits = xmlsafe.Limits()
    entries = [
        atom.Entry(f"TANSIQ-{i}", f"https://alerts.example/cap/alerts/TANSIQ-{i}.xml", sent,
                   "تحذير", "Warning", "Heavy rain is expected.", "Alert")
        for i in range(args.entries)
    ]  # fmt: skip

    build_us = _median_us(lambda: cap.build(header, content, names), args.n, args.rounds)
    read_us = _median_us(lambda: cap.parse(document, limits), args.n, args.rounds)
    feed_us = _median_us(
        lambda: atom.build(
            feed_id="urn:x", self_url="https://alerts.example/cap/alerts.atom", title="t",
            author="a", updated=sent, entries=entries,
        ),
        max(1, args.n // 10),
        args.rounds,
    )  # fmt: skip
    result = {
        "document_bytes": len(document),
        "build_and_validate_ms": round(build_us / 1000, 3),
        "read_import_ms": round(read_us / 1000, 3),
        f"atom_feed_{args.entries}_entries_ms": round(feed_us / 1000, 3),
        "rounds": args.rounds,
        "n": args.n,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
