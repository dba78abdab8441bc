"""From drivable OSM ways to a :class:`RoadNetwork`: split at intersections, orient, keep the
largest strongly connected part.

Everything here is vectorised numpy/scipy over the concatenated node lists of all ways, so a
country's network builds in seconds after the file has been read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tansiq.roads.network import RoadNetwork

__all__ = ["RawWays", "build_network", "haversine_m"]

EARTH_RADIUS_M = 6_371_008.8


@dataclass
class RawWays:
    """Runs of consecutive located nodes of drivable ways (a way is cut where a node's location
    is missing, as at the edge of a clipped extract), with the way's attributes per run."""

    node_id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    run_ptr: NDArray[np.int64]  # run r is node_id[run_ptr[r] : run_ptr[r + 1]]
    forward: NDArray[np.bool_]
    backward: NDArray[np.bool_]
    speed_forward: NDArray[np.float64]
    speed_backward: NDArray[np.float64]
    signals: NDArray[np.int64]  # ids of nodes tagged highway=traffic_signals
    restrictions: int = 0


def haversine_m(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def _ranges(starts: NDArray[np.int64], counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenated aranges [s, s + c) for each pair, without a Python loop."""
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))


def build_network(raw: RawWays, source: str = "") -> RoadNetwork | None:
    """The network, or None when no drivable road survives (nothing to route on)."""
    size = raw.node_id.size
    runs = raw.run_ptr.size - 1
    if runs == 0:
        return None
    run_of = np.repeat(np.arange(runs), np.diff(raw.run_ptr))
    ends = np.zeros(size, dtype=bool)
    ends[raw.run_ptr[:-1]] = True
    ends[raw.run_ptr[1:] - 1] = True
    osm_ids, node_of, uses = np.unique(raw.node_id, return_inverse=True, return_counts=True)
    # A graph node is where a way ends or two ways (or one way twice) share a node.
    cut = np.flatnonzero(ends | (uses[node_of] >= 2))
    a, b = cut[:-1], cut[1:]
    same_run = run_of[a] == run_of[b]
    a, b = a[same_run], b[same_run]

    seg = haversine_m(raw.lon[:-1], raw.lat[:-1], raw.lon[1:], raw.lat[1:])
    seg[run_of[:-1] != run_of[1:]] = 0.0
    along = np.concatenate([[0.0], np.cumsum(seg)])
    length = along[b] - along[a]
    tail, head = node_of[a], node_of[b]
    useful = (length > 0) | (tail != head)
    a, b, length, tail, head = a[useful], b[useful], length[useful], tail[useful], head[useful]
    run = run_of[a]
    links = np.arange(a.size)

    fw, bw = raw.forward[run], raw.backward[run]
    e_tail = np.concatenate([tail[fw], head[bw]])
    e_head = np.concatenate([head[fw], tail[bw]])
    e_link = np.concatenate([links[fw], links[bw]])
    e_rev = np.concatenate([np.zeros(int(fw.sum()), bool), np.ones(int(bw.sum()), bool)])
    e_speed = np.concatenate([raw.speed_forward[run[fw]], raw.speed_backward[run[bw]]])
    if e_tail.size == 0:
        return None

    n_all = osm_ids.size
    graph = coo_matrix((np.ones(e_tail.size), (e_tail, e_head)), shape=(n_all, n_all)).tocsr()
    _, label = connected_components(graph, directed=True, connection="strong")
    is_graph_node = np.zeros(n_all, dtype=bool)
    is_graph_node[e_tail] = True
    is_graph_node[e_head] = True
    biggest = np.bincount(label[is_graph_node]).argmax()
    keep_node = is_graph_node & (label == biggest)
    keep_edge = keep_node[e_tail] & keep_node[e_head]

    new_node = np.full(n_all, -1, dtype=np.int64)
    new_node[keep_node] = np.arange(int(keep_node.sum()))
    kept_links = np.unique(e_link[keep_edge])
    new_link = np.full(a.size, -1, dtype=np.int64)
    new_link[kept_links] = np.arange(kept_links.size)
    e_tail, e_head = new_node[e_tail[keep_edge]], new_node[e_head[keep_edge]]
    e_link, e_rev, e_speed = new_link[e_link[keep_edge]], e_rev[keep_edge], e_speed[keep_edge]

    counts = b[kept_links] - a[kept_links] + 1
    coord_index = _ranges(a[kept_links], counts)
    link_start = np.cumsum(counts) - counts
    node_rows = np.flatnonzero(keep_node)
    first_pos = np.zeros(n_all, dtype=np.int64)
    first_pos[node_of[::-1]] = np.arange(size)[::-1]  # any position of each node id

    # Twins: the two edges of a two-way link.
    twin = np.full(e_link.size, -1, dtype=np.int32)
    order = np.lexsort((e_rev, e_link))
    pair = np.flatnonzero(e_link[order][:-1] == e_link[order][1:])
    twin[order[pair]] = order[pair + 1]
    twin[order[pair + 1]] = order[pair]

    n = node_rows.size
    ends_u = np.minimum(e_tail, e_head)
    ends_v = np.maximum(e_tail, e_head)
    distinct = np.unique(np.stack([ends_u, ends_v])[:, ends_u != ends_v], axis=1)
    degree = np.bincount(distinct.ravel(), minlength=n)

    meta = {
        "source": source,
        "nodes": int(n),
        "edges": int(e_tail.size),
        "links": int(kept_links.size),
        "road_km": round(float(length[kept_links].sum()) / 1000, 1),
        "dropped_nodes": int(is_graph_node.sum() - n),
        "dropped_edges": int(keep_edge.size - keep_edge.sum()),
        "turn_restrictions_ignored": int(raw.restrictions),
        "signals": int(np.isin(osm_ids[node_rows], raw.signals).sum()),
    }
    return RoadNetwork(
        node_lon=raw.lon[first_pos[node_rows]],
        node_lat=raw.lat[first_pos[node_rows]],
        node_junction=degree >= 3,
        node_signals=np.isin(osm_ids[node_rows], raw.signals),
        edge_tail=e_tail.astype(np.int32),
        edge_head=e_head.astype(np.int32),
        edge_link=e_link.astype(np.int32),
        edge_reversed=e_rev,
        edge_twin=twin,
        edge_speed_kmh=e_speed.astype(np.float64),
        link_length_m=length[kept_links],
        link_start=link_start.astype(np.int64),
        link_end=(link_start + counts - 1).astype(np.int64),
        coord_lon=raw.lon[coord_index],
        coord_lat=raw.lat[coord_index],
        meta=meta,
    )
