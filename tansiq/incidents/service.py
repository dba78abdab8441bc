"""Incident commands and queries. Every function takes the acting principal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance
from tansiq.access.policy import (
    Permission,
    Principal,
    load_visible,
    record_audience,
)
from tansiq.access.service import require
from tansiq.errors import Problem, not_found
from tansiq.events.types import PendingEvent
from tansiq.i18n.folding import fold
from tansiq.incidents.lifecycle import (
    OPEN_STATUSES,
    TIMESTAMP_COLUMN,
    IncidentStatus,
    allowed,
    next_statuses,
)
from tansiq.incidents.models import (
    Incident,
    IncidentCreate,
    IncidentRead,
    IncidentShare,
    IncidentUpdate,
    TimelineEntry,
    TimelineRead,
)
from tansiq.reference.models import IncidentType
from tansiq.reference.service import incident_type
from tansiq.store.base import utcnow
from tansiq.store.uow import UnitOfWork

_CLEARABLE = frozenset({"address", "area"})


def classification_of(name: str, who: Principal) -> int:
    level = Clearance.parse(name)
    if level > who.clearance:
        raise Problem(422, "classification_above_clearance", clearance=who.clearance.label)
    return int(level)


def _search_text(incident: Incident, itype: IncidentType, notes: str = "") -> str:
    parts = [
        itype.name_en,
        itype.name_ar,
        incident.description,
        incident.address or "",
        incident.area or "",
        notes,
    ]
    return fold(" ".join(p for p in parts if p))


def shared_agencies(session: Session, incident_id: int) -> set[int]:
    return set(
        session.execute(
            select(IncidentShare.agency_id).where(IncidentShare.record_id == incident_id)
        ).scalars()
    )


def get_visible(
    session: Session, who: Principal, incident_id: int, *, lock: bool = False
) -> Incident:
    """The incident if `who` may see it; 404 whether it is missing or hidden."""
    return load_visible(session, Incident, IncidentShare, who, incident_id, lock=lock)


def check_version(incident: Incident | Any, expected: int | None) -> None:
    if expected is not None and expected != incident.version:
        raise Problem(412, "etag_mismatch")


def to_read(
    session: Session, incidents: list[Incident], directory: Directory
) -> list[IncidentRead]:
    ids = [i.id for i in incidents]
    shares: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for record_id, agency_id in session.execute(
            select(IncidentShare.record_id, IncidentShare.agency_id)
            .where(IncidentShare.record_id.in_(ids))
            .order_by(IncidentShare.agency_id)
        ):
            shares[record_id].append(directory.agency_code(agency_id))
    names = directory.usernames(i.created_by for i in incidents)
    return [
        IncidentRead(
            id=i.id,
            type=i.type_code,
            priority=i.priority,
            status=IncidentStatus(i.status),
            lat=i.lat,
            lon=i.lon,
            address=i.address,
            area=i.area,
            description=i.description,
            agency=directory.agency_code(i.agency_id),
            classification=Clearance(i.classification).label,
            shared_with=shares[i.id],
            created_by=names.get(i.created_by, "?"),
            reported_at=i.reported_at,
            updated_at=i.updated_at,
            acknowledged_at=i.acknowledged_at,
            dispatched_at=i.dispatched_at,
            on_scene_at=i.on_scene_at,
            resolved_at=i.resolved_at,
            closed_at=i.closed_at,
            cancelled_at=i.cancelled_at,
            version=i.version,
            next_statuses=next_statuses(IncidentStatus(i.status)),
        )
        for i in incidents
    ]


def read_one(session: Session, incident: Incident) -> IncidentRead:
    return to_read(session, [incident], Directory(session))[0]


def emit_incident(
    uow: UnitOfWork,
    type_: str,
    incident: Incident,
    *,
    extra_agencies: set[int] | None = None,
    extra: dict[str, Any] | None = None,
) -> IncidentRead:
    """Append an event carrying the whole incident, seen by whoever may see the incident."""
    uow.session.flush()
    shared = shared_agencies(uow.session, incident.id)
    body = read_one(uow.session, incident)
    data: dict[str, Any] = {"incident": body.model_dump(mode="json"), **(extra or {})}
    audience = record_audience(
        incident.classification, incident.agency_id, shared | (extra_agencies or set())
    )
    uow.emit(PendingEvent(type_, "incident", str(incident.id), data, audience))
    return body


def add_timeline(
    uow: UnitOfWork,
    who: Principal,
    incident: Incident,
    kind: str,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    entry = TimelineEntry(
        incident_id=incident.id,
        kind=kind,
        author_id=who.user_id,
        text=text,
        data=data or {},
        at=utcnow(),
    )
    uow.session.add(entry)
    return entry


def create(uow: UnitOfWork, who: Principal, data: IncidentCreate) -> IncidentRead:
    """Report an incident; returns it as its event carries it (and as the API answers)."""
    require(who, Permission.INCIDENT_CREATE)
    session = uow.session
    directory = Directory(session)
    itype = incident_type(session, data.type)
    owner = directory.agency_id(data.agency) if data.agency else who.agency_id
    share_ids = {directory.agency_id(code, "share_with") for code in data.share_with}
    if owner != who.agency_id:
        share_ids.add(who.agency_id)  # reported for another agency: the reporter keeps sight of it
    share_ids.discard(owner)
    now = utcnow()
    incident = Incident(
        type_code=itype.code,
        priority=data.priority or itype.default_priority,
        status=IncidentStatus.REPORTED,
        lat=data.lat,
        lon=data.lon,
        address=data.address,
        area=data.area,
        description=data.description,
        agency_id=owner,
        classification=classification_of(data.classification, who),
        created_by=who.user_id,
        reported_at=now,
        updated_at=now,
        version=1,
    )
    incident.search_text = _search_text(incident, itype)
    session.add(incident)
    session.flush()
    for agency_id in sorted(share_ids):
        session.add(
            IncidentShare(record_id=incident.id, agency_id=agency_id, shared_by=who.user_id)
        )
    add_timeline(uow, who, incident, "status", "", {"status": IncidentStatus.REPORTED.value})
    return emit_incident(uow, "incident.created", incident)


def update(
    uow: UnitOfWork, who: Principal, incident_id: int, data: IncidentUpdate, if_match: int | None
) -> Incident:
    require(who, Permission.INCIDENT_UPDATE)
    session = uow.session
    incident = get_visible(session, who, incident_id, lock=True)
    check_version(incident, if_match)
    changes = data.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None and k not in _CLEARABLE)
    if nulls:
        raise Problem(
            422,
            "validation_failed",
            errors=[
                {
                    "loc": ["body", k],
                    "type": "null_not_allowed",
                    "msg": "may not be null",
                    "msg_ar": "لا يجوز أن تكون القيمة فارغة",
                }
                for k in nulls
            ],
        )
    if "type" in changes:
        changes["type_code"] = incident_type(session, changes.pop("type")).code
    if "classification" in changes:
        changes["classification"] = classification_of(changes["classification"], who)
    before = {k: getattr(incident, k) for k in changes}
    changed = {k: v for k, v in changes.items() if before[k] != v}
    if not changed:
        return incident
    old_classification = incident.classification
    for key, value in changed.items():
        setattr(incident, key, value)
    itype = incident_type(session, incident.type_code)
    incident.search_text = _search_text(incident, itype, _notes_text(session, incident.id))
    _touch(incident)
    add_timeline(
        uow,
        who,
        incident,
        "update",
        "",
        {"fields": sorted(changed), "before": _jsonable(before, changed)},
    )
    if incident.classification > old_classification:
        # Those who lose sight of it are told to drop it, and told nothing else.
        _withdraw(uow, incident, old_classification)
    emit_incident(uow, "incident.updated", incident, extra={"changed": sorted(changed)})
    return incident


def transition(
    uow: UnitOfWork,
    who: Principal,
    incident_id: int,
    target: IncidentStatus,
    note: str | None,
    if_match: int | None,
) -> Incident:
    require(who, Permission.INCIDENT_TRANSITION)
    incident = get_visible(uow.session, who, incident_id, lock=True)
    check_version(incident, if_match)
    move(uow, who, incident, target, note)
    return incident


def move(
    uow: UnitOfWork,
    who: Principal,
    incident: Incident,
    target: IncidentStatus,
    note: str | None = None,
) -> None:
    """Apply one lifecycle step (the caller has checked permission and visibility)."""
    current = IncidentStatus(incident.status)
    if not allowed(current, target):
        raise Problem(409, "illegal_transition", current=current.value, target=target.value)
    now = utcnow()
    incident.status = target.value
    setattr(incident, TIMESTAMP_COLUMN[target], now)
    _touch(incident, now)
    add_timeline(
        uow, who, incident, "status", note or "", {"from": current.value, "to": target.value}
    )
    if target not in OPEN_STATUSES:
        from tansiq.units.assignments import release_all  # units depend on incidents, not back

        release_all(uow, who, incident)
    emit_incident(
        uow, "incident.transitioned", incident, extra={"from": current.value, "to": target.value}
    )


def add_note(uow: UnitOfWork, who: Principal, incident_id: int, text: str) -> TimelineEntry:
    require(who, Permission.INCIDENT_NOTE)
    session = uow.session
    incident = get_visible(session, who, incident_id, lock=True)
    entry = add_timeline(uow, who, incident, "note", text)
    session.flush()
    incident.search_text = fold(f"{incident.search_text} {text}")
    incident.updated_at = utcnow()
    audience = record_audience(
        incident.classification, incident.agency_id, shared_agencies(session, incident.id)
    )
    uow.emit(
        PendingEvent(
            "incident.note_added",
            "incident",
            str(incident.id),
            {
                "incident_id": incident.id,
                "entry": timeline_read(entry, Directory(session)).model_dump(mode="json"),
            },
            audience,
        )
    )
    return entry


def share(uow: UnitOfWork, who: Principal, incident_id: int, agencies: list[str]) -> Incident:
    require(who, Permission.SHARE)
    session = uow.session
    incident = get_visible(session, who, incident_id, lock=True)
    if incident.agency_id != who.agency_id:
        raise Problem(403, "not_owner")
    directory = Directory(session)
    targets = {directory.agency_id(code, "agencies") for code in agencies} - {incident.agency_id}
    new = targets - shared_agencies(session, incident.id)
    if not new:
        return incident
    for agency_id in sorted(new):
        session.add(
            IncidentShare(record_id=incident.id, agency_id=agency_id, shared_by=who.user_id)
        )
    _touch(incident)
    codes = sorted(directory.agency_code(a) for a in new)
    add_timeline(uow, who, incident, "share", "", {"shared_with": codes})
    emit_incident(uow, "incident.shared", incident, extra={"shared_with": codes})
    return incident


def unshare(uow: UnitOfWork, who: Principal, incident_id: int, agency_code: str) -> Incident:
    require(who, Permission.SHARE)
    session = uow.session
    incident = get_visible(session, who, incident_id, lock=True)
    if incident.agency_id != who.agency_id:
        raise Problem(403, "not_owner")
    agency_id = Directory(session).agency_id(agency_code, "agency")
    share_row = session.get(IncidentShare, (incident.id, agency_id))
    if share_row is None:
        raise not_found()
    session.delete(share_row)
    _touch(incident)
    add_timeline(uow, who, incident, "share", "", {"unshared": agency_code})
    session.flush()
    uow.emit(
        PendingEvent(
            "incident.withdrawn",
            "incident",
            str(incident.id),
            {"incident_id": incident.id},
            record_audience(incident.classification, agency_id, set()),
        )
    )
    emit_incident(uow, "incident.updated", incident, extra={"changed": ["shared_with"]})
    return incident


def timeline(session: Session, who: Principal, incident_id: int) -> list[TimelineRead]:
    get_visible(session, who, incident_id)
    entries = list(
        session.execute(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        ).scalars()
    )
    directory = Directory(session)
    directory.usernames(e.author_id for e in entries)
    return [timeline_read(e, directory) for e in entries]


def timeline_read(e: TimelineEntry, directory: Directory) -> TimelineRead:
    return TimelineRead(
        id=e.id,
        at=e.at,
        kind=e.kind,
        author=directory.username(e.author_id),
        text=e.text,
        data=e.data,
    )


def _notes_text(session: Session, incident_id: int) -> str:
    return " ".join(
        session.execute(
            select(TimelineEntry.text).where(
                TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "note"
            )
        ).scalars()
    )


def _withdraw(uow: UnitOfWork, incident: Incident, old_classification: int) -> None:
    audience = record_audience(
        old_classification, incident.agency_id, shared_agencies(uow.session, incident.id)
    )
    uow.emit(
        PendingEvent(
            "incident.withdrawn",
            "incident",
            str(incident.id),
            {"incident_id": incident.id},
            audience,
        )
    )


def _touch(incident: Incident, now: datetime | None = None) -> None:
    incident.updated_at = now or utcnow()
    incident.version += 1


def _jsonable(before: dict[str, Any], keys: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in before.items() if k in keys
    }
