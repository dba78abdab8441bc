"""Deployments: where units should stand during an emergency, and who stands where.

A proposal picks standing points — each current affected area's representative point (weighted
by the emergency's severity and the open incidents inside it), open shelters when the shelters
domain provides them, and on a loaded road network the main roads where they enter an area (the
usual traffic-control points) — then fills them, heaviest first and round-robin, with the
quickest available units: road travel time through the dispatch road engine, straight-line time
when no network is loaded or a point is off the network, and cruising speed for aircraft and
boats, as dispatch does.

Accepting a proposal turns its items into deployment records. A standing point is not an
incident, so a deployment is not an incident assignment: the unit stays `available` so dispatch
can still send it from its post to an incident nearby (its assignment then shows on the
deployment as `on_incident_id`), and the database holds at most one active deployment per unit.
Standing an emergency down releases its deployments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tansiq.access.policy import Permission, Principal, visible
from tansiq.access.service import require
from tansiq.dispatch.rules import FIXED_TYPES, OFF_ROAD_SPEED_KMH
from tansiq.emergencies import areas as geo
from tansiq.emergencies import service as emergencies
from tansiq.emergencies import shelters_link
from tansiq.emergencies.models import (
    SEVERITY_WEIGHT,
    AffectedArea,
    Deployment,
    DeploymentProposal,
    Emergency,
    EmergencyIncident,
    ProposalStatus,
    Severity,
)
from tansiq.emergencies.schemas import (
    AcceptRequest,
    DeploymentRead,
    PointKind,
    ProposalItem,
    ProposalRead,
    ProposeRequest,
)
from tansiq.errors import Problem, field_problem, not_found
from tansiq.incidents.lifecycle import OPEN_STATUSES
from tansiq.incidents.models import Incident, IncidentShare
from tansiq.reference.models import UnitType
from tansiq.roads.build import haversine_m
from tansiq.roads.engine import Router
from tansiq.roads.errors import RoadsError
from tansiq.roads.routes import Ranker, StraightLine
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork
from tansiq.units.models import Assignment, Unit, UnitShare, UnitStatus

AT_POST_M = 200.0  # a unit this close to its standing point is at its post
ROAD_POINTS_PER_AREA = 2
MAIN_ROAD_KMH = 60.0  # roads at least this fast count as main roads for control points
_ROAD_WEIGHT = 0.75  # a control point weighs less than the area itself
_SHELTER_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class StandingPoint:
    kind: PointKind
    ref: str
    label: str
    lon: float
    lat: float
    weight: float


# --- standing points ---------------------------------------------------------------------------


def standing_points(
    session: Session,
    who: Principal,
    emergency: Emergency,
    kinds: Sequence[PointKind],
    router: Router | None,
    now: datetime,
) -> list[StandingPoint]:
    """The points worth standing at, heaviest first."""
    severity = SEVERITY_WEIGHT[Severity(emergency.severity)]
    areas = [
        a
        for a in emergencies.areas_of(session, emergency.id)
        if a.valid_to is None or a.valid_to >= now  # a forecast area ahead is worth manning
    ]
    shapes = {a.id: geo.load(a.geojson) for a in areas}
    points: list[StandingPoint] = []
    if PointKind.AREA in kinds:
        counts = _open_incidents_inside(session, who, emergency.id, areas, shapes)
        for a in areas:
            p = shapes[a.id].representative_point()
            points.append(
                StandingPoint(
                    PointKind.AREA,
                    str(a.id),
                    a.name or f"#{a.id}",
                    p.x,
                    p.y,
                    severity * (1 + counts.get(a.id, 0)),
                )
            )
    if PointKind.ROAD in kinds and router is not None:
        for a in areas:
            points += _road_points(router, a, shapes[a.id], severity * _ROAD_WEIGHT)
    if PointKind.SHELTER in kinds:
        for s in shelters_link.open_shelters(session, emergency.id):
            if s.lon is None or s.lat is None:
                continue
            points.append(
                StandingPoint(
                    PointKind.SHELTER,
                    s.ref,
                    s.name,
                    s.lon,
                    s.lat,
                    severity * _SHELTER_WEIGHT * (1 + s.occupancy / max(s.capacity, 1)),
                )
            )
    points.sort(key=lambda p: (-p.weight, p.kind.value, p.ref))
    return points


def _open_incidents_inside(
    session: Session,
    who: Principal,
    emergency_id: int,
    areas: list[AffectedArea],
    shapes: dict[int, Any],
) -> dict[int, int]:
    if not areas:
        return {}
    rows = session.execute(
        select(Incident.lon, Incident.lat)
        .join(EmergencyIncident, EmergencyIncident.incident_id == Incident.id)
        .where(
            EmergencyIncident.emergency_id == emergency_id,
            Incident.status.in_([s.value for s in OPEN_STATUSES]),
            visible(Incident, IncidentShare, who),
        )
    ).all()
    if not rows:
        return {}
    lon = [r[0] for r in rows]
    lat = [r[1] for r in rows]
    return {a.id: int(geo.contains(shapes[a.id], lon, lat).sum()) for a in areas}


def _road_points(
    router: Router, area: AffectedArea, shape: Any, weight: float
) -> list[StandingPoint]:
    """Where the fastest roads cross into the area: the inside end of each crossing edge."""
    net = router.network
    pad = 0.02  # degrees: nodes just outside the box are the other ends of crossing edges
    near = (
        (net.node_lon >= area.min_lon - pad)
        & (net.node_lon <= area.max_lon + pad)
        & (net.node_lat >= area.min_lat - pad)
        & (net.node_lat <= area.max_lat + pad)
    )
    if not near.any():
        return []
    inside = np.zeros(net.node_count, dtype=bool)
    idx = np.flatnonzero(near)
    inside[idx] = geo.contains(shape, net.node_lon[idx], net.node_lat[idx])
    tail, head = net.edge_tail, net.edge_head
    crossing = np.flatnonzero(
        (inside[tail] != inside[head]) & (net.edge_speed_kmh >= MAIN_ROAD_KMH)
    )
    if crossing.size == 0:
        return []
    order = crossing[np.argsort(-net.edge_speed_kmh[crossing], kind="stable")]
    out: list[StandingPoint] = []
    seen: set[int] = set()
    for edge in order:
        node = int(tail[edge] if inside[tail[edge]] else head[edge])
        if node in seen:
            continue
        seen.add(node)
        speed = float(net.edge_speed_kmh[edge])
        out.append(
            StandingPoint(
                PointKind.ROAD,
                f"{area.id}:{node}",
                f"{area.name or f'#{area.id}'}: {speed:.0f} km/h",
                float(net.node_lon[node]),
                float(net.node_lat[node]),
                weight,
            )
        )
        if len(out) >= ROAD_POINTS_PER_AREA:
            break
    return out


# --- units -------------------------------------------------------------------------------------


def free_units(session: Session, who: Principal, unit_types: Sequence[str]) -> list[Unit]:
    """Units the caller may see that are available, located, not assigned and not deployed."""
    if unit_types:
        known = set(session.execute(select(UnitType.code)).scalars())
        unknown = [t for t in unit_types if t not in known]
        if unknown:
            raise Problem(422, "unknown_reference", field="unit_types", value=unknown[0])
    assigned = exists().where(Assignment.unit_id == Unit.id, Assignment.released_at.is_(None))
    deployed = exists().where(Deployment.unit_id == Unit.id, Deployment.released_at.is_(None))
    stmt = select(Unit).where(
        visible(Unit, UnitShare, who),
        Unit.status == UnitStatus.AVAILABLE,
        Unit.lat.is_not(None),
        Unit.lon.is_not(None),
        Unit.type_code.not_in(sorted(FIXED_TYPES)),
        ~assigned,
        ~deployed,
    )
    if unit_types:
        stmt = stmt.where(Unit.type_code.in_(list(unit_types)))
    return list(session.execute(stmt.order_by(Unit.id)).scalars())


Quickest = Callable[[StandingPoint, list[Unit]], "tuple[int, float, str] | None"]


def quickest(router: Router | None, fallback_kmh: float) -> Quickest:
    """(index, seconds, method) of the unit that reaches a point first, by dispatch's rules."""

    def best(point: StandingPoint, units: list[Unit]) -> tuple[int, float, str] | None:
        where = (point.lon, point.lat)
        found: list[tuple[float, int, str]] = []
        groups: dict[float | None, list[int]] = {}
        for i, u in enumerate(units):
            groups.setdefault(OFF_ROAD_SPEED_KMH.get(u.type_code), []).append(i)
        for speed, pick in groups.items():
            ranker: Ranker = (
                StraightLine(speed)
                if speed is not None
                else (router if router is not None else StraightLine(fallback_kmh))
            )
            lon = np.array([units[i].lon for i in pick], dtype=float)
            lat = np.array([units[i].lat for i in pick], dtype=float)
            try:
                ranking = ranker.rank_points(where, lon, lat, 1)
            except RoadsError:  # the point is off the network: estimate in a straight line
                ranking = StraightLine(fallback_kmh).rank_points(where, lon, lat, 1)
            if ranking.routes:
                r = ranking.routes[0]
                found.append((r.time_s, pick[r.unit], ranking.method))
        if not found:
            return None
        time_s, index, method = min(found, key=lambda f: (f[0], units[f[1]].id))
        return index, time_s, method

    return best


# --- commands ----------------------------------------------------------------------------------


def propose(
    uow: UnitOfWork,
    who: Principal,
    emergency_id: int,
    req: ProposeRequest,
    router: Router | None,
    fallback_kmh: float = 40.0,
) -> DeploymentProposal:
    """Propose standing points and the units to fill them; nothing moves until it is accepted."""
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = emergencies.get_visible(session, who, emergency_id, lock=True)
    emergencies.check_open(emergency)
    now = utcnow()
    points = standing_points(session, who, emergency, req.points, router, now)
    if not points:
        raise Problem(409, "no_standing_points")
    units = free_units(session, who, req.unit_types)
    if not units:
        raise Problem(409, "no_units_available")
    top = max(p.weight for p in points)
    quota = [max(1, math.ceil(req.units_per_point * p.weight / top)) for p in points]
    pick = quickest(router, fallback_kmh)
    items: list[dict[str, Any]] = []
    remaining = list(units)
    filled = [0] * len(points)
    round_ = 0
    while remaining and len(items) < req.max_units and round_ < max(quota):
        for i, point in enumerate(points):
            if filled[i] > round_ or filled[i] >= quota[i]:
                continue
            if not remaining or len(items) >= req.max_units:
                break
            found = pick(point, remaining)
            if found is None:
                continue
            index, time_s, method = found
            unit = remaining.pop(index)
            filled[i] += 1
            items.append(_item(point, unit, time_s, method))
        round_ += 1
    if not items:
        raise Problem(409, "no_units_available")
    items += [_item(p, None, math.inf, "") for i, p in enumerate(points) if filled[i] == 0]
    proposal = DeploymentProposal(
        emergency_id=emergency.id,
        status=ProposalStatus.PROPOSED.value,
        items=items,
        created_at=now,
        created_by=who.user_id,
    )
    session.add(proposal)
    session.flush()
    emergencies.add_timeline(
        uow, who, emergency, "deployment", "", {"proposal_id": proposal.id, "items": len(items)}
    )
    emergencies.emit(
        uow,
        "emergency.deployment_proposed",
        emergency,
        {"proposal": proposal_read(proposal).model_dump(mode="json")},
    )
    return proposal


def _item(point: StandingPoint, unit: Unit | None, time_s: float, method: str) -> dict[str, Any]:
    """One proposal line; a point no unit was found for is kept with no unit, so it shows."""
    return {
        "kind": point.kind.value,
        "ref": point.ref,
        "label": point.label,
        "lat": round(point.lat, 7),
        "lon": round(point.lon, 7),
        "weight": round(point.weight, 3),
        "unit_id": None if unit is None else unit.id,
        "callsign": None if unit is None else unit.callsign,
        "eta_s": None if not math.isfinite(time_s) else round(time_s, 1),
        "eta_method": method or None,
    }


def proposal_read(p: DeploymentProposal) -> ProposalRead:
    items = [ProposalItem.model_validate(i) for i in p.items]
    return ProposalRead(
        id=p.id,
        emergency_id=p.emergency_id,
        status=p.status,
        items=items,
        unfilled_points=sum(1 for i in items if i.unit_id is None),
        created_at=p.created_at,
        decided_at=p.decided_at,
    )


def _proposal(session: Session, emergency: Emergency, proposal_id: int) -> DeploymentProposal:
    p = session.get(DeploymentProposal, proposal_id, with_for_update=True)
    if p is None or p.emergency_id != emergency.id:
        raise not_found()
    if p.status != ProposalStatus.PROPOSED:
        raise Problem(409, "proposal_not_open", status=p.status, label_prefix="proposal_status")
    return p


def accept(
    uow: UnitOfWork, who: Principal, emergency_id: int, proposal_id: int, req: AcceptRequest
) -> list[Deployment]:
    """Deploy the proposal's units (all items, or the chosen ones) in one transaction.

    A unit that has meanwhile been assigned, deployed or taken out of service refuses the
    whole acceptance (409 naming it): nothing is deployed, and a fresh proposal can be asked.
    """
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = emergencies.get_visible(session, who, emergency_id, lock=True)
    emergencies.check_open(emergency)
    proposal = _proposal(session, emergency, proposal_id)
    items: list[dict[str, Any]] = list(proposal.items)
    staffed = [i for i, item in enumerate(items) if item["unit_id"] is not None]
    chosen = sorted(set(req.items)) if req.items is not None else staffed
    bad = [i for i in chosen if i not in staffed]
    if bad:
        raise field_problem(["body", "items", bad[0]], "proposal_item_unknown")
    now = utcnow()
    made: list[Deployment] = []
    for index in chosen:
        item = items[index]
        unit = _deployable(session, who, int(item["unit_id"]))
        made.append(
            Deployment(
                emergency_id=emergency.id,
                proposal_id=proposal.id,
                unit_id=unit.id,
                point_kind=item["kind"],
                point_ref=item["ref"],
                label=item["label"],
                lat=item["lat"],
                lon=item["lon"],
                eta_s=item["eta_s"],
                eta_method=item["eta_method"],
                deployed_at=now,
                deployed_by=who.user_id,
            )
        )
    session.add_all(made)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent acceptance deployed one of these units
        raise Problem(409, "unit_already_deployed") from exc
    proposal.status = ProposalStatus.ACCEPTED.value
    proposal.decided_at = now
    proposal.decided_by = who.user_id
    emergencies.add_timeline(
        uow,
        who,
        emergency,
        "deployment",
        "",
        {"proposal_id": proposal.id, "deployments": [d.id for d in made]},
    )
    reads = deployment_reads(session, who, made)
    emergencies.emit(
        uow,
        "emergency.deployed",
        emergency,
        {"proposal_id": proposal.id, "deployments": [d.model_dump(mode="json") for d in reads]},
    )
    return made


def _deployable(session: Session, who: Principal, unit_id: int) -> Unit:
    unit = session.execute(
        select(Unit).where(Unit.id == unit_id, visible(Unit, UnitShare, who)).with_for_update()
    ).scalar_one_or_none()
    if unit is None:
        raise Problem(409, "unit_not_deployable", callsign=f"#{unit_id}", status="unknown")
    busy = session.execute(
        select(Assignment.id).where(Assignment.unit_id == unit.id, Assignment.released_at.is_(None))
    ).first()
    deployed = session.execute(
        select(Deployment.id).where(Deployment.unit_id == unit.id, Deployment.released_at.is_(None))
    ).first()
    if unit.status != UnitStatus.AVAILABLE or busy is not None or deployed is not None:
        state = "deployed" if deployed else ("assigned" if busy else unit.status)
        raise Problem(
            409,
            "unit_not_deployable",
            callsign=unit.callsign,
            status=state,
            label_prefix="deploy_state",
        )
    return unit


def reject(uow: UnitOfWork, who: Principal, emergency_id: int, proposal_id: int) -> None:
    require(who, Permission.EMERGENCY_MANAGE)
    emergency = emergencies.get_visible(uow.session, who, emergency_id, lock=True)
    proposal = _proposal(uow.session, emergency, proposal_id)
    proposal.status = ProposalStatus.REJECTED.value
    proposal.decided_at = utcnow()
    proposal.decided_by = who.user_id
    emergencies.add_timeline(uow, who, emergency, "deployment", "", {"rejected": proposal.id})
    emergencies.emit(uow, "emergency.deployment_rejected", emergency, {"proposal_id": proposal.id})


def release(uow: UnitOfWork, who: Principal, emergency_id: int, deployment_id: int) -> Deployment:
    """Stand a unit down from its post."""
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    emergency = emergencies.get_visible(session, who, emergency_id, lock=True)
    d = session.get(Deployment, deployment_id, with_for_update=True)
    if d is None or d.emergency_id != emergency.id:
        raise not_found()
    if d.released_at is not None:
        raise Problem(409, "deployment_released")
    d.released_at = utcnow()
    d.released_by = who.user_id
    emergencies.add_timeline(uow, who, emergency, "deployment", "", {"released": [d.id]})
    emergencies.emit(uow, "emergency.deployment_released", emergency, {"deployment_ids": [d.id]})
    return d


def release_all(
    uow: UnitOfWork, who: Principal | None, emergency: Emergency, now: datetime
) -> list[int]:
    """Release every active deployment of the emergency (on stand-down); returns their ids."""
    rows = list(
        uow.session.execute(
            select(Deployment)
            .where(Deployment.emergency_id == emergency.id, Deployment.released_at.is_(None))
            .with_for_update()
        ).scalars()
    )
    for d in rows:
        d.released_at = now
        d.released_by = None if who is None else who.user_id
    return [d.id for d in rows]


# --- reading -----------------------------------------------------------------------------------


def proposals(session: Session, who: Principal, emergency_id: int) -> list[ProposalRead]:
    emergencies.get_visible(session, who, emergency_id)
    rows = session.execute(
        select(DeploymentProposal)
        .where(DeploymentProposal.emergency_id == emergency_id)
        .order_by(DeploymentProposal.id.desc())
    ).scalars()
    return [proposal_read(p) for p in rows]


def deployments(
    session: Session, who: Principal, emergency_id: int, *, active_only: bool = True
) -> list[DeploymentRead]:
    """Who stands where: each deployment with its unit's latest position and distance to post.

    Units the caller may not see are left out, as everywhere.
    """
    emergencies.get_visible(session, who, emergency_id)
    stmt = (
        select(Deployment)
        .join(Unit, Unit.id == Deployment.unit_id)
        .where(Deployment.emergency_id == emergency_id, visible(Unit, UnitShare, who))
    )
    if active_only:
        stmt = stmt.where(Deployment.released_at.is_(None))
    rows = list(session.execute(stmt.order_by(Deployment.id)).scalars())
    return deployment_reads(session, who, rows)


def deployment_reads(
    session: Session, who: Principal, rows: list[Deployment]
) -> list[DeploymentRead]:
    unit_ids = [d.unit_id for d in rows]
    units = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(unit_ids))).scalars()}
    on_incident: dict[int, int] = {
        unit_id: incident_id
        for unit_id, incident_id in session.execute(
            select(Assignment.unit_id, Assignment.incident_id).where(
                Assignment.unit_id.in_(unit_ids), Assignment.released_at.is_(None)
            )
        )
    }
    out: list[DeploymentRead] = []
    for d in rows:
        u = units[d.unit_id]
        distance: float | None = None
        if u.lat is not None and u.lon is not None:
            distance = float(
                haversine_m(
                    np.array([u.lon]), np.array([u.lat]), np.array([d.lon]), np.array([d.lat])
                )[0]
            )
        out.append(
            DeploymentRead(
                id=d.id,
                emergency_id=d.emergency_id,
                proposal_id=d.proposal_id,
                unit_id=d.unit_id,
                callsign=u.callsign,
                point_kind=PointKind(d.point_kind),
                point_ref=d.point_ref,
                label=d.label,
                lat=d.lat,
                lon=d.lon,
                eta_s=d.eta_s,
                eta_method=d.eta_method,
                deployed_at=d.deployed_at,
                released_at=d.released_at,
                active=d.released_at is None,
                unit_status=u.status,
                unit_lat=u.lat,
                unit_lon=u.lon,
                unit_position_at=u.position_at,
                distance_m=None if distance is None else round(distance, 1),
                at_post=distance is not None and distance <= AT_POST_M and d.released_at is None,
                on_incident_id=on_incident.get(d.unit_id),
            )
        )
    return out
