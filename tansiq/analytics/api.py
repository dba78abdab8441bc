"""Routes for crime-pattern analytics on the platform's own incidents.

Each route loads the incidents the caller may see (the visibility rule is in the query), bins
them to a grid in a projected CRS and runs one estimator of the engine.  Routes are plain `def`,
so FastAPI runs the numpy work in its thread pool, off the event loop; `responses.running()`
caps how many analyses run at once and `incidents.Limits` what one may cost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from scipy.spatial import cKDTree

from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.analytics.export import cell_table, patrol_geojson
from tansiq.analytics.gistar import GetisOrdGiStar
from tansiq.analytics.hotspots import KernelDensity
from tansiq.analytics.incidents import (
    Limits,
    Loaded,
    Scope,
    check_timezone,
    default_period,
    load,
    local_midnight,
    record_use,
)
from tansiq.analytics.knox import KnoxTest
from tansiq.analytics.methods import DEFAULT_METHOD, METHODS, make_predictor
from tansiq.analytics.patrol import PatrolPlan
from tansiq.analytics.predictor import Predictor
from tansiq.analytics.problems import engine_problems
from tansiq.analytics.responses import (
    GEOJSON,
    Format,
    cells_response,
    clean,
    geojson_response,
    running,
)
from tansiq.api.deps import StoreDep, Who
from tansiq.api.problems import PROBLEM_RESPONSES
from tansiq.errors import Problem, require_aware
from tansiq.incidents.search import parse_bbox
from tansiq.store.db import Store

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=PROBLEM_RESPONSES)
_CELLS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Cells as a GeoJSON FeatureCollection (format=geojson) or rows (json)",
        "content": {GEOJSON: {}, "application/json": {}},
    }
}
_AREAS: dict[int | str, dict[str, Any]] = {
    200: {"description": "Patrol areas as a GeoJSON FeatureCollection", "content": {GEOJSON: {}}}
}

#: Bounds of one request; tests replace it to reach the limits with a handful of incidents.
LIMITS = Limits()
DEFAULT_DAYS = 365
YEARS = (1900, 2199)  # the times an analysis accepts
MAX_PATROL_CELLS = 400  # a patrol area is grown cell by cell in Python


def analyst(who: Who) -> Principal:
    # A dependency, so a role without the permission gets 403 before its parameters are judged.
    require(who, Permission.ANALYTICS)
    return who


Analyst = Annotated[Principal, Depends(analyst)]


def _scope(
    start: Annotated[datetime | None, Query(alias="from", description="ISO time with zone")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="ISO time with zone")] = None,
    type: Annotated[list[str] | None, Query(max_length=64, description="incident types")] = None,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    include_cancelled: bool = False,
    cell_size: Annotated[float, Query(ge=50, le=5000, description="metres")] = 150.0,
    crs: Annotated[
        str | None, Query(max_length=100, description="projected CRS; UTM zone of the data")
    ] = None,
    timezone: Annotated[str, Query(max_length=64, description="zone of the local day")] = (
        "Asia/Kuwait"
    ),
) -> Scope:
    require_aware("query", **{"from": start, "to": end})
    _check_years(start, end)
    if start and end and start > end:
        raise Problem(400, "invalid_time_range")
    return Scope(
        start=start,  # defaults depend on the analysis: see _period and _predicted
        end=end,
        types=type or [],
        bbox=parse_bbox(bbox),
        include_cancelled=include_cancelled,
        cell_size=cell_size,
        crs=crs,
        timezone=timezone,
    )


def _check_years(*values: date | None) -> None:
    # Far-off dates overflow when shifted by a zone or a year of history; nobody needs them.
    if any(v is not None and not YEARS[0] <= v.year <= YEARS[1] for v in values):
        raise Problem(422, "analytics_time_out_of_range", first=YEARS[0], last=YEARS[1])


ScopeDep = Annotated[Scope, Depends(_scope)]
FormatOpt = Annotated[Format, Query(description="geojson (FeatureCollection) or json")]
Seed = Annotated[int, Query(ge=0, le=2**31 - 1)]
Method = Annotated[str, Query(max_length=32, description="see /api/v1/analytics/methods")]
Shift = Annotated[
    str | None, Query(pattern=r"^\d{1,2}-\d{1,2}$", description="local hours, e.g. 22-6")
]


def _period(scope: Scope) -> Scope:
    start, end = default_period(scope.start, scope.end, DEFAULT_DAYS)
    return replace(scope, start=start, end=end)


def _meta(analysis: str, scope: Scope, loaded: Loaded, **extra: Any) -> dict[str, Any]:
    return {
        "analysis": analysis,
        "from": scope.start.isoformat() if scope.start else None,
        "to": scope.end.isoformat() if scope.end else None,
        "timezone": scope.timezone,
        "crs": loaded.crs,
        "cell_size": scope.cell_size,
        "incidents": len(loaded.ids),
        "study_cells": int(loaded.history.grid.study_mask.sum()),
        **extra,
    }


def _load(store: Store, who: Principal, scope: Scope) -> Loaded:
    with store.read() as session:
        return load(session, who, scope, LIMITS)


@router.get("/methods")
def methods(who: Analyst) -> dict[str, Any]:
    """Prediction methods, the default, and the bounds every request is held to."""
    return {"methods": list(METHODS), "default": DEFAULT_METHOD, "limits": vars(LIMITS)}


@router.get("/hotspots", response_class=JSONResponse, responses=_CELLS)
def hotspots(
    who: Analyst,
    store: StoreDep,
    scope: ScopeDep,
    bandwidth: Annotated[float, Query(ge=10, le=10_000, description="metres")] = 200.0,
    kernel: Literal["quartic", "gaussian", "uniform"] = "quartic",
    format: FormatOpt = "geojson",
) -> JSONResponse:
    """Incidents per cell and kernel density (incidents per km²) over the period, per cell
    holding an incident, busiest first."""
    scope = _period(scope)
    with running():
        loaded = _load(store, who, scope)
        grid = loaded.history.grid
        # Each kernel offset costs a pass over the grid: bound offsets x cells.
        reach = 3 if kernel == "gaussian" else 1
        steps = 2 * int(np.ceil(reach * bandwidth / scope.cell_size)) + 3
        if steps**2 * grid.n_cells > LIMITS.max_kernel_work:
            raise Problem(422, "analytics_bandwidth_too_large", bandwidth=f"{bandwidth:g}")
        with engine_problems():
            kde = KernelDensity(bandwidth, kernel).fit(loaded.history)
        table = cell_table(grid, {"count": kde.counts_, "density_km2": kde.density_})
    record_use(store, "hotspots", loaded)
    table = table.sort_values("count", ascending=False, kind="stable")
    meta = _meta("hotspots", scope, loaded, bandwidth=bandwidth, kernel=kernel)
    return cells_response(grid, table, meta, format)


@router.get("/gi-star", response_class=JSONResponse, responses=_CELLS)
def gi_star(
    who: Analyst,
    store: StoreDep,
    scope: ScopeDep,
    permutations: Annotated[int, Query(ge=0, le=999)] = 999,
    alpha: Annotated[float, Query(gt=0, le=0.5)] = 0.05,
    queen: bool = True,
    seed: Seed = 0,
    format: FormatOpt = "geojson",
) -> JSONResponse:
    """Getis-Ord Gi* over the cells holding incidents: z-score, normal and permutation p-values,
    and `spot` = hot / cold where the permutation p-value is below `alpha`."""
    scope = _period(scope)
    with running():
        loaded = _load(store, who, scope)
        grid = loaded.history.grid
        with engine_problems():
            gi = GetisOrdGiStar(permutations, alpha, queen, seed=seed).fit(loaded.history)
        spot = np.where(gi.hot_, "hot", np.where(gi.cold_, "cold", ""))
        values = {"count": gi.counts_, "gi_z": gi.z_, "gi_p_norm": gi.p_norm_}
        values |= {"gi_p_sim": gi.p_sim_, "gi_spot": spot}
        full = {
            k: pd.Series(v, index=gi.cells_).reindex(range(grid.n_cells)).to_numpy()
            for k, v in values.items()
        }
        table = cell_table(grid, full).sort_values("gi_z", ascending=False, kind="stable")
    record_use(store, "gi_star", loaded)
    meta = _meta(
        "gi_star",
        scope,
        loaded,
        permutations=permutations,
        alpha=alpha,
        seed=seed,
        hot=int(gi.hot_.sum()),
        cold=int(gi.cold_.sum()),
    )
    return cells_response(grid, table, meta, format)


def _bands(text: str, what: str) -> list[float]:
    try:
        edges = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        edges = []
    if not 2 <= len(edges) <= 21 or not np.all(np.isfinite(edges)):
        raise Problem(422, "analytics_invalid_bands", bands=what)
    return edges


@router.get("/near-repeat")
def near_repeat(
    who: Analyst,
    store: StoreDep,
    scope: ScopeDep,
    space_bands: Annotated[str, Query(max_length=300, description="edges in metres")] = (
        "0,1,200,400,600,800,1000"
    ),
    time_bands: Annotated[str, Query(max_length=300, description="edges in days")] = (
        "0,7,14,21,28,35"
    ),
    permutations: Annotated[int, Query(ge=1, le=999)] = 99,
    alpha: Annotated[float, Query(gt=0, le=0.5)] = 0.05,
    seed: Seed = 0,
) -> dict[str, Any]:
    """Knox test over space x time bands with Monte Carlo p-values (Near Repeat Calculator
    style); `significant` bands show near-repeat risk."""
    scope = _period(scope)
    space, days = _bands(space_bands, "space"), _bands(time_bands, "time")
    with running():
        loaded = _load(store, who, scope)
        history = loaded.history
        # Pairs within the widest band are held in memory and re-binned per shuffle.
        xy = np.column_stack([history.x, history.y])
        tree = cKDTree(xy)
        pairs = (int(tree.count_neighbors(tree, max(space))) - len(xy)) // 2
        if pairs > LIMITS.max_pairs or pairs * permutations > LIMITS.max_pair_shuffles:
            raise Problem(422, "analytics_too_many_pairs", pairs=pairs)
        with engine_problems(bands="space/time"):
            knox = KnoxTest(space, days, permutations, alpha, seed=seed).fit(history)
    record_use(store, "near_repeat", loaded)
    meta = _meta("near_repeat", scope, loaded, permutations=permutations, seed=seed)
    rows = [{k: clean(v) for k, v in row.items()} for row in knox.table_.to_dict("records")]
    return {**meta, "bands": rows, "significant": sum(r["significant"] for r in rows)}


def _predicted(scope: Scope, at: date | None) -> tuple[Scope, date]:
    """The day to predict (default: the local day after the period) and the history before it."""
    zone = check_timezone(scope.timezone)
    _check_years(at)
    if at is None:
        last = (scope.end or datetime.now(zone)).astimezone(zone) - timedelta(microseconds=1)
        at = last.date() + timedelta(days=1)
    midnight = local_midnight(at, scope.timezone)
    end = min(scope.end, midnight) if scope.end else midnight
    return replace(scope, start=scope.start or end - timedelta(days=DEFAULT_DAYS), end=end), at


def _fit(
    store: Store, who: Principal, scope: Scope, at: date | None, method: str, shift: str | None
) -> tuple[Scope, date, Loaded, Predictor]:
    with engine_problems(method=method, known=", ".join(METHODS)):
        predictor = make_predictor(method, shift)
    scope, day = _predicted(scope, at)
    loaded = _load(store, who, scope)
    with engine_problems():
        predictor.fit(loaded.history, day)
    return scope, day, loaded, predictor


@router.get("/risk", response_class=JSONResponse, responses=_CELLS)
def risk(
    who: Analyst,
    store: StoreDep,
    scope: ScopeDep,
    at: Annotated[date | None, Query(description="local day to predict; default tomorrow")] = None,
    method: Method = DEFAULT_METHOD,
    shift: Shift = None,
    coverage: Annotated[float, Query(gt=0, le=1, description="share of cells returned")] = 1.0,
    format: FormatOpt = "geojson",
) -> JSONResponse:
    """Risk per cell for the day `at` (or a shift of it), fitted on incidents strictly before
    it; the riskiest `coverage` share of the study cells, riskiest first with their rank."""
    with running():
        scope, day, loaded, predictor = _fit(store, who, scope, at, method, shift)
        grid = loaded.history.grid
        table = cell_table(grid, {"risk": predictor.risk_})
    record_use(store, "risk", loaded)
    table = table.head(max(1, int(np.floor(coverage * len(table)))))
    meta = _meta("risk", scope, loaded, day=day.isoformat(), method=method, shift=shift)
    return cells_response(grid, table, {**meta, "coverage": coverage}, format)


@router.get("/patrol-plan", response_class=JSONResponse, responses=_AREAS)
def patrol_plan(
    who: Analyst,
    store: StoreDep,
    scope: ScopeDep,
    at: Annotated[date | None, Query(description="local day to plan; default tomorrow")] = None,
    method: Method = DEFAULT_METHOD,
    shift: Shift = None,
    patrols: Annotated[int, Query(ge=1, le=50)] = 5,
    cells_per_patrol: Annotated[int, Query(ge=1, le=MAX_PATROL_CELLS)] = 20,
    patrol_km2: Annotated[float | None, Query(gt=0, le=25, description="overrides cells")] = None,
) -> JSONResponse:
    """`patrols` compact areas grown from the predicted risk, each a (multi)polygon with the
    expected share of the day's crime it covers (GeoJSON)."""
    size = cells_per_patrol
    if patrol_km2 is not None:  # whole cells, at least one
        size = max(1, round(patrol_km2 * 1e6 / scope.cell_size**2))
    if size > MAX_PATROL_CELLS:
        raise Problem(422, "analytics_patrol_too_large", cells=size, limit=MAX_PATROL_CELLS)
    with running():
        scope, day, loaded, predictor = _fit(store, who, scope, at, method, shift)
        with engine_problems():
            plan = PatrolPlan(patrols, size).fit(predictor.risk_, loaded.history.grid)
        features = patrol_geojson(plan, loaded.history.grid)
    record_use(store, "patrol_plan", loaded)
    meta = _meta("patrol_plan", scope, loaded, day=day.isoformat(), method=method, shift=shift)
    return geojson_response(features, {**meta, "cells_per_patrol": size})
