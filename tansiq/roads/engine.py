"""Unit → incident travel times: one bounded Dijkstra from the incident on the reversed graph.

Dispatch asks "who gets *to* the incident first", so the search runs backwards from the incident
(one-way streets are driven the right way) and stops at a time limit that holds the k quickest
units. The limit starts from the straight-line distance of the k-th nearest unit times the
network's calibrated pace (seconds per metre "as the crow flies"), and doubles until k units are
inside it; Dijkstra's times are exact for everything within the limit, so the ranking is exact.
scipy's compiled Dijkstra does the searching; the incident's partial edge enters through an
extra "super source" row of the matrix whose two entries are rewritten per query.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from tansiq.roads.build import haversine_m
from tansiq.roads.costs import CostModel, EdgeCosts
from tansiq.roads.geometry import Shapes
from tansiq.roads.network import RoadNetwork
from tansiq.roads.routes import Ranking, Route
from tansiq.roads.snap import DEFAULT_MAX_SNAP_M, Position, Positions, Snapper

__all__ = ["Router"]

F64 = NDArray[np.float64]
_SLACK_S = 60.0  # covers the partial edges at both ends in the first guess of the limit


class Router:
    """Ranks units by exact road travel time to an incident. Safe to share between threads."""

    def __init__(
        self,
        network: RoadNetwork,
        costs: CostModel | None = None,
        *,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        snapper: Snapper | None = None,
    ) -> None:
        self.network = network
        self.model = costs or CostModel()
        self.costs = EdgeCosts.of(network, self.model)
        self.snapper = snapper or Snapper(network, max_snap_m)
        n = network.node_count
        tail, head, weight = network.edge_tail, network.edge_head, self.costs.weight_s
        # Reversed graph, one entry per (head, tail) pair: the quicker of parallel roads.
        edge = np.flatnonzero(tail != head)
        edge = edge[np.lexsort((weight[edge], tail[edge], head[edge]))]
        row, col = head[edge].astype(np.int64), tail[edge].astype(np.int64)
        first = np.ones(edge.size, dtype=bool)
        first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
        edge, row, col = edge[first], row[first], col[first]
        indptr = np.zeros(n + 2, dtype=np.int32)
        indptr[1 : n + 1] = np.cumsum(np.bincount(row, minlength=n))
        indptr[n + 1] = indptr[n] + 2  # the super source's two entries
        indices = np.concatenate([col, [0, 0]]).astype(np.int32)
        data = np.concatenate([weight[edge], [0.0, 0.0]])
        self._graph = csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
        self._entry_key = row * (n + 1) + col  # sorted: finds the edge of a (head, tail) step
        self._entry_edge = edge
        self._lock = threading.Lock()
        self.shapes = Shapes(network)
        self.pace_s_per_m = self._calibrate_pace()

    # -- searching ---------------------------------------------------------------------------

    def _calibrate_pace(self, samples: int = 8, quantile: float = 0.9) -> float:
        """A high quantile of (road time / straight-line distance) from a few full searches."""
        net = self.network
        rng = np.random.default_rng(0)
        ratios = []
        for node in rng.choice(net.node_count, min(samples, net.node_count), replace=False):
            dist = dijkstra(self._graph, indices=[int(node)])[0, : net.node_count]
            crow = haversine_m(
                np.full(net.node_count, net.node_lon[node]),
                np.full(net.node_count, net.node_lat[node]),
                net.node_lon,
                net.node_lat,
            )
            far = crow > 200
            ratios.append(dist[far] / crow[far])
        joined = np.concatenate(ratios) if ratios else np.array([])
        return float(np.quantile(joined, quantile)) if joined.size else 0.2

    def _search(self, incident: Position, limit: float) -> tuple[F64, NDArray[np.int32]]:
        e, g = incident.edge, incident.fraction
        drive, twin, tail = self.costs.drive_s, self.network.edge_twin, self.network.edge_tail
        t = int(twin[e])
        nodes = [int(tail[e]), int(tail[t]) if t >= 0 else int(tail[e])]
        offsets = [g * drive[e], (1 - g) * drive[t] if t >= 0 else g * drive[e]]
        n = self.network.node_count
        with self._lock:
            self._graph.indices[-2:] = nodes
            self._graph.data[-2:] = offsets
            dist, pred = dijkstra(self._graph, indices=[n], limit=limit, return_predecessors=True)
        return dist[0], pred[0]

    def _unit_entries(
        self, edge: NDArray[np.int64], frac: F64
    ) -> tuple[NDArray[np.int64], F64, NDArray[np.int64], F64]:
        """Each unit's two ways onto the graph: the head of its edge, or of the twin edge."""
        drive, delay = self.costs.drive_s, self.costs.delay_s
        head, twin = self.network.edge_head, self.network.edge_twin
        node1 = head[edge].astype(np.int64)
        cost1 = (1 - frac) * drive[edge] + delay[edge]
        t = twin[edge].astype(np.int64)
        ts = np.where(t >= 0, t, edge)
        node2 = head[ts].astype(np.int64)
        cost2 = np.where(t >= 0, frac * drive[ts] + delay[ts], np.inf)
        return node1, cost1, node2, cost2

    def _direct(self, incident: Position, edge: NDArray[np.int64], frac: F64) -> F64:
        """Time along the incident's own road, for units on it and behind it (else inf)."""
        e, g = incident.edge, incident.fraction
        t = int(self.network.edge_twin[e])
        drive = self.costs.drive_s
        along_e = np.where(edge == e, frac, np.where((t >= 0) & (edge == t), 1 - frac, np.nan))
        out = np.full(edge.size, np.inf)
        ahead = along_e <= g  # NaN compares False
        out[ahead] = (g - along_e[ahead]) * drive[e]
        if t >= 0:
            behind = along_e >= g
            out[behind] = np.minimum(out[behind], (along_e[behind] - g) * drive[t])
        return out

    def _times(
        self, incident: Position, units: Positions, dist: F64
    ) -> tuple[F64, NDArray[np.int64], F64]:
        placed = units.edge >= 0
        edge = np.where(placed, units.edge, 0)
        frac = np.where(placed, units.fraction, 0.0)
        node1, cost1, node2, cost2 = self._unit_entries(edge, frac)
        via1 = cost1 + dist[node1]
        via2 = cost2 + dist[node2]
        via = np.where(via1 <= via2, node1, node2)
        direct = self._direct(incident, edge, frac)
        times = np.where(placed, np.minimum(np.minimum(via1, via2), direct), np.inf)
        return times, via, direct

    # -- public ------------------------------------------------------------------------------

    def travel_times(self, incident: Position, units: Positions) -> F64:
        """Exact seconds from every unit to the incident (inf when unreachable or unplaced)."""
        dist, _ = self._search(incident, np.inf)
        return self._times(incident, units, dist)[0]

    def rank(self, incident: Position, units: Positions, k: int = 5) -> list[Route]:
        """The k quickest units, quickest first, with distance and route geometry."""
        placed = units.edge >= 0
        k = min(k, int(placed.sum()))
        if k <= 0:
            return []
        crow = haversine_m(
            np.full(len(units), incident.lon),
            np.full(len(units), incident.lat),
            units.lon,
            units.lat,
        )
        crow_k = float(np.partition(np.where(placed, crow, np.inf), k - 1)[k - 1])
        limit = self.pace_s_per_m * crow_k + _SLACK_S
        while True:
            dist, pred = self._search(incident, limit)
            times, via, direct = self._times(incident, units, dist)
            if np.count_nonzero(times <= limit) >= k or not np.isfinite(limit):
                break
            limit = limit * 2 if limit < 1e7 else np.inf
        best = [int(i) for i in np.argsort(times, kind="stable")[:k] if np.isfinite(times[i])]
        return self._routes(incident, units, best, times, via, direct, pred)

    def rank_points(
        self,
        incident: tuple[float, float],
        units_lon: ArrayLike,
        units_lat: ArrayLike,
        k: int = 5,
    ) -> Ranking:
        """Snap, then rank; units too far from a road are listed in `rejected` by index.

        Raises :class:`~tansiq.roads.errors.RoadsError` when the incident cannot be placed.
        """
        where = self.snapper.snap(*incident)
        units = self.snapper.snap_many(units_lon, units_lat)
        return Ranking(self.rank(where, units, k), "road", units.rejected)

    def _routes(
        self,
        incident: Position,
        units: Positions,
        best: list[int],
        times: F64,
        via: NDArray[np.int64],
        direct: F64,
        pred: NDArray[np.int32],
    ) -> list[Route]:
        """Walk each route's predecessor chain, then cut all pieces in one vectorised pass."""
        net = self.network
        n = net.node_count
        e, g = incident.edge, incident.fraction
        twin = int(net.edge_twin[e])
        edges: list[NDArray[np.int64]] = []
        f0: list[NDArray[np.float64]] = []
        f1: list[NDArray[np.float64]] = []
        for i in best:
            f, h = int(units.edge[i]), float(units.fraction[i])
            if direct[i] <= times[i]:  # along the incident's own road
                along = h if f == e else 1 - h
                piece = [(e, along, g)] if along <= g else [(twin, 1 - g, 1 - along)]
                path = np.array([], dtype=np.int64)
            else:
                first = node = int(via[i])
                chain = [node]
                while (node := int(pred.item(node))) != n:
                    chain.append(node)
                steps = np.asarray(chain, dtype=np.int64)
                keys = steps[1:] * (n + 1) + steps[:-1]
                path = self._entry_edge[np.searchsorted(self._entry_key, keys)]
                f_twin = int(net.edge_twin[f])
                start = (
                    (f, h, 1.0) if net.edge_head[f] == first or f_twin < 0 else (f_twin, 1 - h, 1.0)
                )
                end = (
                    (e, 0.0, g) if net.edge_tail[e] == chain[-1] or twin < 0 else (twin, 0.0, 1 - g)
                )
                piece = [start, end]
            edges.append(np.concatenate([[piece[0][0]], path, [p[0] for p in piece[1:]]]))
            f0.append(
                np.concatenate([[piece[0][1]], np.zeros(path.size), [p[1] for p in piece[1:]]])
            )
            f1.append(
                np.concatenate([[piece[0][2]], np.ones(path.size), [p[2] for p in piece[1:]]])
            )
        if not best:
            return []
        route = np.repeat(np.arange(len(best)), [x.size for x in edges])
        lengths, geometry = self.shapes.routes(
            np.concatenate(edges).astype(np.int64),
            np.concatenate(f0),
            np.concatenate(f1),
            route,
            len(best),
        )
        return [
            Route(i, float(times[i]), float(lengths[j]), geometry[j]) for j, i in enumerate(best)
        ]
