"""Shelter assignment: 10,000 households into 50 shelters, least total travel against greedy.

Households are drawn around a few population centres in Kuwait's inhabited strip (mixture of
Gaussians, fixed seed), with 1-8 persons each; 50 shelters are spread over the same area with
capacities drawn from 300-1,500 and scaled so that all places together are `--slack` times the
persons (1.10: ten per cent spare, so shelters near the centres fill up and choices matter).

Three planners see the same cost matrix: greedy nearest-with-room (the baseline), the optimal
plan by Lagrangian prices (the API's default) and the optimal plan by the exact LP relaxation
(`optimal_lp`, `--lp-repeats` runs). Costs are straight-line metres (default), or with
`--road-side N` drive seconds on a generated N x N street grid through the road engine (the
cost matrix's build time is reported on its own). Reported per planner: seconds (median of the
runs), total person-distance, persons without a place, and the largest occupancy/capacity ratio
(must be at most 1). The optimal plans also report their certified lower bound and the gap.

The last line printed is one JSON object.

    .venv/bin/python benchmarks/shelter_assignment.py
    .venv/bin/python benchmarks/shelter_assignment.py --road-side 200 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import code_under_test, git_revision

from tansiq.shelters.assignment import Plan, greedy, haversine_matrix, optimal, travel_seconds

# (lon, lat, spread in degrees, weight): Kuwait City, Hawalli/Salmiya, Farwaniya, Jahra, Ahmadi
CENTRES = [
    (47.98, 29.37, 0.03, 0.25),
    (48.05, 29.33, 0.03, 0.25),
    (47.95, 29.27, 0.04, 0.2),
    (47.68, 29.34, 0.04, 0.15),
    (48.10, 29.08, 0.05, 0.15),
]


def scenario(households: int, shelters: int, slack: float, seed: int):
    rng = np.random.default_rng(seed)
    weights = np.array([c[3] for c in CENTRES])
    pick = rng.choice(len(CENTRES), households, p=weights / weights.sum())
    centre = np.array([c[:3] for c in CENTRES])[pick]
    h_lon = centre[:, 0] + rng.normal(0, 1, households) * centre[:, 2]
    h_lat = centre[:, 1] + rng.normal(0, 1, households) * centre[:, 2]
    sizes = rng.integers(1, 9, households)
    s_lon = rng.uniform(47.65, 48.15, shelters)
    s_lat = rng.uniform(29.05, 29.45, shelters)
    raw = rng.integers(300, 1501, shelters).astype(float)
    capacity = np.floor(raw * sizes.sum() * slack / raw.sum()).astype(np.int64)
    return h_lon, h_lat, sizes, s_lon, s_lat, capacity


def figures(plan: Plan, sizes, capacity, seconds: list[float], scale: float) -> dict[str, object]:
    placed = plan.shelter >= 0
    load = np.bincount(plan.shelter[placed], weights=sizes[placed], minlength=capacity.size)
    out: dict[str, object] = {
        "seconds_median": round(statistics.median(seconds), 3),
        "seconds_runs": [round(s, 3) for s in seconds],
        "total": round(plan.cost / scale, 1),
        "unplaced_persons": plan.unplaced_persons,
        "max_occupancy_ratio": round(float((load / capacity).max()), 4),
        "over_capacity_shelters": int((load > capacity).sum()),
    }
    if plan.lower_bound is not None:
        out["lower_bound"] = round(plan.lower_bound / scale, 1)
        out["gap"] = round(plan.gap or 0.0, 5)
        out["split_by_relaxation"] = plan.split
        out["lp_rounds"] = plan.rounds
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=10_000)
    ap.add_argument("--shelters", type=int, default=50)
    ap.add_argument("--slack", type=float, default=1.10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lp-repeats", type=int, default=1, help="runs of the exact-LP planner")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--road-side", type=int, default=0, help="time on an N x N street grid")
    args = ap.parse_args()

    h_lon, h_lat, sizes, s_lon, s_lat, capacity = scenario(
        args.households, args.shelters, args.slack, args.seed
    )
    matrix_s = 0.0
    if args.road_side:
        from tansiq.roads.engine import Router
        from tansiq.roads.synthetic import grid_network

        # The grid starts at (47.90, 29.30); fit the scenario into its extent.
        net = grid_network(args.road_side, 100.0, seed=args.seed)
        router = Router(net)
        span_lon = float(net.node_lon.max() - net.node_lon.min())
        span_lat = float(net.node_lat.max() - net.node_lat.min())

        def fit(lon, lat):
            return (
                net.node_lon.min() + (lon - 47.65) / 0.5 * span_lon,
                net.node_lat.min() + (lat - 29.0) / 0.5 * span_lat,
            )

        h_lon, h_lat = fit(np.clip(h_lon, 47.65, 48.15), np.clip(h_lat, 29.0, 29.5))
        s_lon, s_lat = fit(s_lon, s_lat)
        t0 = time.perf_counter()
        cost, on_road = travel_seconds(router, h_lon, h_lat, s_lon, s_lat, 40.0)
        matrix_s = time.perf_counter() - t0
        unit, scale = "person-hours (road)", 3600.0
        road_share = float(on_road.mean())
    else:
        t0 = time.perf_counter()
        cost = haversine_matrix(h_lon, h_lat, s_lon, s_lat)
        matrix_s = time.perf_counter() - t0
        unit, scale = "person-km (straight line)", 1000.0
        road_share = 0.0

    results: dict[str, dict[str, object]] = {}
    planners = (
        ("greedy", greedy, args.repeats),
        ("optimal", optimal, args.repeats),
        ("optimal_lp", lambda c, s, r: optimal(c, s, r, method="lp"), args.lp_repeats),
    )
    for name, planner, repeats in planners:
        if repeats == 0:
            continue
        runs: list[float] = []
        plan = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            plan = planner(cost, sizes, capacity)
            runs.append(time.perf_counter() - t0)
        assert plan is not None
        results[name] = figures(plan, sizes, capacity, runs, scale)
        print(f"{name:8s} {results[name]}")

    g, o = results["greedy"]["total"], results["optimal"]["total"]
    summary = {
        "benchmark": "shelter_assignment",
        "households": args.households,
        "persons": int(sizes.sum()),
        "shelters": args.shelters,
        "places": int(capacity.sum()),
        "unit": unit,
        "road_side": args.road_side,
        "road_share": round(road_share, 4),
        "cost_matrix_s": round(matrix_s, 3),
        **results,
        "saving_vs_greedy": round(1 - float(o) / float(g), 4),  # type: ignore[arg-type]
        "code": code_under_test(),
        "revision": git_revision(),
        "cores": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
