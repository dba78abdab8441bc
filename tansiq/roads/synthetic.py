"""Generated street grids, for tests and the scale benchmark (a real extract of that size would
have to be downloaded, and nothing may be at run time)."""

from __future__ import annotations

import numpy as np

from tansiq.roads.build import RawWays, build_network
from tansiq.roads.network import RoadNetwork

__all__ = ["grid_network"]


def grid_network(
    side: int = 300,
    spacing_m: float = 100.0,
    *,
    one_way_share: float = 0.1,
    seed: int = 0,
    origin: tuple[float, float] = (47.90, 29.30),
) -> RoadNetwork:
    """A `side` x `side` grid of blocks, each block edge its own way with a random speed limit
    (30-80 km/h) and, for `one_way_share` of them, one direction only (then the largest strongly
    connected part is kept, as for a real import)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side, dtype=np.int64).reshape(side, side)
    a = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    b = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    ways = a.size
    lon0, lat0 = origin
    dlat = spacing_m / 111_195.0
    dlon = dlat / np.cos(np.radians(lat0))
    node_lon = lon0 + (np.arange(side * side) % side) * dlon
    node_lat = lat0 + (np.arange(side * side) // side) * dlat
    pairs = np.column_stack([a, b]).ravel()
    one_way = rng.random(ways) < one_way_share
    flip = rng.random(ways) < 0.5
    speed = rng.choice([30.0, 40.0, 50.0, 60.0, 80.0], ways)
    raw = RawWays(
        node_id=pairs,
        lon=node_lon[pairs],
        lat=node_lat[pairs],
        run_ptr=np.arange(0, 2 * ways + 1, 2, dtype=np.int64),
        forward=~(one_way & flip),
        backward=~(one_way & ~flip),
        speed_forward=speed,
        speed_backward=speed,
        signals=ids[::5, ::5].ravel(),
    )
    network = build_network(raw, source=f"grid {side}x{side}")
    assert network is not None
    return network
