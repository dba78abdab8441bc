"""Households to shelters: the nearest one with room, and many at once with least total travel.

Costs are per evacuee (a household of five travelling 2 km costs 10 person-km), so the plans
minimise the travel of people, not of cars. Two planners share one result type:

* :func:`greedy`: each household in turn (the order given: registration order) goes to the
  cheapest shelter that still has room for all of it. What a desk does by hand; the baseline.
* :func:`optimal`: the capacity-constrained plan of least total cost. Keeping a household
  together makes the exact problem a generalised assignment problem (NP-hard), so we solve its
  linear relaxation exactly and round: relaxed, it is a transportation problem (persons flow
  from households to shelters), solved by HiGHS through :func:`scipy.optimize.linprog`. An
  optimal basic solution of a transportation problem with H households and S shelters splits at
  most S - 1 households (its support is a forest), so nearly every household comes out whole;
  the few split ones are placed whole afterwards. The relaxation's optimum is a lower bound on
  any plan that keeps households together, so the rounding's cost over it (`gap`) is an upper
  bound on how far the plan is from the best possible one.

The relaxation is solved by column generation: each household starts with its few cheapest
shelters, the duals price every other (household, shelter) pair in one vectorised pass, pairs
that would lower the cost are added, and the LP is re-solved until none would. The answer is
the optimum over all pairs, with a fraction of the variables.

networkx's min-cost flow would solve the same relaxation, but in pure Python over 500,000 arcs
it takes minutes; HiGHS is compiled and already installed with scipy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeResult, linprog
from scipy.sparse import coo_matrix, csr_matrix

from tansiq.roads.build import haversine_m
from tansiq.roads.engine import Router
from tansiq.roads.errors import RoadsError

__all__ = ["Nearest", "Plan", "greedy", "haversine_matrix", "nearest", "optimal", "travel_seconds"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
_START_COLUMNS = 4  # cheapest shelters each household starts with in the column generation
_ADD_COLUMNS = 3  # most attractive new shelters added per household per round
_EPS = 1e-7


@dataclass(frozen=True)
class Plan:
    """One shelter per household (index into the shelters given, -1 when none had room)."""

    shelter: I64
    cost: float  # sum over placed households of size x cost
    placed_persons: int
    unplaced_persons: int
    method: Literal["greedy", "optimal"]
    lower_bound: float | None = None  # relaxation optimum, overflow included (optimal only)
    penalty: float = 0.0  # cost per person left without a shelter in `lower_bound`
    split: int = 0  # households the relaxation split before rounding (optimal only)
    rounds: int = 0  # column-generation rounds (optimal only)

    @property
    def gap(self) -> float | None:
        """How far above the best possible plan this one can be, as a fraction (optimal only)."""
        if self.lower_bound is None:
            return None
        objective = self.cost + self.penalty * self.unplaced_persons
        if self.lower_bound <= 0:
            return 0.0
        return max(0.0, objective / self.lower_bound - 1.0)


def haversine_matrix(h_lon: ArrayLike, h_lat: ArrayLike, s_lon: ArrayLike, s_lat: ArrayLike) -> F64:
    """Great-circle metres from every household (rows) to every shelter (columns)."""
    hl, ha = np.asarray(h_lon, float)[:, None], np.asarray(h_lat, float)[:, None]
    sl, sa = np.asarray(s_lon, float)[None, :], np.asarray(s_lat, float)[None, :]
    hl, ha, sl, sa = np.broadcast_arrays(hl, ha, sl, sa)
    return haversine_m(hl, ha, sl, sa)


def _check(cost: F64, sizes: I64, room: I64) -> None:
    if cost.ndim != 2 or cost.shape != (sizes.size, room.size):
        raise ValueError("cost must be households x shelters")
    if (sizes < 1).any():
        raise ValueError("every household has at least one person")
    if (room < 0).any():
        raise ValueError("room cannot be negative")
    if not np.isfinite(cost).all() or (cost < 0).any():
        raise ValueError("costs must be finite and non-negative")


def _plan(
    choice: I64, cost: F64, sizes: I64, method: Literal["greedy", "optimal"], **extra: object
) -> Plan:
    placed = choice >= 0
    rows = np.flatnonzero(placed)
    total = float((sizes[rows] * cost[rows, choice[rows]]).sum())
    return Plan(
        shelter=choice,
        cost=total,
        placed_persons=int(sizes[placed].sum()),
        unplaced_persons=int(sizes[~placed].sum()),
        method=method,
        **extra,  # type: ignore[arg-type]
    )


def greedy(cost: ArrayLike, sizes: ArrayLike, room: ArrayLike) -> Plan:
    """Each household in the order given to the cheapest shelter with room for all of it."""
    c = np.asarray(cost, float)
    s = np.asarray(sizes, np.int64)
    left = np.array(room, np.int64, copy=True)
    _check(c, s, left)
    choice = np.full(s.size, -1, np.int64)
    masked = np.empty(left.size)
    for h in range(s.size):
        np.copyto(masked, c[h])
        masked[left < s[h]] = np.inf
        j = int(np.argmin(masked))
        if np.isfinite(masked[j]):
            choice[h] = j
            left[j] -= s[h]
    return _plan(choice, c, s, "greedy")


def _fill(order: I64, choice: I64, cost: F64, sizes: I64, left: I64) -> None:
    """Place each household of `order` in its cheapest shelter with room (in place)."""
    for h in order:
        fits = left >= sizes[h]
        if fits.any():
            j = int(np.argmin(np.where(fits, cost[h], np.inf)))
            choice[h] = j
            left[j] -= sizes[h]


def optimal(
    cost: ArrayLike,
    sizes: ArrayLike,
    room: ArrayLike,
    *,
    method: Literal["lagrangian", "lp"] = "lagrangian",
) -> Plan:
    """The least-total-cost plan keeping households together, up to the `gap` it reports.

    `method="lagrangian"` (seconds for 10,000 households): shelter prices from the Lagrangian
    dual give the bound, and households are placed by those prices (see `_lagrangian`).
    `method="lp"`: the relaxation is solved exactly by HiGHS and rounded; a tighter bound and
    a slightly better plan, at tens of seconds for 10,000 households.
    """
    c = np.asarray(cost, float)
    s = np.asarray(sizes, np.int64)
    r = np.asarray(room, np.int64)
    _check(c, s, r)
    n_h, n_s = c.shape
    if n_h == 0 or n_s == 0:
        return _plan(np.full(n_h, -1, np.int64), c, s, "optimal", lower_bound=0.0)
    if method == "lagrangian":
        return _lagrangian(c, s, r)
    flow, bound, penalty, rounds = _relaxation(c, s, r)
    # Whole households keep their shelter; split ones are re-placed, largest first.
    whole = flow >= s[:, None] - 0.5
    choice = np.where(whole.any(axis=1), np.argmax(whole, axis=1), -1).astype(np.int64)
    used = np.bincount(choice[choice >= 0], weights=s[choice >= 0], minlength=n_s)
    left = r - np.rint(used).astype(np.int64)
    split_rows = np.flatnonzero((flow > 0.5).sum(axis=1) > 1)
    rest = np.flatnonzero(choice < 0)
    _fill(rest[np.argsort(-s[rest], kind="stable")], choice, c, s, left)
    _improve(choice, c, s, left)
    return _plan(
        choice,
        c,
        s,
        "optimal",
        lower_bound=bound,
        penalty=penalty,
        split=len(split_rows),
        rounds=rounds,
    )


def _lagrangian(c: F64, s: I64, r: I64, iterations: int = 800) -> Plan:
    """Lagrangian relaxation of the capacities (Fisher 1981, for the generalised assignment
    problem), maximised by subgradient steps of Polyak's size towards the greedy plan's cost.

    For prices v <= 0 on the shelters' places, L(v) = sum_h s_h min(min_j (c_hj - v_j), P) +
    sum_j r_j v_j is a lower bound on every plan (P: the cost of leaving a person without a
    place, above any real cost), so the best L found is the plan's certified bound. Households
    are then placed by the prices, those with the most to lose first (largest gap between
    their best and second-best priced shelter), each in its best priced shelter with room;
    finally each moves to a truly cheaper shelter if one has room.
    """
    n_h, n_s = c.shape
    sf = s.astype(float)
    rows = np.arange(n_h)
    penalty = float(c.max()) + 1.0
    base = greedy(c, s, r)
    target = base.cost + penalty * base.unplaced_persons
    v = np.zeros(n_s)
    best, best_v, scale, stall = -np.inf, v, 2.0, 0
    for _ in range(iterations):
        reduced = c - v[None, :]
        j = np.argmin(reduced, axis=1)
        least = reduced[rows, j]
        inside = least < penalty  # the others are cheaper left waiting at these prices
        value = float(sf @ np.minimum(least, penalty) + r @ v)
        if value > best + 1e-12 * abs(value):
            best, best_v, stall = value, v, 0
        else:
            stall += 1
            if stall >= 10:
                scale, stall = scale / 2, 0
        g = r - np.bincount(j[inside], weights=sf[inside], minlength=n_s)
        norm = float(g @ g)
        if norm == 0 or target - best <= 1e-9 * max(1.0, abs(target)):
            break
        v = np.minimum(0.0, v + scale * (target - value) / norm * g)
    reduced = c - best_v[None, :]
    two = np.partition(reduced, 1, axis=1) if n_s > 1 else np.hstack([reduced, reduced])
    order = np.argsort(-(two[:, 1] - two[:, 0]), kind="stable")
    choice = np.full(n_h, -1, np.int64)
    left = r.copy()
    for h in order:
        fits = left >= s[h]
        if fits.any():
            k = int(np.argmin(np.where(fits, reduced[h], np.inf)))
            choice[h] = k
            left[k] -= s[h]
    _improve(choice, c, s, left)
    return _plan(choice, c, s, "optimal", lower_bound=best, penalty=penalty)


def _improve(choice: I64, c: F64, s: I64, left: I64, sweeps: int = 3) -> None:
    """Move households (in place) to a cheaper shelter that has room for them, or place
    waiting ones where room appeared, until a sweep changes nothing."""
    for _ in range(sweeps):
        moved = False
        for h in range(s.size):
            j = int(choice[h])
            fits = np.where(left >= s[h], c[h], np.inf)
            k = int(np.argmin(fits))
            if np.isfinite(fits[k]) and (j < 0 or fits[k] < c[h, j]):
                if j >= 0:
                    left[j] += s[h]
                left[k] -= s[h]
                choice[h] = k
                moved = True
        if not moved:
            return


def _relaxation(c: F64, s: I64, r: I64) -> tuple[F64, float, float, int]:
    """Persons of each household sent to each shelter (dense H x S), the relaxed optimum, the
    overflow's cost per person and the number of LP rounds."""
    n_h, n_s = c.shape
    # Persons no shelter can take go to an overflow column costing more than any real shelter:
    # an optimum then never leaves room empty while someone waits.
    penalty = float(c.max()) + 1.0
    k = min(n_s, _START_COLUMNS)
    # Start from the shelters that are cheapest once crowded ones are priced up (estimated
    # prices, see _prices): the first LP then already holds nearly every column it needs.
    priced = c - _prices(c, s, r)[None, :]
    start = (
        np.argpartition(priced, k - 1, axis=1)[:, :k]
        if k < n_s
        else np.tile(np.arange(n_s), (n_h, 1))
    )
    cols_h = np.repeat(np.arange(n_h), k)
    cols_s = start.ravel().astype(np.int64)
    rounds = 0
    while True:
        rounds += 1
        res = _solve(c, s, r, cols_h, cols_s, penalty)
        u = np.asarray(res.eqlin.marginals)  # households (equalities)
        v = np.asarray(res.ineqlin.marginals)  # shelters (<= room), non-positive
        reduced = c - u[:, None] - v[None, :]
        reduced[cols_h, cols_s] = np.inf  # already in
        best = np.argpartition(reduced, min(_ADD_COLUMNS, n_s) - 1, axis=1)[:, :_ADD_COLUMNS]
        rows = np.repeat(np.arange(n_h), best.shape[1])
        pick = best.ravel()
        good = reduced[rows, pick] < -_EPS * max(1.0, penalty)
        if not good.any():
            break
        cols_h = np.concatenate([cols_h, rows[good]])
        cols_s = np.concatenate([cols_s, pick[good].astype(np.int64)])
    x = np.asarray(res.x)
    flow = np.zeros((n_h, n_s))
    np.add.at(flow, (cols_h, cols_s), x[: cols_h.size])
    return flow, float(res.fun), penalty, rounds


def _prices(c: F64, s: I64, r: I64, iterations: int = 300) -> F64:
    """Estimated shelter prices (the relaxation's duals, <= 0: how much a place in a crowded
    shelter is worth) by projected supergradient ascent on the Lagrangian dual
    L(v) = sum_h s_h min_j (c_hj - v_j) + sum_j r_j v_j. Only a starting point: the LP rounds
    that follow make the answer exact whatever these are."""
    n_h, n_s = c.shape
    sf = s.astype(float)
    v = np.zeros(n_s)
    best, best_v = -np.inf, v
    step0 = 0.5 * float(np.median(c)) if c.size else 0.0
    rows = np.arange(n_h)
    for it in range(1, iterations + 1):
        reduced = c - v[None, :]
        j = np.argmin(reduced, axis=1)
        value = float(sf @ reduced[rows, j] + r @ v)
        if value > best:
            best, best_v = value, v
        g = r - np.bincount(j, weights=sf, minlength=n_s)
        norm = float(np.linalg.norm(g))
        if norm == 0 or step0 == 0:
            break
        v = np.minimum(0.0, v + (step0 / np.sqrt(it)) * g / norm)
    return best_v


def _solve(c: F64, s: I64, r: I64, cols_h: I64, cols_s: I64, penalty: float) -> OptimizeResult:
    n_h, n_s = c.shape
    n = cols_h.size
    ones = np.ones(n)
    # Variables: one per (household, shelter) column, then one overflow per household.
    a_eq = csr_matrix(
        coo_matrix(
            (
                np.concatenate([ones, np.ones(n_h)]),
                (np.concatenate([cols_h, np.arange(n_h)]), np.arange(n + n_h)),
            ),
            shape=(n_h, n + n_h),
        )
    )
    a_ub = csr_matrix(coo_matrix((ones, (cols_s, np.arange(n))), shape=(n_s, n + n_h)))
    objective = np.concatenate([c[cols_h, cols_s], np.full(n_h, penalty)])
    # The stubs accept dense arrays only; HiGHS takes the sparse matrices as they are.
    res: OptimizeResult = linprog(
        objective,
        A_ub=cast(Any, a_ub),
        b_ub=r.astype(float),
        A_eq=cast(Any, a_eq),
        b_eq=s.astype(float),
        bounds=(0, None),
        method="highs-ipm",  # with crossover: a basic (vertex) optimum, quicker here than simplex
    )
    if res.status != 0:  # always feasible (the overflow column), so this is a solver failure
        raise RuntimeError(f"shelter assignment LP failed: {res.message}")
    return res


def travel_seconds(
    router: Router | None,
    h_lon: ArrayLike,
    h_lat: ArrayLike,
    s_lon: ArrayLike,
    s_lat: ArrayLike,
    fallback_kmh: float,
) -> tuple[F64, NDArray[np.bool_]]:
    """Seconds from every household to every shelter, and where they are road times.

    With a road network, one search per shelter over the reversed graph gives every household's
    exact drive *to* that shelter (one-way streets driven the right way). A household or shelter
    the network cannot place (too far from a road) is timed in a straight line at
    `fallback_kmh`, as is everything when no network is loaded.
    """
    speed = fallback_kmh / 3.6
    straight = haversine_matrix(h_lon, h_lat, s_lon, s_lat) / speed
    on_road = np.zeros(straight.shape, dtype=bool)
    if router is None or straight.size == 0:
        return straight, on_road
    households = router.snapper.snap_many(h_lon, h_lat)
    out = straight.copy()
    for j, (lon, lat) in enumerate(zip(np.atleast_1d(s_lon), np.atleast_1d(s_lat), strict=True)):
        try:
            where = router.snapper.snap(float(lon), float(lat))
        except RoadsError:
            continue
        times = router.travel_times(where, households)
        ok = np.isfinite(times)
        out[ok, j] = times[ok]
        on_road[ok, j] = True
    return out, on_road


@dataclass(frozen=True)
class Nearest:
    """The quickest shelter to reach from one point."""

    index: int  # into the shelters given
    seconds: float
    distance_m: float
    method: Literal["road", "straight_line"]


def nearest(
    router: Router | None,
    lon: float,
    lat: float,
    s_lon: ArrayLike,
    s_lat: ArrayLike,
    fallback_kmh: float,
) -> Nearest | None:
    """The shelter reached soonest from (lon, lat), by road when a network can place the point.

    Shelters are tried nearest first in a straight line, each with a search bounded near its
    own distance, and the trying stops once even the fastest road in the network could not
    beat the best time found: the answer is exact without timing every shelter. A shelter the
    network cannot place is timed in a straight line at `fallback_kmh`.
    """
    slon, slat = np.atleast_1d(np.asarray(s_lon, float)), np.atleast_1d(np.asarray(s_lat, float))
    if slon.size == 0:
        return None
    crow = haversine_matrix([lon], [lat], slon, slat)[0]
    speed = fallback_kmh / 3.6
    straight = int(np.argmin(crow))
    fallback = Nearest(
        straight, float(crow[straight] / speed), float(crow[straight]), "straight_line"
    )
    if router is None:
        return fallback
    origin = router.snapper.snap_many([lon], [lat])
    if origin.edge[0] < 0:  # the household is too far from any road
        return fallback
    v_max = float(router.network.edge_speed_kmh.max()) * router.model.speed_factor / 3.6
    slack = float(router.snapper.max_distance_m) + float(origin.distance_m[0])
    best: Nearest | None = None
    for j in np.argsort(crow, kind="stable"):
        j = int(j)
        if best is not None and (crow[j] - slack) / v_max >= best.seconds:
            break
        try:
            where = router.snapper.snap(float(slon[j]), float(slat[j]))
        except RoadsError:
            found = Nearest(j, float(crow[j] / speed), float(crow[j]), "straight_line")
        else:
            routes = router.rank(where, origin, 1)
            if not routes:
                continue
            found = Nearest(j, routes[0].time_s, routes[0].distance_m, "road")
        if best is None or found.seconds < best.seconds:
            best = found
    return best or fallback
