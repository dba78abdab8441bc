"""Snapping lands on the nearest drivable edge; points far away or outside are refused."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from tansiq.roads.snap import Snapper


@pytest.fixture(scope="module")
def snapper(helsinki):
    return Snapper(helsinki, max_distance_m=200)


def test_points_snap_to_the_nearest_edge_not_the_nearest_node(snapper, helsinki):
    rng = np.random.default_rng(2)
    lon0, lat0, lon1, lat1 = helsinki.bbox()
    lon = rng.uniform(lon0, lon1, 400)
    lat = rng.uniform(lat0, lat1, 400)
    batch = snapper.snap_many(lon, lat)
    x, y = snapper.projection.to_xy(lon, lat)
    placed = np.flatnonzero(batch.edge >= 0)
    assert placed.size > 300
    for i in placed:
        brute = shapely.distance(snapper.lines, shapely.Point(x[i], y[i]))
        assert batch.distance_m[i] == pytest.approx(brute.min(), abs=1e-6)
        link = helsinki.edge_link[batch.edge[i]]
        assert brute[link] == pytest.approx(brute.min(), abs=1e-6)
        # The snapped point is on that link, `distance_m` away from the given point.
        sx, sy = snapper.projection.to_xy(batch.lon[i], batch.lat[i])
        assert shapely.distance(snapper.lines[link], shapely.Point(sx, sy)) < 0.01
        assert np.hypot(sx - x[i], sy - y[i]) == pytest.approx(batch.distance_m[i], abs=0.01)


def test_fraction_is_measured_along_the_edge_in_driving_direction(snapper, helsinki):
    one_way = int(np.flatnonzero((helsinki.edge_twin < 0) & (helsinki.edge_length_m > 100))[0])
    line = snapper.lines[helsinki.edge_link[one_way]]
    flip = bool(helsinki.edge_reversed[one_way])
    for along in (0.2, 0.8):
        point = shapely.line_interpolate_point(line, along, normalized=True)
        lon, lat = snapper.projection.to_lonlat(shapely.get_x(point), shapely.get_y(point))
        where = snapper.snap(float(lon), float(lat))
        assert where.edge == one_way
        assert where.fraction == pytest.approx(1 - along if flip else along, abs=1e-6)


def test_a_point_too_far_from_any_road_is_refused(snapper, helsinki):
    lon0, lat0, _, _ = helsinki.bbox()
    # A bay south of the extract's roads, inside its box plus margin: no road within 200 m.
    batch = snapper.snap_many([lon0 - 0.003], [lat0 + 0.0005])
    error = batch.rejected[0]
    assert error.code in {"roads_point_too_far", "roads_point_outside_network"}
    assert "200" in error.detail("en") and "200" in error.detail("ar")


def test_a_point_outside_the_network_area_is_refused(snapper):
    with pytest.raises(Exception) as caught:
        snapper.snap(47.98, 29.37)  # Kuwait City, far from Helsinki
    assert caught.value.code == "roads_point_outside_network"


def test_a_batch_keeps_the_good_rows_and_reports_bad_ones_by_index(snapper, helsinki):
    lon = [float(helsinki.node_lon[3]), float("nan"), 200.0, 47.98, float(helsinki.node_lon[9])]
    lat = [float(helsinki.node_lat[3]), 60.2, 60.2, 29.37, float(helsinki.node_lat[9])]
    batch = snapper.snap_many(lon, lat)
    assert list(np.flatnonzero(batch.edge >= 0)) == [0, 4]
    assert {i: e.code for i, e in batch.rejected.items()} == {
        1: "roads_invalid_point",
        2: "roads_invalid_point",
        3: "roads_point_outside_network",
    }
    assert batch.distance_m[0] < 1e-6
