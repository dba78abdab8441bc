"""The shelter registry and its counters.

Shelters are public within the ministry: every signed-in user with `records:read` sees every
shelter, its place, facilities and live occupancy (shelter locations are announced to the public
in an emergency, and every agency's patrols direct people to them). Who is inside is not public:
see `households`.

The capacity rule holds under any concurrency because every change of a shelter's counters is
one guarded UPDATE, e.g. ``occupancy = occupancy + n WHERE status = 'open' AND occupancy +
reserved + n <= capacity``, checked by its row count, in the same transaction as the stay row
and the events. PostgreSQL re-evaluates the condition on the latest row version after waiting
for a concurrent writer's row lock; SQLite runs one writer at a time. A CHECK constraint on the
table refuses an over-full shelter whatever the code does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.errors import Problem, not_found
from tansiq.events.types import Audience, PendingEvent
from tansiq.incidents.service import check_version
from tansiq.shelters.models import Shelter, ShelterStatus
from tansiq.shelters.schemas import ShelterCreate, ShelterRead, ShelterSummary, ShelterUpdate
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork

PUBLIC = Audience()  # every signed-in user: shelters are public within the ministry
TAKING = (ShelterStatus.OPEN.value, ShelterStatus.FULL.value)

__all__ = ["ShelterSummary", "create", "get", "summary", "to_read", "transition", "update_shelter"]


def get(session: Session, shelter_id: int, *, lock: bool = False) -> Shelter:
    stmt = select(Shelter).where(Shelter.id == shelter_id)
    if lock:
        stmt = stmt.with_for_update()
    shelter = session.execute(stmt).scalar_one_or_none()
    if shelter is None:
        raise not_found()
    return shelter


def get_public(session: Session, who: Principal, shelter_id: int) -> Shelter:
    """A shelter for anyone who may read records: the registry is public within the ministry."""
    require(who, Permission.READ)
    return get(session, shelter_id)


def to_read(shelters: list[Shelter], directory: Directory) -> list[ShelterRead]:
    return [
        ShelterRead(
            id=s.id,
            name=s.name,
            name_ar=s.name_ar,
            address=s.address,
            lat=s.lat,
            lon=s.lon,
            capacity=s.capacity,
            occupancy=s.occupancy,
            reserved=s.reserved,
            available=max(0, s.capacity - s.occupancy - s.reserved),
            facilities=list(s.facilities),
            status=ShelterStatus(s.status),
            agency=directory.agency_code(s.agency_id),
            emergency_id=s.emergency_id,
            created_at=s.created_at,
            updated_at=s.updated_at,
            opened_at=s.opened_at,
            closed_at=s.closed_at,
            version=s.version,
        )
        for s in shelters
    ]


def read_one(session: Session, shelter: Shelter) -> ShelterRead:
    return to_read([shelter], Directory(session))[0]


def emit(
    uow: UnitOfWork, type_: str, shelter: Shelter, extra: dict[str, Any] | None = None
) -> None:
    """A shelter event: figures only, never who is inside, so everyone may receive it."""
    uow.session.flush()
    body = read_one(uow.session, shelter).model_dump(mode="json")
    uow.emit(
        PendingEvent(type_, "shelter", str(shelter.id), {"shelter": body, **(extra or {})}, PUBLIC)
    )


def search(
    session: Session,
    who: Principal,
    *,
    status: list[ShelterStatus],
    emergency_id: int | None,
    agency: str | None,
) -> list[Shelter]:
    require(who, Permission.READ)
    stmt = select(Shelter)
    if status:
        stmt = stmt.where(Shelter.status.in_([s.value for s in status]))
    if emergency_id is not None:
        stmt = stmt.where(Shelter.emergency_id == emergency_id)
    if agency:
        stmt = stmt.where(Shelter.agency_id == Directory(session).agency_id(agency))
    return list(session.execute(stmt.order_by(Shelter.id)).scalars())


def summary(session: Session, emergency_id: int | None) -> list[ShelterSummary]:
    """Every shelter of an emergency (all shelters for None) with its figures, by id."""
    stmt = select(Shelter).order_by(Shelter.id)
    if emergency_id is not None:
        stmt = stmt.where(Shelter.emergency_id == emergency_id)
    return [
        ShelterSummary(
            id=s.id,
            name=s.name,
            status=s.status,
            capacity=s.capacity,
            occupancy=s.occupancy,
            reserved=s.reserved,
            lat=s.lat,
            lon=s.lon,
        )
        for s in session.execute(stmt).scalars()
    ]


def _emergency(session: Session, emergency_id: int | None) -> int | None:
    if emergency_id is None:
        return None
    from tansiq.emergencies.models import Emergency

    if session.get(Emergency, emergency_id) is None:
        raise Problem(422, "unknown_reference", field="emergency_id", value=emergency_id)
    return emergency_id


def create(uow: UnitOfWork, who: Principal, data: ShelterCreate) -> Shelter:
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    owner = Directory(session).agency_id(data.agency) if data.agency else who.agency_id
    now = utcnow()
    opening = data.status == "open"
    shelter = Shelter(
        name=data.name,
        name_ar=data.name_ar,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        capacity=data.capacity,
        occupancy=0,
        reserved=0,
        facilities=sorted(set(data.facilities)),
        # A shelter without places opens straight into "full".
        status=(
            (ShelterStatus.OPEN if data.capacity > 0 else ShelterStatus.FULL)
            if opening
            else ShelterStatus.PLANNED
        ).value,
        agency_id=owner,
        emergency_id=_emergency(session, data.emergency_id),
        created_by=who.user_id,
        created_at=now,
        updated_at=now,
        opened_at=now if opening else None,
        version=1,
    )
    session.add(shelter)
    emit(uow, "shelter.created", shelter)
    return shelter


def update_shelter(
    uow: UnitOfWork, who: Principal, shelter_id: int, data: ShelterUpdate, if_match: int | None
) -> Shelter:
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    shelter = get(session, shelter_id, lock=True)
    check_version(shelter, if_match)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "emergency_id" in changes:
        _emergency(session, changes["emergency_id"])
    if "facilities" in changes:
        changes["facilities"] = sorted(set(changes["facilities"]))
    if "capacity" in changes:
        committed = shelter.occupancy + shelter.reserved
        if changes["capacity"] < committed:
            raise Problem(
                409,
                "shelter_capacity_below_occupancy",
                capacity=changes["capacity"],
                committed=committed,
            )
    changed = {k: v for k, v in changes.items() if getattr(shelter, k) != v}
    if not changed:
        return shelter
    for key, value in changed.items():
        setattr(shelter, key, value)
    if shelter.status in TAKING:
        shelter.status = _fill_status(shelter.occupancy + shelter.reserved, shelter.capacity)
    shelter.version += 1
    shelter.updated_at = utcnow()
    emit(uow, "shelter.updated", shelter, {"changed": sorted(changed)})
    return shelter


def transition(uow: UnitOfWork, who: Principal, shelter_id: int, target: str) -> Shelter:
    """Open a planned or closed shelter, or close one (those inside may still check out;
    households on their way keep their reservation until a desk sends them elsewhere)."""
    require(who, Permission.EMERGENCY_MANAGE)
    shelter = get(uow.session, shelter_id, lock=True)
    current = shelter.status
    now = utcnow()
    if target == "open":
        if current in TAKING:
            raise Problem(409, "shelter_transition", status=current, label_prefix="shelter_status")
        shelter.status = _fill_status(shelter.occupancy + shelter.reserved, shelter.capacity)
        shelter.opened_at, shelter.closed_at = now, None
    elif target == "closed":
        if current == ShelterStatus.CLOSED:
            raise Problem(409, "shelter_transition", status=current, label_prefix="shelter_status")
        shelter.status = ShelterStatus.CLOSED.value
        shelter.closed_at = now
    else:  # the API's schema allows only the two
        raise Problem(422, "shelter_transition", status=target, label_prefix="shelter_status")
    shelter.version += 1
    shelter.updated_at = now
    emit(uow, f"shelter.{'opened' if target == 'open' else 'closed'}", shelter, {"from": current})
    return shelter


def _fill_status(committed: int, capacity: int) -> str:
    return (ShelterStatus.FULL if committed >= capacity else ShelterStatus.OPEN).value


# --- counters: each change is one guarded UPDATE ---------------------------------------------


def _status_after(delta: int) -> ColumnElement[str]:
    """The status once `delta` persons are added to occupancy + reserved (taking shelters)."""
    return case(
        (Shelter.status == ShelterStatus.CLOSED.value, Shelter.status),
        (
            Shelter.occupancy + Shelter.reserved + delta >= Shelter.capacity,
            ShelterStatus.FULL.value,
        ),
        else_=ShelterStatus.OPEN.value,
    )


def _apply(
    session: Session, shelter_id: int, where: list[ColumnElement[bool]], **values: Any
) -> bool:
    result = session.execute(
        update(Shelter)
        .where(Shelter.id == shelter_id, *where)
        .values(version=Shelter.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _refused(session: Session, shelter_id: int, persons: int) -> Problem:
    shelter = session.get(Shelter, shelter_id, populate_existing=True)
    if shelter is None:
        return not_found()
    if shelter.status not in TAKING:
        return Problem(
            409, "shelter_not_open", status=shelter.status, label_prefix="shelter_status"
        )
    room = max(0, shelter.capacity - shelter.occupancy - shelter.reserved)
    return Problem(409, "shelter_full", room=room, persons=persons)


def admit(session: Session, shelter_id: int, persons: int) -> Shelter:
    """Check `persons` in without a reservation, if the shelter is open and has room."""
    if not _apply(
        session,
        shelter_id,
        [
            Shelter.status == ShelterStatus.OPEN.value,
            Shelter.occupancy + Shelter.reserved + persons <= Shelter.capacity,
        ],
        occupancy=Shelter.occupancy + persons,
        status=_status_after(persons),
    ):
        raise _refused(session, shelter_id, persons)
    return _reload(session, shelter_id)


def reserve(session: Session, shelter_id: int, persons: int) -> Shelter:
    """Hold places for a household on its way, if the shelter is open and has room."""
    if not _apply(
        session,
        shelter_id,
        [
            Shelter.status == ShelterStatus.OPEN.value,
            Shelter.occupancy + Shelter.reserved + persons <= Shelter.capacity,
        ],
        reserved=Shelter.reserved + persons,
        status=_status_after(persons),
    ):
        raise _refused(session, shelter_id, persons)
    return _reload(session, shelter_id)


def claim(session: Session, shelter_id: int, persons: int) -> Shelter:
    """A household arrives where its places are held: reserved becomes occupied."""
    if not _apply(
        session,
        shelter_id,
        [Shelter.status.in_(TAKING), Shelter.reserved >= persons],
        reserved=Shelter.reserved - persons,
        occupancy=Shelter.occupancy + persons,
    ):
        raise _refused(session, shelter_id, persons)
    return _reload(session, shelter_id)


def release(session: Session, shelter_id: int, persons: int, *, occupied: bool) -> Shelter:
    """Give back places: a household leaves (`occupied`) or a reservation is dropped."""
    column = Shelter.occupancy if occupied else Shelter.reserved
    values: dict[str, Any] = {
        "occupancy" if occupied else "reserved": column - persons,
        "status": case(
            (
                (Shelter.status == ShelterStatus.FULL.value)
                & (Shelter.occupancy + Shelter.reserved - persons < Shelter.capacity),
                ShelterStatus.OPEN.value,
            ),
            else_=Shelter.status,
        ),
    }
    if not _apply(session, shelter_id, [column >= persons], **values):
        raise Problem(409, "shelter_counts_inconsistent")  # the CHECK constraint's twin
    return _reload(session, shelter_id)


def _reload(session: Session, shelter_id: int) -> Shelter:
    shelter = session.get(Shelter, shelter_id, populate_existing=True)
    assert shelter is not None  # the UPDATE just matched it
    return shelter
