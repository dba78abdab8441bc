"""The shelter desk: sending households to shelters, checking them in and out.

Locks are always taken in one order, household rows first (by id) and then shelter rows (by id),
so two desks never wait on each other in a circle. Every step that fails raises before commit,
and the unit of work rolls back: no half-made check-in is ever stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.errors import Problem, field_problem, not_found
from tansiq.roads.engine import Router
from tansiq.shelters import households as hh
from tansiq.shelters import service
from tansiq.shelters.assignment import Plan, greedy, nearest, optimal, travel_seconds
from tansiq.shelters.models import Household, HouseholdStatus, Shelter, Stay
from tansiq.shelters.schemas import BulkAssignmentRead
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork


@dataclass(frozen=True)
class Sent:
    household: Household
    shelter: Shelter
    seconds: float
    distance_m: float | None
    method: str


def check_in(uow: UnitOfWork, who: Principal, shelter_id: int, household_id: int) -> Household:
    """The whole household enters, if the shelter is open and has room for all of it (its held
    places count when it was sent here)."""
    require(who, Permission.SHELTER_DESK)
    session = uow.session
    household = hh.get_visible(session, who, household_id, lock=True)
    if household.status == HouseholdStatus.CHECKED_IN:
        raise Problem(409, "household_already_checked_in", shelter_id=household.shelter_id)
    service.get(session, shelter_id)  # 404 before anything changes
    persons = household.size
    held = household.shelter_id if household.status == HouseholdStatus.ASSIGNED else None
    if held == shelter_id:
        shelter = service.claim(session, shelter_id, persons)
    elif held is not None and held < shelter_id:  # shelters in id order (see module docstring)
        service.release(session, held, persons, occupied=False)
        shelter = service.admit(session, shelter_id, persons)
    else:
        shelter = service.admit(session, shelter_id, persons)
        if held is not None:
            service.release(session, held, persons, occupied=False)
    now = utcnow()
    session.add(
        Stay(
            household_id=household.id,
            shelter_id=shelter_id,
            persons=persons,
            checked_in_at=now,
            checked_in_by=who.user_id,
        )
    )
    try:
        session.flush()
    except IntegrityError:  # another desk checked the same household in a moment ago
        raise Problem(409, "household_already_checked_in", shelter_id=shelter_id) from None
    household.status = HouseholdStatus.CHECKED_IN.value
    household.shelter_id = shelter_id
    household.checked_in_at, household.checked_out_at = now, None
    household.version += 1
    household.updated_at = now
    if held is not None and held != shelter_id:
        released = session.get(Shelter, held)
        assert released is not None
        service.emit(uow, "shelter.occupancy", released)
    service.emit(uow, "shelter.occupancy", shelter, {"change": persons})
    hh.emit(uow, "shelter.checked_in", household, {"shelter_id": shelter_id})
    return household


def check_out(uow: UnitOfWork, who: Principal, shelter_id: int, household_id: int) -> Household:
    require(who, Permission.SHELTER_DESK)
    session = uow.session
    household = hh.get_visible(session, who, household_id, lock=True)
    if household.status != HouseholdStatus.CHECKED_IN or household.shelter_id != shelter_id:
        raise Problem(409, "household_not_checked_in", shelter_id=shelter_id)
    stay = session.execute(
        select(Stay).where(Stay.household_id == household.id, Stay.checked_out_at.is_(None))
    ).scalar_one()
    now = utcnow()
    stay.checked_out_at, stay.checked_out_by = now, who.user_id
    shelter = service.release(session, shelter_id, stay.persons, occupied=True)
    household.status = HouseholdStatus.CHECKED_OUT.value
    household.checked_out_at = now
    household.version += 1
    household.updated_at = now
    service.emit(uow, "shelter.occupancy", shelter, {"change": -stay.persons})
    hh.emit(uow, "shelter.checked_out", household, {"shelter_id": shelter_id})
    return household


def _origin(household: Household, lat: float | None, lon: float | None) -> tuple[float, float]:
    if (lat is None) != (lon is None):
        raise field_problem(["body", "lon" if lon is None else "lat"], "missing")
    if lat is not None and lon is not None:
        return lon, lat
    if household.origin_lat is None or household.origin_lon is None:
        raise Problem(422, "household_origin_unknown")
    return household.origin_lon, household.origin_lat


def _held_elsewhere(household: Household) -> int | None:
    return household.shelter_id if household.status == HouseholdStatus.ASSIGNED else None


def assign_nearest(
    uow: UnitOfWork,
    who: Principal,
    household_id: int,
    router: Router | None,
    fallback_kmh: float,
    *,
    lat: float | None = None,
    lon: float | None = None,
) -> Sent:
    """Hold places for the household at the open shelter with room it reaches soonest (by road
    when a network is loaded, else in a straight line), giving up any place held before."""
    require(who, Permission.SHELTER_DESK)
    session = uow.session
    household = hh.get_visible(session, who, household_id, lock=True)
    if household.status == HouseholdStatus.CHECKED_IN:
        raise Problem(409, "household_already_checked_in", shelter_id=household.shelter_id)
    origin = _origin(household, lat, lon)
    held = _held_elsewhere(household)
    candidates = list(
        session.execute(
            select(Shelter).where(Shelter.status.in_(service.TAKING)).order_by(Shelter.id)
        ).scalars()
    )
    # Its own held places count as room where it already has them.
    fits = [
        s
        for s in candidates
        if s.capacity - s.occupancy - s.reserved + (household.size if s.id == held else 0)
        >= household.size
    ]
    best = nearest(
        router, origin[0], origin[1], [s.lon for s in fits], [s.lat for s in fits], fallback_kmh
    )
    if best is None:
        raise Problem(409, "no_shelter_with_room", persons=household.size)
    target = fits[best.index]
    if held != target.id:
        shelter = _move_reservation(session, household, held, target.id)
        if held is not None:
            old = session.get(Shelter, held)
            assert old is not None
            service.emit(uow, "shelter.occupancy", old)
        service.emit(uow, "shelter.occupancy", shelter, {"change": household.size})
    else:
        shelter = target
    now = utcnow()
    household.status = HouseholdStatus.ASSIGNED.value
    household.shelter_id = shelter.id
    household.assigned_at = now
    household.version += 1
    household.updated_at = now
    travel = {"travel_s": round(best.seconds, 1), "method": best.method}
    hh.emit(uow, "shelter.household_assigned", household, {"shelter_id": shelter.id, **travel})
    return Sent(household, shelter, best.seconds, best.distance_m, best.method)


def _move_reservation(session: Session, household: Household, held: int | None, to: int) -> Shelter:
    persons = household.size
    if held is not None and held < to:
        service.release(session, held, persons, occupied=False)
        return service.reserve(session, to, persons)
    shelter = service.reserve(session, to, persons)
    if held is not None:
        service.release(session, held, persons, occupied=False)
    return shelter


def assign_many(
    uow: UnitOfWork,
    who: Principal,
    household_ids: list[int],
    router: Router | None,
    fallback_kmh: float,
    planner: str = "optimal",
) -> BulkAssignmentRead:
    """Plan many households at once into the open shelters' free places, least total travel
    (or the greedy baseline), and hold the places. Households already checked in, or with no
    known origin, are refused as a whole: the plan is all or nothing."""
    require(who, Permission.SHELTER_DESK)
    session = uow.session
    wanted = sorted(set(household_ids))
    rows = list(
        session.execute(
            select(Household)
            .where(Household.id.in_(wanted), hh.visible(session, who))
            .order_by(Household.id)
            .with_for_update()
        ).scalars()
    )
    if len(rows) != len(wanted):
        raise not_found()
    for h in rows:
        if h.status == HouseholdStatus.CHECKED_IN:
            raise Problem(409, "household_already_checked_in", shelter_id=h.shelter_id)
        if h.origin_lat is None or h.origin_lon is None:
            raise Problem(422, "household_origin_unknown")
    shelters = list(
        session.execute(
            select(Shelter)
            .where(Shelter.status.in_(service.TAKING))  # full ones may hold these households
            .order_by(Shelter.id)
            .with_for_update()
        ).scalars()
    )
    index = {s.id: j for j, s in enumerate(shelters)}
    room = np.array([s.capacity - s.occupancy - s.reserved for s in shelters], np.int64)
    for h in rows:  # places they hold now are theirs to re-plan
        held = _held_elsewhere(h)
        if held is not None and held in index:
            room[index[held]] += h.size
    sizes = np.array([h.size for h in rows], np.int64)
    cost, on_road = travel_seconds(
        router,
        np.array([h.origin_lon for h in rows], float),
        np.array([h.origin_lat for h in rows], float),
        [s.lon for s in shelters],
        [s.lat for s in shelters],
        fallback_kmh,
    )
    if planner == "greedy":
        plan: Plan = greedy(cost, sizes, room)
    else:
        plan = optimal(cost, sizes, room, method="lp" if planner == "optimal_lp" else "lagrangian")
    _apply_plan(uow, rows, shelters, plan)
    method: Literal["road", "straight_line", "mixed"] = (
        "road" if on_road.all() else ("straight_line" if not on_road.any() else "mixed")
    )
    return BulkAssignmentRead(
        planner=planner,
        method=method,
        assigned={
            h.id: shelters[int(j)].id for h, j in zip(rows, plan.shelter, strict=True) if j >= 0
        },
        unplaced=[h.id for h, j in zip(rows, plan.shelter, strict=True) if j < 0],
        total_person_seconds=round(plan.cost, 1),
        # With people left over the bound includes their penalty: only the gap is meaningful.
        lower_bound_person_seconds=(
            round(plan.lower_bound, 1)
            if plan.lower_bound is not None and plan.unplaced_persons == 0
            else None
        ),
        gap=plan.gap,
    )


def _apply_plan(
    uow: UnitOfWork, rows: list[Household], shelters: list[Shelter], plan: Plan
) -> None:
    """Give back every place the planned households held, then hold the planned ones: per
    shelter, one guarded UPDATE each way, in shelter id order."""
    session = uow.session
    give: dict[int, int] = {}
    take: dict[int, int] = {}
    for h, j in zip(rows, plan.shelter, strict=True):
        held = _held_elsewhere(h)
        target = shelters[int(j)].id if j >= 0 else None
        if held == target:
            continue
        if held is not None:
            give[held] = give.get(held, 0) + h.size
        if target is not None:
            take[target] = take.get(target, 0) + h.size
    for shelter_id in sorted(give.keys() | take.keys()):
        if give.get(shelter_id):
            service.release(session, shelter_id, give[shelter_id], occupied=False)
        if take.get(shelter_id):
            service.reserve(session, shelter_id, take[shelter_id])
    now = utcnow()
    for h, j in zip(rows, plan.shelter, strict=True):
        target = shelters[int(j)].id if j >= 0 else None
        if target is None and _held_elsewhere(h) is None:
            continue
        if target == _held_elsewhere(h):
            continue
        h.status = (HouseholdStatus.ASSIGNED if target else HouseholdStatus.REGISTERED).value
        h.shelter_id = target
        h.assigned_at = now if target else None
        h.version += 1
        h.updated_at = now
        hh.emit(uow, "shelter.household_assigned", h, {"shelter_id": target})
    for shelter_id in sorted(give.keys() | take.keys()):
        changed = session.get(Shelter, shelter_id)
        assert changed is not None
        service.emit(uow, "shelter.occupancy", changed)
