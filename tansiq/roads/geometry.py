"""Route geometry and length for several routes at once.

A route is a list of *pieces* (edge, from-fraction, to-fraction): the unit's partial edge, whole
edges, the incident's partial edge. Distances along every link are computed once, with a
per-link offset that makes them increase across the whole coordinate array, so one
``searchsorted`` finds the cut points of all pieces of all routes: no per-edge Python.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tansiq.roads.build import haversine_m
from tansiq.roads.network import RoadNetwork

__all__ = ["Shapes"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class Shapes:
    def __init__(self, net: RoadNetwork) -> None:
        self.net = net
        lon, lat = net.coord_lon, net.coord_lat
        seg = np.concatenate([[0.0], haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])])
        seg[net.link_start] = 0.0
        cum = np.cumsum(seg)
        counts = net.link_end - net.link_start + 1
        along = cum - np.repeat(cum[net.link_start], counts)
        self.total = along[net.link_end]  # geometric length of each link
        # Strictly increasing across links: link i's distances shifted past link i-1's.
        self.base = np.concatenate([[0.0], np.cumsum(self.total + 1.0)[:-1]])
        self.key = along + np.repeat(self.base, counts)

    def routes(
        self, edge: I64, f0: F64, f1: F64, route: I64, n_routes: int
    ) -> tuple[F64, list[F64]]:
        """Metres and (n, 2) lon/lat points per route, pieces given in driving order."""
        net = self.net
        link = net.edge_link[edge]
        rev = net.edge_reversed[edge]
        total = self.total[link]
        a = np.where(rev, 1 - f1, f0) * total + self.base[link]  # in the link's own direction
        b = np.where(rev, 1 - f0, f1) * total + self.base[link]
        i0 = np.searchsorted(self.key, a, "right")  # first point strictly after a
        i1 = np.searchsorted(self.key, b, "left")  # first point at or after b
        inner = np.maximum(i1 - i0, 0)
        start, end = net.link_start[link], net.link_end[link]
        pa = self._at(a, np.clip(i0, start + 1, end))
        pb = self._at(b, np.clip(i1, start + 1, end))

        m, p = net.coord_lon.size, edge.size
        lon = np.concatenate([net.coord_lon, pa[0], pb[0]])
        lat = np.concatenate([net.coord_lat, pa[1], pb[1]])
        size = inner + 2
        offset = np.cumsum(size) - size
        out = np.empty(int(size.sum()), dtype=np.int64)
        piece = np.arange(p)
        out[offset] = np.where(rev, m + p + piece, m + piece)
        out[offset + size - 1] = np.where(rev, m + piece, m + p + piece)
        k = np.arange(int(inner.sum())) - np.repeat(np.cumsum(inner) - inner, inner)
        pos = np.repeat(offset + 1, inner) + k
        out[pos] = np.where(
            np.repeat(rev, inner), np.repeat(i1 - 1, inner) - k, np.repeat(i0, inner) + k
        )
        # Consecutive pieces share an end point: keep it once.
        first_of_route = np.ones(p, dtype=bool)
        first_of_route[1:] = route[1:] != route[:-1]
        keep = np.ones(out.size, dtype=bool)
        keep[offset[~first_of_route]] = False
        points = np.column_stack([lon[out[keep]], lat[out[keep]]])
        kept = size - (~first_of_route).astype(np.int64)
        counts = np.bincount(route, kept, minlength=n_routes).astype(np.int64)
        weights = (f1 - f0) * net.link_length_m[link]
        lengths: F64 = np.bincount(route, weights, minlength=n_routes).astype(np.float64)
        return lengths, np.split(points, np.cumsum(counts)[:-1])

    def _at(self, key: F64, i: I64) -> tuple[F64, F64]:
        """The point at along-key `key` between coordinates i-1 and i."""
        k0, k1 = self.key[i - 1], self.key[i]
        t = np.where(k1 > k0, (key - k0) / np.where(k1 > k0, k1 - k0, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        lon, lat = self.net.coord_lon, self.net.coord_lat
        return lon[i - 1] + t * (lon[i] - lon[i - 1]), lat[i - 1] + t * (lat[i] - lat[i - 1])
