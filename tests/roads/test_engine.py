"""Travel times equal a plain Dijkstra, partial edges count, one-way streets are respected."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tansiq.roads.build import haversine_m
from tansiq.roads.engine import Router
from tansiq.roads.routes import StraightLine
from tansiq.roads.snap import Position, Positions
from tests.roads.conftest import random_positions, reference_times

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_ranking(router: Router, seed: int, n_units: int) -> None:
    rng = np.random.default_rng(seed)
    net = router.network
    incident = random_positions(net, rng, 1).position(0)
    units = random_positions(net, rng, n_units)
    expected = reference_times(router, incident, units)
    np.testing.assert_allclose(router.travel_times(incident, units), expected, rtol=1e-6)
    routes = router.rank(incident, units, 5)
    order = np.argsort(expected, kind="stable")[:5]
    np.testing.assert_allclose([r.time_s for r in routes], expected[order], rtol=1e-6)
    for route, want in zip(routes, order, strict=True):
        # Same unit, or a different one tied with it within a second.
        assert route.unit == want or abs(expected[route.unit] - expected[want]) <= 1.0
        np.testing.assert_allclose(route.time_s, expected[route.unit], rtol=1e-6)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_units=st.integers(1, 60))
def test_ranking_on_a_grid_with_one_way_streets_equals_plain_dijkstra(grid_router, seed, n_units):
    _check_ranking(grid_router, seed, n_units)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_units=st.integers(1, 200))
def test_ranking_on_helsinki_equals_plain_dijkstra(helsinki_router, seed, n_units):
    _check_ranking(helsinki_router, seed, n_units)


def _two_way_edge(router: Router) -> int:
    net = router.network
    long_enough = (net.edge_twin >= 0) & (net.edge_length_m > 50)
    return int(np.flatnonzero(long_enough)[0])


def _at(router: Router, edge: int, fraction: float) -> Position:
    lon, lat = router.network.edge_coords(edge)
    return Position(edge, fraction, 0.0, float(lon[0]), float(lat[0]))


def test_a_unit_behind_the_incident_on_its_road_drives_only_the_gap(helsinki_router):
    edge = _two_way_edge(helsinki_router)
    incident = _at(helsinki_router, edge, 0.75)
    unit = Positions.of([_at(helsinki_router, edge, 0.25)])
    [route] = helsinki_router.rank(incident, unit, 1)
    assert route.time_s == pytest.approx(0.5 * helsinki_router.costs.drive_s[edge])
    length = helsinki_router.network.edge_length_m[edge]
    assert route.distance_m == pytest.approx(0.5 * length)


def test_partial_edges_at_both_ends_are_counted(helsinki_router):
    net, costs = helsinki_router.network, helsinki_router.costs
    one_way = np.flatnonzero((net.edge_twin < 0) & (net.edge_tail != net.edge_head))
    # A one-way edge followed by another edge leaving its head.
    for first in one_way:
        after = np.flatnonzero(
            (net.edge_tail == net.edge_head[first]) & (net.edge_head != net.edge_tail[first])
        )
        if after.size:
            second = int(after[0])
            break
    first = int(first)
    unit = _at(helsinki_router, first, 0.4)
    incident = _at(helsinki_router, second, 0.3)
    times = helsinki_router.travel_times(incident, Positions.of([unit]))
    bound = 0.6 * costs.drive_s[first] + costs.delay_s[first] + 0.3 * costs.drive_s[second]
    assert times[0] <= bound + 1e-9
    whole = costs.weight_s[first] + costs.weight_s[second]
    assert times[0] < whole


def test_one_way_street_is_not_driven_backwards(helsinki_router):
    net = helsinki_router.network
    edge = int(np.flatnonzero((net.edge_twin < 0) & (net.edge_length_m > 80))[0])
    incident = _at(helsinki_router, edge, 0.2)
    ahead = Positions.of([_at(helsinki_router, edge, 0.8)])  # must go round the block
    t = helsinki_router.travel_times(incident, ahead)[0]
    assert t > 0.6 * helsinki_router.costs.drive_s[edge] + 1.0


def test_route_runs_from_the_unit_to_the_incident_and_its_length_matches(helsinki_router):
    rng = np.random.default_rng(5)
    incident = random_positions(helsinki_router.network, rng, 1).position(0)
    units = random_positions(helsinki_router.network, rng, 50)
    for route in helsinki_router.rank(incident, units, 5):
        g = route.geometry
        seg = haversine_m(g[:-1, 0], g[:-1, 1], g[1:, 0], g[1:, 1]).sum()
        assert seg == pytest.approx(route.distance_m, rel=0.01, abs=1.0)
        end = helsinki_router.shapes.routes(
            np.array([incident.edge]),
            np.array([0.0]),
            np.array([incident.fraction]),
            np.array([0]),
            1,
        )[1][0][-1]
        np.testing.assert_allclose(g[-1], end, atol=1e-9)


def test_rank_points_snaps_and_reports_units_it_cannot_place(helsinki_router):
    net = helsinki_router.network
    lon, lat = float(net.node_lon[0]), float(net.node_lat[0])
    ranking = helsinki_router.rank_points(
        (lon, lat), [float(net.node_lon[5]), 0.0, float("nan")], [float(net.node_lat[5]), 0.0, 1.0]
    )
    assert ranking.method == "road"
    assert [r.unit for r in ranking.routes] == [0]
    assert ranking.rejected[1].code == "roads_point_outside_network"
    assert ranking.rejected[2].code == "roads_invalid_point"


def test_straight_line_fallback_is_flagged_and_uses_the_configured_speed():
    ranking = StraightLine(speed_kmh=36).rank_points((47.98, 29.37), [47.98, 48.0], [29.38, 29.37])
    assert ranking.method == "straight_line"
    first = ranking.routes[0]
    assert first.unit == 0
    assert first.time_s == pytest.approx(first.distance_m / 10.0)
    assert first.distance_m == pytest.approx(1112, rel=0.01)


def test_cost_model_delays_make_routes_slower_than_plain_length_over_speed(helsinki):
    from tansiq.roads.costs import CostModel

    plain = Router(helsinki, CostModel(speed_factor=1.0, junction_s=0.0, signals_s=0.0))
    default = Router(helsinki)
    rng = np.random.default_rng(1)
    incident = random_positions(helsinki, rng, 1).position(0)
    units = random_positions(helsinki, rng, 100)
    ratio = default.travel_times(incident, units) / plain.travel_times(incident, units)
    assert 1.2 < float(np.median(ratio)) < 2.0
