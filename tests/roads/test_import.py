"""Importing OSM extracts: the real Helsinki extract, one-way streets, the largest strongly
connected part, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tansiq.roads.build import RawWays, build_network
from tansiq.roads.errors import RoadsError
from tansiq.roads.network import RoadNetwork
from tansiq.roads.osm import import_pbf


def _strong_parts(net: RoadNetwork) -> int:
    n = net.node_count
    graph = coo_matrix((np.ones(net.edge_count), (net.edge_tail, net.edge_head)), shape=(n, n))
    return int(connected_components(graph, directed=True, connection="strong")[0])


def test_helsinki_extract_builds_one_strongly_connected_drivable_network(helsinki):
    meta = helsinki.meta
    assert helsinki.node_count == meta["nodes"] > 500
    assert helsinki.edge_count == meta["edges"] > helsinki.node_count
    assert _strong_parts(helsinki) == 1
    assert meta["dropped_nodes"] > 0 and meta["dropped_edges"] > 0  # clipped at the extract edge
    assert meta["turn_restrictions_ignored"] == 45
    assert 40 < meta["signals"] < 60
    lon0, lat0, lon1, lat1 = helsinki.bbox()
    assert 24.8 < lon0 < lon1 < 25.1 and 60.1 < lat0 < lat1 < 60.3
    # Links of both directions share a geometry and pair up as twins.
    twin = helsinki.edge_twin[helsinki.edge_twin >= 0]
    assert np.all(helsinki.edge_twin[twin] >= 0)
    assert np.all(helsinki.edge_link[twin] == helsinki.edge_link[helsinki.edge_twin[twin]])


def test_stored_form_round_trips(helsinki):
    again = RoadNetwork.from_bytes(helsinki.to_bytes())
    np.testing.assert_array_equal(again.edge_tail, helsinki.edge_tail)
    np.testing.assert_array_equal(again.coord_lat, helsinki.coord_lat)
    assert again.meta == helsinki.meta


def test_corrupt_stored_form_is_refused():
    with pytest.raises(RoadsError) as caught:
        RoadNetwork.from_bytes(b"not an archive")
    assert caught.value.code == "roads_network_unreadable"


def _raw(ways: list[tuple[list[int], bool, bool]]) -> RawWays:
    """Ways over nodes on a 100 m lattice: node id k sits at (k % 10, k // 10)."""
    ids = np.concatenate([np.array(w[0]) for w in ways])
    ptr = np.concatenate([[0], np.cumsum([len(w[0]) for w in ways])])
    return RawWays(
        node_id=ids.astype(np.int64),
        lon=47.9 + (ids % 10) * 0.001,
        lat=29.3 + (ids // 10) * 0.0009,
        run_ptr=ptr.astype(np.int64),
        forward=np.array([w[1] for w in ways]),
        backward=np.array([w[2] for w in ways]),
        speed_forward=np.full(len(ways), 50.0),
        speed_backward=np.full(len(ways), 50.0),
        signals=np.array([], dtype=np.int64),
    )


def test_one_way_streets_get_one_edge_in_their_direction():
    # A one-way ring 0 -> 1 -> 11 -> 10 -> 0 and a two-way street 1 - 2 - 12 - 11.
    net = build_network(_raw([([0, 1, 11, 10, 0], True, False), ([1, 2, 12, 11], True, True)]))
    assert net is not None
    edges = sorted((int(t), int(h)) for t, h in zip(net.edge_tail, net.edge_head, strict=True))
    # Nodes 0, 1, 11 become 0, 1, 2. Ring: 0->1, 1->2, 2->0 only; the street 1-2 both ways.
    assert edges == [(0, 1), (1, 2), (1, 2), (2, 0), (2, 1)]


def test_parts_that_cannot_be_left_or_reached_are_dropped_and_reported():
    ring = ([0, 1, 11, 10, 0], True, True)
    dead_end_one_way = ([11, 12, 13], True, False)  # drive in, never out
    island = ([50, 51], True, True)
    net = build_network(_raw([ring, dead_end_one_way, island]))
    assert net is not None
    assert net.node_count == 2  # 0 (the ring closes there) and 11 (the spur leaves there)
    assert net.meta["dropped_nodes"] == 3  # 13, 50, 51
    assert net.meta["dropped_edges"] == 3
    assert _strong_parts(net) == 1


def test_truncated_pbf_is_refused_with_a_clear_error(helsinki_pbf, tmp_path):
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(helsinki_pbf.read_bytes()[: helsinki_pbf.stat().st_size // 2])
    with pytest.raises(RoadsError) as caught:
        import_pbf(cut)
    assert caught.value.code == "roads_pbf_invalid"
    assert "cut.osm.pbf" in caught.value.detail("en")
    assert "ليس ملف" in caught.value.detail("ar")


def test_a_file_that_is_not_pbf_is_refused(tmp_path):
    bogus = tmp_path / "notes.osm.pbf"
    bogus.write_text("<html>not a map</html>\n" * 20)
    with pytest.raises(RoadsError) as caught:
        import_pbf(bogus)
    assert caught.value.code == "roads_pbf_invalid"


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(RoadsError) as caught:
        import_pbf(tmp_path / "absent.osm.pbf")
    assert caught.value.code == "roads_file_unreadable"


def _write_pbf(path: Path, highway: str) -> None:
    with osmium.SimpleWriter(str(path)) as writer:
        for i in range(3):
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(47.9 + i * 0.001, 29.3)))
        writer.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3], tags={"highway": highway}))


def test_an_extract_without_drivable_roads_is_refused(tmp_path):
    paths = tmp_path / "paths.osm.pbf"
    _write_pbf(paths, "footway")
    with pytest.raises(RoadsError) as caught:
        import_pbf(paths)
    assert caught.value.code == "roads_no_drivable_roads"


def test_a_tiny_extract_with_one_street_imports(tmp_path):
    street = tmp_path / "street.osm.pbf"
    _write_pbf(street, "residential")
    net = import_pbf(street)
    assert (net.node_count, net.edge_count) == (2, 2)
    assert net.link_length_m[0] == pytest.approx(2 * 96.9, rel=0.01)
