"""Planning households into shelters: greedy baseline and the least-travel plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

from tansiq.shelters.assignment import greedy, haversine_matrix, optimal


def _load(plan, sizes, n_shelters):
    placed = plan.shelter >= 0
    return np.bincount(plan.shelter[placed], weights=sizes[placed], minlength=n_shelters)


def _brute_force(cost, sizes, room):
    """The best plan placing everyone, by trying every one (small instances only)."""
    best = np.inf
    for choice in itertools.product(range(cost.shape[1]), repeat=cost.shape[0]):
        load = np.bincount(choice, weights=sizes, minlength=cost.shape[1])
        if (load <= room).all():
            best = min(best, float(sum(sizes[h] * cost[h, j] for h, j in enumerate(choice))))
    return best


def test_greedy_takes_households_in_order_to_the_nearest_shelter_with_room():
    cost = np.array([[1.0, 5.0], [1.0, 2.0], [1.0, 9.0]])
    sizes = np.array([3, 2, 1])
    plan = greedy(cost, sizes, [4, 10])
    # The second household no longer fits in shelter 0 (1 place left), the third does.
    assert plan.shelter.tolist() == [0, 1, 0]
    assert plan.cost == 3 * 1 + 2 * 2 + 1 * 1


def test_optimal_plan_beats_greedy_where_greedy_is_short_sighted():
    # Household 0 is near both shelters; household 1 only near shelter 0. Greedy gives shelter 0
    # to household 0 and sends household 1 far away.
    cost = np.array([[1.0, 2.0], [1.0, 50.0]])
    sizes = np.array([2, 2])
    room = np.array([2, 2])
    assert greedy(cost, sizes, room).cost == 2 * 1 + 2 * 50
    for method in ("lagrangian", "lp"):
        plan = optimal(cost, sizes, room, method=method)
        assert plan.shelter.tolist() == [1, 0]
        assert plan.cost == 2 * 2 + 2 * 1
        assert plan.gap == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("method", ["lagrangian", "lp"])
@pytest.mark.parametrize("seed", range(8))
def test_optimal_plan_matches_exhaustive_search_within_its_stated_gap(seed, method):
    rng = np.random.default_rng(seed)
    n_h, n_s = 6, 3
    cost = rng.uniform(0, 100, (n_h, n_s))
    sizes = rng.integers(1, 6, n_h)
    room = rng.integers(3, 12, n_s)
    room[0] += max(0, int(sizes.sum() - room.sum()))  # everyone fits somewhere
    best = _brute_force(cost, sizes, room)
    plan = optimal(cost, sizes, room, method=method)
    if np.isfinite(best) and plan.unplaced_persons == 0:
        # The relaxation is a true lower bound, and the plan is within the gap it states.
        assert plan.lower_bound <= best + 1e-6
        assert plan.cost >= best - 1e-6
        assert plan.cost <= plan.lower_bound * (1 + plan.gap) + 1e-6
    assert (_load(plan, sizes, n_s) <= room).all()


def test_column_generation_reaches_the_optimum_of_the_full_relaxation():
    rng = np.random.default_rng(7)
    n_h, n_s = 300, 12
    cost = rng.uniform(0, 1000, (n_h, n_s))
    sizes = rng.integers(1, 8, n_h)
    room = rng.integers(100, 200, n_s)
    room = np.maximum(1, (room * sizes.sum() * 1.05 / room.sum())).astype(int)
    # The same LP with every (household, shelter) pair, solved in one go.
    a_eq = np.kron(np.eye(n_h), np.ones(n_s))
    a_ub = np.tile(np.eye(n_s), n_h)
    full = linprog(cost.ravel(), A_ub=a_ub, b_ub=room, A_eq=a_eq, b_eq=sizes, method="highs")
    assert full.status == 0
    plan = optimal(cost, sizes, room, method="lp")
    assert plan.lower_bound == pytest.approx(full.fun, rel=1e-7)
    # The Lagrangian bound is a bound on the same relaxation: never above it.
    assert optimal(cost, sizes, room).lower_bound <= full.fun * (1 + 1e-9)
    assert plan.rounds >= 1 and plan.split <= n_s - 1


@pytest.mark.parametrize(
    "planner", [greedy, optimal, lambda c, s, r: optimal(c, s, r, method="lp")]
)
def test_no_shelter_is_ever_planned_over_its_room_and_households_stay_whole(planner):
    rng = np.random.default_rng(3)
    n_h, n_s = 2000, 20
    cost = haversine_matrix(
        rng.uniform(47.7, 48.2, n_h),
        rng.uniform(29.0, 29.5, n_h),
        rng.uniform(47.7, 48.2, n_s),
        rng.uniform(29.0, 29.5, n_s),
    )
    sizes = rng.integers(1, 10, n_h)
    room = rng.integers(50, 400, n_s)
    plan = planner(cost, sizes, room)
    assert (_load(plan, sizes, n_s) <= room).all()
    assert plan.shelter.shape == (n_h,)  # one shelter per household, never a split
    assert plan.placed_persons + plan.unplaced_persons == sizes.sum()


def test_when_room_runs_out_the_rest_wait_and_every_free_place_that_fits_is_used():
    cost = np.array([[1.0, 3.0], [2.0, 1.0], [1.0, 1.0]])
    sizes = np.array([4, 4, 4])
    room = np.array([5, 4])
    plans = [greedy(cost, sizes, room), optimal(cost, sizes, room)]
    for plan in [*plans, optimal(cost, sizes, room, method="lp")]:
        assert plan.placed_persons == 8 and plan.unplaced_persons == 4
        assert (_load(plan, sizes, 2) <= room).all()
    assert optimal(cost, sizes, room).cost == 4 * 1 + 4 * 1
    assert optimal(cost, sizes, room, method="lp").cost == 4 * 1 + 4 * 1


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="room"):
        greedy(np.ones((1, 1)), [1], [-1])
    with pytest.raises(ValueError, match="person"):
        optimal(np.ones((1, 1)), [0], [1])
    with pytest.raises(ValueError, match="shelters"):
        optimal(np.ones((2, 1)), [1], [1])


def test_haversine_matrix_is_households_by_shelters_in_metres():
    m = haversine_matrix([47.97, 48.0], [29.37, 29.37], [47.97], [29.37 + 0.01])
    assert m.shape == (2, 1)
    assert m[0, 0] == pytest.approx(1112, rel=0.01)  # 0.01 degree of latitude


@pytest.fixture(scope="module")
def grid_router():
    from tansiq.roads.engine import Router
    from tansiq.roads.synthetic import grid_network

    return Router(grid_network(side=30, spacing_m=100.0, seed=2))


def test_road_times_are_the_engines_drive_from_each_household_to_each_shelter(grid_router):
    from tansiq.shelters.assignment import travel_seconds

    rng = np.random.default_rng(5)
    lon0, lat0 = 47.90, 29.30
    h_lon, h_lat = lon0 + rng.uniform(0, 0.025, 6), lat0 + rng.uniform(0, 0.025, 6)
    s_lon, s_lat = lon0 + rng.uniform(0, 0.025, 3), lat0 + rng.uniform(0, 0.025, 3)
    seconds, on_road = travel_seconds(grid_router, h_lon, h_lat, s_lon, s_lat, 40.0)
    assert on_road.all()
    for j in range(3):
        for h in range(6):
            ranked = grid_router.rank_points((s_lon[j], s_lat[j]), [h_lon[h]], [h_lat[h]], 1)
            assert seconds[h, j] == pytest.approx(ranked.routes[0].time_s, rel=1e-9)


def test_without_a_network_or_off_the_roads_times_are_straight_line(grid_router):
    from tansiq.shelters.assignment import travel_seconds

    h_lon, h_lat = [47.91, 47.0], [29.31, 29.0]  # the second is 90 km from any road
    s_lon, s_lat = [47.905], [29.305]
    crow = haversine_matrix(h_lon, h_lat, s_lon, s_lat) / (40 / 3.6)
    seconds, on_road = travel_seconds(None, h_lon, h_lat, s_lon, s_lat, 40.0)
    assert not on_road.any() and np.allclose(seconds, crow)
    seconds, on_road = travel_seconds(grid_router, h_lon, h_lat, s_lon, s_lat, 40.0)
    assert on_road[:, 0].tolist() == [True, False]
    assert seconds[1, 0] == pytest.approx(crow[1, 0])
