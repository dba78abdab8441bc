"""Public-awareness campaigns: topic, audience, areas, channels, period and messages, linked to
an emergency or to incident types so their effect can be examined later (e.g. incidents of those
types in those areas before, during and after the period).

Campaign records are planning records of an agency, visible like incidents (owner, shares,
classification; public by default); what they say is public.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance
from tansiq.access.policy import Permission, Principal, load_visible, record_audience, visible
from tansiq.access.service import require
from tansiq.emergencies import areas as geo
from tansiq.emergencies import service as emergencies
from tansiq.emergencies.models import Campaign, CampaignShare
from tansiq.emergencies.schemas import (
    CampaignCreate,
    CampaignMessage,
    CampaignRead,
    CampaignUpdate,
    Channel,
)
from tansiq.errors import Problem, field_error, field_problem, require_aware
from tansiq.events.types import PendingEvent
from tansiq.incidents.service import check_version, classification_of
from tansiq.reference.service import incident_type
from tansiq.store.base import utcnow
from tansiq.store.paging import decode_cursor, encode_cursor
from tansiq.store.uow import UnitOfWork


def get_visible(
    session: Session, who: Principal, campaign_id: int, *, lock: bool = False
) -> Campaign:
    require(who, Permission.READ)
    return load_visible(session, Campaign, CampaignShare, who, campaign_id, lock=lock)


def _shares(session: Session, ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for record_id, agency_id in session.execute(
            select(CampaignShare.record_id, CampaignShare.agency_id)
            .where(CampaignShare.record_id.in_(ids))
            .order_by(CampaignShare.agency_id)
        ):
            out[record_id].append(agency_id)
    return out


def state_at(c: Campaign, at: datetime) -> str:
    if at < c.starts_at:
        return "planned"
    return "running" if at <= c.ends_at else "ended"


def to_read(session: Session, rows: list[Campaign]) -> list[CampaignRead]:
    directory = Directory(session)
    shares = _shares(session, [c.id for c in rows])
    names = directory.usernames(c.created_by for c in rows if c.created_by is not None)
    now = utcnow()
    return [
        CampaignRead(
            id=c.id,
            topic=c.topic,
            topic_ar=c.topic_ar,
            audience=c.audience,
            channels=[Channel(ch) for ch in c.channels],
            areas=None if c.areas_geojson is None else geo.to_geojson(c.areas_geojson),
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            state=state_at(c, now),
            emergency_id=c.emergency_id,
            incident_types=list(c.incident_types),
            messages=[CampaignMessage.model_validate(m) for m in c.messages],
            agency=directory.agency_code(c.agency_id),
            classification=Clearance(c.classification).label,
            shared_with=[directory.agency_code(a) for a in shares[c.id]],
            created_by=None if c.created_by is None else names.get(c.created_by, "?"),
            created_at=c.created_at,
            updated_at=c.updated_at,
            version=c.version,
        )
        for c in rows
    ]


def read_one(session: Session, c: Campaign) -> CampaignRead:
    return to_read(session, [c])[0]


def _emit(uow: UnitOfWork, type_: str, c: Campaign, old_classification: int | None = None) -> None:
    uow.session.flush()
    shared = set(_shares(uow.session, [c.id])[c.id])
    if old_classification is not None and c.classification > old_classification:
        uow.emit(
            PendingEvent(
                "campaign.withdrawn",
                "campaign",
                str(c.id),
                {"campaign_id": c.id},
                record_audience(old_classification, c.agency_id, shared),
            )
        )
    data = {"campaign": read_one(uow.session, c).model_dump(mode="json")}
    uow.emit(
        PendingEvent(
            type_,
            "campaign",
            str(c.id),
            data,
            record_audience(c.classification, c.agency_id, shared),
        )
    )


def _check_period(starts_at: datetime, ends_at: datetime) -> None:
    require_aware("body", starts_at=starts_at, ends_at=ends_at)
    if ends_at <= starts_at:
        raise field_problem(["body", "ends_at"], "period_end_before_start")


def _check_messages(messages: list[CampaignMessage]) -> list[dict[str, Any]]:
    empty = [i for i, m in enumerate(messages) if not (m.en or m.ar)]
    if empty:
        raise Problem(
            422,
            "validation_failed",
            errors=[field_error(["body", "messages", i], "message_empty") for i in empty],
        )
    return [m.model_dump(mode="json") for m in messages]


def _check_types(session: Session, codes: list[str]) -> list[str]:
    for i, code in enumerate(codes):
        incident_type(session, code, f"incident_types[{i}]")
    return sorted(set(codes))


def _check_emergency(session: Session, who: Principal, emergency_id: int | None) -> None:
    if emergency_id is None:
        return
    try:
        emergencies.get_visible(session, who, emergency_id)
    except Problem as exc:  # hidden or missing: the same answer, naming the field
        if exc.status != 404:
            raise
        raise Problem(
            422, "unknown_reference", field="emergency_id", value=str(emergency_id)
        ) from exc


def _areas(value: dict[str, Any] | None) -> str | None:
    return None if value is None else geo.check(value, "areas").geojson


def _channels(channels: list[Channel]) -> list[str]:
    return list(dict.fromkeys(c.value for c in channels))


def create(uow: UnitOfWork, who: Principal, data: CampaignCreate) -> Campaign:
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    _check_period(data.starts_at, data.ends_at)
    areas = _areas(data.areas)
    messages = _check_messages(data.messages)
    types = _check_types(session, data.incident_types)
    _check_emergency(session, who, data.emergency_id)
    directory = Directory(session)
    owner = directory.agency_id(data.agency) if data.agency else who.agency_id
    share_ids = {directory.agency_id(code, "share_with") for code in data.share_with}
    if owner != who.agency_id:
        share_ids.add(who.agency_id)
    share_ids.discard(owner)
    now = utcnow()
    c = Campaign(
        topic=data.topic,
        topic_ar=data.topic_ar,
        audience=data.audience,
        channels=_channels(data.channels),
        areas_geojson=areas,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        emergency_id=data.emergency_id,
        incident_types=types,
        messages=messages,
        agency_id=owner,
        classification=classification_of(data.classification, who),
        created_by=who.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    session.add(c)
    session.flush()
    for agency_id in sorted(share_ids):
        session.add(CampaignShare(record_id=c.id, agency_id=agency_id, shared_by=who.user_id))
    _emit(uow, "campaign.created", c)
    return c


def update(
    uow: UnitOfWork, who: Principal, campaign_id: int, data: CampaignUpdate, if_match: int | None
) -> Campaign:
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    c = get_visible(session, who, campaign_id, lock=True)
    check_version(c, if_match)
    changes = data.model_dump(exclude_unset=True)
    nulls = sorted(
        k for k, v in changes.items() if v is None and k not in {"areas", "emergency_id"}
    )
    if nulls:
        raise Problem(
            422,
            "validation_failed",
            errors=[field_error(["body", k], "missing") for k in nulls],
        )
    _check_period(changes.get("starts_at", c.starts_at), changes.get("ends_at", c.ends_at))
    values: dict[str, Any] = {}
    for key in ("topic", "topic_ar", "audience", "starts_at", "ends_at"):
        if key in changes:
            values[key] = changes[key]
    if "channels" in changes:
        values["channels"] = _channels(data.channels or [])
    if "areas" in changes:
        values["areas_geojson"] = _areas(data.areas)
    if "messages" in changes:
        values["messages"] = _check_messages(data.messages or [])
    if "incident_types" in changes:
        values["incident_types"] = _check_types(session, data.incident_types or [])
    if "emergency_id" in changes:
        _check_emergency(session, who, data.emergency_id)
        values["emergency_id"] = data.emergency_id
    if "classification" in changes:
        values["classification"] = classification_of(changes["classification"], who)
    changed = {k: v for k, v in values.items() if getattr(c, k) != v}
    if not changed:
        return c
    old_classification = c.classification
    for key, value in changed.items():
        setattr(c, key, value)
    c.updated_at = utcnow()
    c.version += 1
    _emit(uow, "campaign.updated", c, old_classification)
    return c


def delete(uow: UnitOfWork, who: Principal, campaign_id: int) -> None:
    """Remove a campaign recorded by mistake (the audit trail keeps what it was)."""
    require(who, Permission.EMERGENCY_MANAGE)
    session = uow.session
    c = get_visible(session, who, campaign_id, lock=True)
    if c.agency_id != who.agency_id:
        raise Problem(403, "not_owner")
    audience = record_audience(c.classification, c.agency_id, set(_shares(session, [c.id])[c.id]))
    session.delete(c)
    session.flush()
    uow.emit(
        PendingEvent(
            "campaign.deleted", "campaign", str(campaign_id), {"campaign_id": campaign_id}, audience
        )
    )


def search(
    session: Session,
    who: Principal,
    *,
    emergency_id: int | None = None,
    incident_type_code: str | None = None,
    channel: Channel | None = None,
    active_at: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Campaign], str | None]:
    """Campaigns `who` may see, newest first; filters narrow in SQL except the JSON lists."""
    require(who, Permission.READ)
    stmt = select(Campaign).where(visible(Campaign, CampaignShare, who))
    if emergency_id is not None:
        stmt = stmt.where(Campaign.emergency_id == emergency_id)
    if active_at is not None:
        stmt = stmt.where(and_(Campaign.starts_at <= active_at, Campaign.ends_at >= active_at))
    if cursor:
        (last_id,) = decode_cursor(cursor, 1)
        if not isinstance(last_id, int):
            raise Problem(400, "invalid_cursor")
        stmt = stmt.where(Campaign.id < last_id)
    rows: list[Campaign] = []
    # JSON list membership is filtered here (portable across both databases), page by page.
    for c in session.execute(stmt.order_by(Campaign.id.desc())).scalars():
        if incident_type_code is not None and incident_type_code not in c.incident_types:
            continue
        if channel is not None and channel.value not in c.channels:
            continue
        rows.append(c)
        if len(rows) > limit:
            break
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
