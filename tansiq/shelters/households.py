"""Households registered for shelter: the least personal data that lets a desk do its work.

Who sees a household: the agency whose desk registered it, the agency managing the shelter it is
assigned to or staying at, and the joint operations room, all with at least `restricted`
clearance. Everyone else gets 404, in lists too (the condition is in the query). A national id,
when an operator chose to enter one, is shown to the managing agency of the household's shelter
and to no one else, and never travels on the feed.

Personal values stay out of the audit trail: the trail is append-only and hash-chained, so what
enters it can never be erased, while evacuees' data must be deleted at the end of its retention
(`purge`). Households and members are therefore written with Core statements (which the trail's
flush hook does not see) and each write is audited by hand with the fields it touched and the
non-personal values (size, needs, status, shelter), not names, phones, notes or ids.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import ColumnElement, and_, delete, exists, false, insert, or_, select, true, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Agency, AgencyKind, Clearance
from tansiq.access.policy import Permission, Principal
from tansiq.access.service import require
from tansiq.errors import Problem, field_problem, not_found
from tansiq.events.types import Audience, PendingEvent
from tansiq.incidents.service import check_version
from tansiq.shelters.models import Household, HouseholdMember, HouseholdStatus, Shelter
from tansiq.shelters.schemas import HouseholdCreate, HouseholdRead, HouseholdUpdate, MemberRead
from tansiq.store.base import utcnow
from tansiq.store.paging import decode_cursor, encode_cursor
from tansiq.store.uow import UnitOfWork

# How long a household's record is kept after it left its shelter (or was registered and never
# came): long enough to answer families' and auditors' questions after an emergency.
RETENTION_DAYS = 90
PERSONAL = frozenset({"head_name", "phone", "note", "national_id", "origin_lat", "origin_lon"})
CLASSIFICATION = int(Clearance.RESTRICTED)


def _joint_rooms(session: Session) -> set[int]:
    return set(
        session.execute(select(Agency.id).where(Agency.kind == AgencyKind.JOINT_ROOM)).scalars()
    )


def visible(session: Session, who: Principal) -> ColumnElement[bool]:
    """SQL condition: households `who` may see."""
    if who.clearance < CLASSIFICATION:
        return false()
    if who.agency_id in _joint_rooms(session):
        return true()
    managed = exists().where(Shelter.id == Household.shelter_id, Shelter.agency_id == who.agency_id)
    return or_(Household.agency_id == who.agency_id, managed)


def get_visible(
    session: Session, who: Principal, household_id: int, *, lock: bool = False
) -> Household:
    require(who, Permission.READ)
    stmt = select(Household).where(Household.id == household_id, visible(session, who))
    if lock:
        stmt = stmt.with_for_update()
    household = session.execute(stmt).scalar_one_or_none()
    if household is None:
        raise not_found()
    return household


def reload(session: Session, household_id: int) -> Household:
    household = session.get(Household, household_id, populate_existing=True)
    assert household is not None
    return household


def audience(session: Session, household: Household) -> Audience:
    agencies = {household.agency_id, *_joint_rooms(session)}
    if household.shelter_id is not None:
        shelter = session.get(Shelter, household.shelter_id)
        if shelter is not None:
            agencies.add(shelter.agency_id)
    return Audience(CLASSIFICATION, frozenset(agencies))


def to_read(
    session: Session, who: Principal | None, households: list[Household]
) -> list[HouseholdRead]:
    """Households as `who` may read them (national ids for the managing agency only; None for
    `who` means the feed's copy, which never carries one)."""
    ids = [h.id for h in households]
    members: dict[int, list[MemberRead]] = {i: [] for i in ids}
    managers: dict[int, int] = {}
    if ids:
        for m in session.execute(
            select(HouseholdMember)
            .where(HouseholdMember.household_id.in_(ids))
            .order_by(HouseholdMember.id)
        ).scalars():
            members[m.household_id].append(MemberRead(name=m.name, age_band=m.age_band))
        shelter_ids = {h.shelter_id for h in households if h.shelter_id is not None}
        if shelter_ids:
            for shelter_id, agency_id in session.execute(
                select(Shelter.id, Shelter.agency_id).where(Shelter.id.in_(shelter_ids))
            ):
                managers[shelter_id] = agency_id
    directory = Directory(session)
    out = []
    for h in households:
        manages = who is not None and managers.get(h.shelter_id or 0) == who.agency_id
        out.append(
            HouseholdRead(
                id=h.id,
                reference=h.reference,
                size=h.size,
                head_name=h.head_name,
                phone=h.phone,
                needs=list(h.needs),
                note=h.note,
                national_id=h.national_id if manages else None,
                members=members[h.id],
                origin_lat=h.origin_lat,
                origin_lon=h.origin_lon,
                agency=directory.agency_code(h.agency_id),
                emergency_id=h.emergency_id,
                shelter_id=h.shelter_id,
                status=HouseholdStatus(h.status),
                assigned_at=h.assigned_at,
                checked_in_at=h.checked_in_at,
                checked_out_at=h.checked_out_at,
                created_at=h.created_at,
                version=h.version,
            )
        )
    return out


def read_one(session: Session, who: Principal, household: Household) -> HouseholdRead:
    return to_read(session, who, [household])[0]


def emit(
    uow: UnitOfWork, type_: str, household: Household, extra: dict[str, Any] | None = None
) -> None:
    """A household event, for those who may see the household. It carries no personal values
    (the event log is kept longer than evacuees' data may be): consoles that need the name or
    phone read the household through the API, where access is checked and recorded."""
    uow.session.flush()
    body = {
        "id": household.id,
        "reference": household.reference,
        "size": household.size,
        "needs": list(household.needs),
        "status": household.status,
        "shelter_id": household.shelter_id,
        "agency": Directory(uow.session).agency_code(household.agency_id),
        "version": household.version,
    }
    uow.emit(
        PendingEvent(
            type_,
            "shelter_household",
            str(household.id),
            {"household": body, **(extra or {})},
            audience(uow.session, household),
        )
    )


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit trail may keep of a household's values: personal ones only as 'set'."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in PERSONAL:
            out[key] = None if value is None else "[set]"
        else:
            out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def register(uow: UnitOfWork, who: Principal, data: HouseholdCreate) -> Household:
    require(who, Permission.SHELTER_DESK)
    session = uow.session
    if (data.origin_lat is None) != (data.origin_lon is None):
        raise field_problem(
            ["body", "origin_lon" if data.origin_lon is None else "origin_lat"], "missing"
        )
    if data.members and len(data.members) > data.size:
        raise field_problem(["body", "members"], "too_long", max_length=data.size)
    if data.emergency_id is not None:
        from tansiq.emergencies.models import Emergency

        if session.get(Emergency, data.emergency_id) is None:
            raise Problem(422, "unknown_reference", field="emergency_id", value=data.emergency_id)
    now = utcnow()
    reference = data.reference or f"H-{uuid4().hex[:10].upper()}"
    values: dict[str, Any] = {
        "reference": reference,
        "size": data.size,
        "head_name": data.head_name,
        "phone": data.phone,
        "needs": sorted(set(data.needs)),
        "note": data.note,
        "national_id": data.national_id,
        "origin_lat": data.origin_lat,
        "origin_lon": data.origin_lon,
        "agency_id": who.agency_id,
        "emergency_id": data.emergency_id,
        "status": HouseholdStatus.REGISTERED.value,
        "created_by": who.user_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    if session.execute(select(Household.id).where(Household.reference == reference)).first():
        raise Problem(409, "duplicate", field="reference", value=reference)
    try:
        result = session.execute(insert(Household).values(**values))
    except IntegrityError:  # a concurrent registration took the reference
        raise Problem(409, "duplicate", field="reference", value=reference) from None
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None
    household_id = int(key[0])
    if data.members:
        session.execute(
            insert(HouseholdMember),
            [
                {"household_id": household_id, "name": m.name, "age_band": m.age_band}
                for m in data.members
            ],
        )
    uow.audit(
        "shelter_households.insert",
        record_type="shelter_households",
        record_id=household_id,
        after={**_audited(values), "members": len(data.members)},
    )
    household = reload(session, household_id)
    emit(uow, "shelter.household_registered", household)
    return household


def update_household(
    uow: UnitOfWork, who: Principal, household_id: int, data: HouseholdUpdate, if_match: int | None
) -> Household:
    require(who, Permission.SHELTER_DESK)
    session = uow.session
    household = get_visible(session, who, household_id, lock=True)
    check_version(household, if_match)
    changes = data.model_dump(exclude_unset=True)
    for key in ("size", "head_name", "needs"):
        if key in changes and changes[key] is None:
            raise field_problem(["body", key], "missing")
    if "needs" in changes:
        changes["needs"] = sorted(set(changes["needs"]))
    if "national_id" in changes and not _manages(session, who, household):
        raise Problem(403, "shelter_national_id_managing_agency")
    changed = {k: v for k, v in changes.items() if getattr(household, k) != v}
    if not changed:
        return household
    lat = changed.get("origin_lat", household.origin_lat)
    lon = changed.get("origin_lon", household.origin_lon)
    if (lat is None) != (lon is None):
        raise field_problem(["body", "origin_lon" if lon is None else "origin_lat"], "missing")
    if "size" in changed and household.status in (
        HouseholdStatus.ASSIGNED,
        HouseholdStatus.CHECKED_IN,
    ):
        raise Problem(
            409, "household_size_locked", status=household.status, label_prefix="household_status"
        )
    before = {k: getattr(household, k) for k in changed}
    session.execute(
        update(Household)
        .where(Household.id == household.id)
        .values(**changed, version=Household.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    uow.audit(
        "shelter_households.update",
        record_type="shelter_households",
        record_id=household.id,
        before=_audited(before),
        after=_audited(changed),
    )
    household = reload(session, household.id)
    emit(uow, "shelter.household_updated", household, {"changed": sorted(changed)})
    return household


def _manages(session: Session, who: Principal, household: Household) -> bool:
    if household.shelter_id is None:
        return False
    shelter = session.get(Shelter, household.shelter_id)
    return shelter is not None and shelter.agency_id == who.agency_id


def search(
    session: Session,
    who: Principal,
    *,
    shelter_id: int | None,
    status: list[HouseholdStatus],
    reference: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Household], str | None]:
    require(who, Permission.READ)
    stmt = select(Household).where(visible(session, who))
    if shelter_id is not None:
        stmt = stmt.where(Household.shelter_id == shelter_id)
    if status:
        stmt = stmt.where(Household.status.in_([s.value for s in status]))
    if reference:
        stmt = stmt.where(Household.reference == reference)
    if cursor:
        (last,) = decode_cursor(cursor, 1)
        if not isinstance(last, int):
            raise Problem(400, "invalid_cursor")
        stmt = stmt.where(Household.id > last)
    rows = list(session.execute(stmt.order_by(Household.id).limit(limit + 1)).scalars())
    if len(rows) > limit:
        return rows[:limit], encode_cursor(rows[limit - 1].id)
    return rows, None


def purge(uow: UnitOfWork, who: Principal, retention_days: int = RETENTION_DAYS) -> int:
    """Delete households (members and stays with them) whose retention has run out: checked
    out, or registered and never sent anywhere, more than `retention_days` ago."""
    require(who, Permission.EMERGENCY_MANAGE)
    if retention_days < 0:
        raise field_problem(["body", "retention_days"], "greater_than_equal", ge=0)
    cutoff = utcnow() - timedelta(days=retention_days)
    expired = or_(
        and_(
            Household.status == HouseholdStatus.CHECKED_OUT.value, Household.checked_out_at < cutoff
        ),
        and_(Household.status == HouseholdStatus.REGISTERED.value, Household.updated_at < cutoff),
    )
    session = uow.session
    ids = list(session.execute(select(Household.id).where(expired).with_for_update()).scalars())
    if not ids:
        return 0
    from tansiq.shelters.models import Stay

    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        session.execute(delete(Stay).where(Stay.household_id.in_(part)))
        session.execute(delete(HouseholdMember).where(HouseholdMember.household_id.in_(part)))
        session.execute(delete(Household).where(Household.id.in_(part)))
    uow.audit(
        "shelter_households.purged",
        record_type="shelter_households",
        after={"count": len(ids), "retention_days": retention_days, "ids": ids[:1000]},
    )
    uow.emit(
        PendingEvent(
            "shelter.households_purged",
            "shelter_household",
            "purge",
            {"ids": ids},
            Audience(CLASSIFICATION, frozenset(_joint_rooms(session))),
        )
    )
    return len(ids)
