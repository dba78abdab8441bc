"""Recommending units for an incident: the suitable available units, quickest first.

Candidates are the units the dispatcher may see that are available, not assigned, have a known
position and suit the incident (see `rules`). Road vehicles are timed on the road network when
one is loaded (exact travel time from each unit's position on its road to the incident's), and
otherwise, or when the incident is not near a road, by straight-line distance at a configured
speed, which the answer says. Aircraft and boats are always timed in a straight line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.policy import Permission, Principal, visible
from tansiq.access.service import require
from tansiq.dispatch.rules import DEFAULT_NEEDS, FIXED_TYPES, NEEDS, OFF_ROAD_SPEED_KMH
from tansiq.dispatch.schemas import Recommendation, RecommendedUnit, SkippedUnit
from tansiq.errors import Problem
from tansiq.i18n.catalogue import message
from tansiq.incidents import service as incidents
from tansiq.incidents.models import Incident
from tansiq.reference.models import UnitType
from tansiq.roads.engine import Router
from tansiq.roads.errors import RoadsError
from tansiq.roads.routes import Ranker, Ranking, Route, StraightLine
from tansiq.store.uow import UnitOfWork
from tansiq.units import assignments
from tansiq.units.assignments import Predictor
from tansiq.units.models import Assignment, Unit, UnitShare, UnitStatus


def candidates(
    session: Session, who: Principal, incident_type: str, unit_types: Sequence[str]
) -> list[Unit]:
    capabilities = {
        t.code: set(t.capabilities) for t in session.execute(select(UnitType)).scalars()
    }
    unknown = [t for t in unit_types if t not in capabilities]
    if unknown:
        raise Problem(422, "unknown_reference", field="unit_type", value=unknown[0])
    if unit_types:
        wanted = set(unit_types)
    else:
        needs = NEEDS.get(incident_type, DEFAULT_NEEDS)
        wanted = {code for code, caps in capabilities.items() if caps & needs}
    wanted -= FIXED_TYPES
    if not wanted:
        return []
    busy = exists().where(Assignment.unit_id == Unit.id, Assignment.released_at.is_(None))
    return list(
        session.execute(
            select(Unit)
            .where(
                visible(Unit, UnitShare, who),
                Unit.status == UnitStatus.AVAILABLE,
                Unit.type_code.in_(sorted(wanted)),
                Unit.lat.is_not(None),
                Unit.lon.is_not(None),
                ~busy,
            )
            .order_by(Unit.id)
        ).scalars()
    )


def recommend(
    session: Session,
    who: Principal,
    incident_id: int,
    router: Router | None,
    *,
    k: int = 5,
    unit_types: Sequence[str] = (),
    fallback_kmh: float = 40.0,
) -> Recommendation:
    require(who, Permission.ASSIGN)
    incident = incidents.get_visible(session, who, incident_id)
    units = candidates(session, who, incident.type_code, unit_types)
    where = (incident.lon, incident.lat)
    road = [i for i, u in enumerate(units) if u.type_code not in OFF_ROAD_SPEED_KMH]
    note: str | None = None
    ranker: Ranker = router if router is not None else StraightLine(fallback_kmh)
    if router is None:
        note = "no_road_network"
    ranked: list[tuple[int, Route, str]] = []  # (unit index, route, method)
    skipped: list[SkippedUnit] = []
    try:
        ranking = _rank(ranker, where, units, road, k)
    except RoadsError:  # the incident is not near a road of the network: estimate every unit
        note = "incident_off_road"
        ranking = _rank(StraightLine(fallback_kmh), where, units, road, k)
    ranked += [(road[r.unit], r, ranking.method) for r in ranking.routes]
    for index, error in ranking.rejected.items():
        unit = units[road[index]]
        skipped.append(
            SkippedUnit(
                unit_id=unit.id,
                callsign=unit.callsign,
                code=error.code,
                detail=error.detail("en"),
                detail_ar=error.detail("ar"),
            )
        )
    for type_code, speed in OFF_ROAD_SPEED_KMH.items():
        group = [i for i, u in enumerate(units) if u.type_code == type_code]
        if group:
            flown = _rank(StraightLine(speed), where, units, group, k)
            ranked += [(group[r.unit], r, flown.method) for r in flown.routes]
    ranked.sort(key=lambda item: (item[1].time_s, units[item[0]].id))
    directory = Directory(session)
    return Recommendation(
        incident_id=incident.id,
        method="road" if note is None else "straight_line",
        note=None if note is None else message(f"dispatch.{note}", "en", kmh=fallback_kmh),
        note_ar=None if note is None else message(f"dispatch.{note}", "ar", kmh=fallback_kmh),
        units=[_recommended(units[i], r, method, directory) for i, r, method in ranked[:k]],
        skipped=skipped,
    )


def _rank(
    ranker: Ranker, where: tuple[float, float], units: list[Unit], pick: list[int], k: int
) -> Ranking:
    if not pick:
        return Ranking([], "road" if isinstance(ranker, Router) else "straight_line")
    lon = np.array([units[i].lon for i in pick], dtype=float)
    lat = np.array([units[i].lat for i in pick], dtype=float)
    return ranker.rank_points(where, lon, lat, k)


def _recommended(unit: Unit, route: Route, method: str, directory: Directory) -> RecommendedUnit:
    return RecommendedUnit(
        unit_id=unit.id,
        callsign=unit.callsign,
        type=unit.type_code,
        agency=directory.agency_code(unit.agency_id),
        eta_s=round(route.time_s, 1),
        distance_m=round(route.distance_m, 1),
        method=method,
        route={"type": "LineString", "coordinates": np.round(route.geometry, 7).tolist()},
    )


def predictor(router: Router | None, fallback_kmh: float) -> Predictor:
    """How long one unit will take to reach an incident, as a recommendation would time it."""

    def predict(unit: Unit, incident: Incident) -> tuple[float, str] | None:
        if unit.lat is None or unit.lon is None:
            return None
        where = (incident.lon, incident.lat)
        lon, lat = np.array([unit.lon]), np.array([unit.lat])
        speed = OFF_ROAD_SPEED_KMH.get(unit.type_code)
        ranker: Ranker = StraightLine(speed) if speed else router or StraightLine(fallback_kmh)
        try:
            ranking = ranker.rank_points(where, lon, lat, 1)
        except RoadsError:  # the incident is off the network
            ranking = Ranking([], "straight_line")
        if not ranking.routes:  # or the unit is
            ranking = StraightLine(fallback_kmh).rank_points(where, lon, lat, 1)
        return ranking.routes[0].time_s, ranking.method

    return predict


def dispatch_best(
    uow: UnitOfWork,
    who: Principal,
    incident_id: int,
    router: Router | None,
    *,
    unit_types: Sequence[str] = (),
    fallback_kmh: float = 40.0,
) -> Assignment:
    """Assign the quickest suitable unit in one step, recording the ETA the ranking gave it.

    Ranked and assigned in one transaction: the unit cannot be taken by another dispatcher in
    between (and if it were, the active-assignment index refuses the second).
    """
    best = recommend(
        uow.session,
        who,
        incident_id,
        router,
        k=1,
        unit_types=unit_types,
        fallback_kmh=fallback_kmh,
    )
    if not best.units:
        raise Problem(409, "no_unit_available")
    pick = best.units[0]
    return assignments.assign(
        uow, who, incident_id, pick.unit_id, lambda _u, _i: (pick.eta_s, pick.method)
    )
