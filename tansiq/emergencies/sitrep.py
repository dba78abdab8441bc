"""Situation reports: the state of an emergency as of a time, for commanders.

One report model, rendered from one Jinja2 template to HTML in Arabic (right to left) or English,
and to PDF with WeasyPrint (Pango shapes the Arabic). Counts cover what the reader may see:
linked incidents outside their visibility are not counted.

As of a past time: incident statuses come from each incident's timeline, units from assignment
and deployment times, casualties from each source's latest report by then. Links are the
current ones made by then (an unlinked incident no longer counts), and shelter figures are
the shelters domain's current ones, which the report says.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tansiq.access.policy import Principal, visible
from tansiq.emergencies import service, shelters_link
from tansiq.emergencies.models import (
    CasualtyReport,
    Deployment,
    EmergencyIncident,
    EmergencyTimeline,
)
from tansiq.errors import Problem
from tansiq.i18n.catalogue import Language, label, message
from tansiq.incidents.lifecycle import IncidentStatus
from tansiq.incidents.models import Incident, IncidentShare
from tansiq.incidents.models import TimelineEntry as IncidentTimeline
from tansiq.store.base import utcnow
from tansiq.units.models import Assignment

TIMELINE_LINES = 15


class ShelterLine(BaseModel):
    name: str
    capacity: int
    occupancy: int
    status: str


class CasualtyLine(BaseModel):
    source: str
    reported_at: datetime
    injured: int
    dead: int
    missing: int
    evacuated: int


class AreaLine(BaseModel):
    name: str
    valid_from: datetime | None
    valid_to: datetime | None
    current: bool


class TimelineLine(BaseModel):
    at: datetime
    kind: str
    text: str


class Sitrep(BaseModel):
    emergency_id: int
    title: str
    title_ar: str
    kind: str
    severity: str
    status: str
    lead_agency: str
    participating_agencies: list[str]
    as_of: datetime
    generated_at: datetime
    incidents_total: int
    incidents_by_status: dict[str, int]
    units_on_incidents: int
    units_deployed: int
    units_total: int
    shelters_available: bool
    shelters: list[ShelterLine]
    shelter_capacity: int
    shelter_occupancy: int
    casualties: dict[str, int]
    casualty_sources: list[CasualtyLine]
    areas: list[AreaLine]
    timeline: list[TimelineLine]


def build(
    session: Session, who: Principal, emergency_id: int, as_of: datetime | None = None
) -> Sitrep:
    now = utcnow()
    at = min(as_of or now, now)
    emergency = service.get_visible(session, who, emergency_id)
    body = service.read_one(session, emergency)
    incident_ids = list(
        session.execute(
            select(Incident.id)
            .join(EmergencyIncident, EmergencyIncident.incident_id == Incident.id)
            .where(
                EmergencyIncident.emergency_id == emergency_id,
                EmergencyIncident.linked_at <= at,
                Incident.reported_at <= at,
                visible(Incident, IncidentShare, who),
            )
        ).scalars()
    )
    statuses = _statuses_at(session, incident_ids, at)
    by_status = Counter(statuses.values())
    on_incidents = set(
        session.execute(
            select(Assignment.unit_id).where(
                Assignment.incident_id.in_(incident_ids),
                Assignment.assigned_at <= at,
                or_(Assignment.released_at.is_(None), Assignment.released_at > at),
            )
        ).scalars()
    )
    deployed = set(
        session.execute(
            select(Deployment.unit_id).where(
                Deployment.emergency_id == emergency_id,
                Deployment.deployed_at <= at,
                or_(Deployment.released_at.is_(None), Deployment.released_at > at),
            )
        ).scalars()
    )
    shelters = shelters_link.summary(session, emergency_id)
    lines = [
        ShelterLine(name=s.name, capacity=s.capacity, occupancy=s.occupancy, status=s.status)
        for s in shelters or []
    ]
    latest: dict[str, CasualtyReport] = {}
    for r in session.execute(
        select(CasualtyReport)
        .where(CasualtyReport.emergency_id == emergency_id, CasualtyReport.reported_at <= at)
        .order_by(CasualtyReport.reported_at, CasualtyReport.id)
    ).scalars():
        latest[r.source] = r  # each source's newest figures replace its older ones
    sources = [
        CasualtyLine(
            source=r.source,
            reported_at=r.reported_at,
            injured=r.injured,
            dead=r.dead,
            missing=r.missing,
            evacuated=r.evacuated,
        )
        for r in sorted(latest.values(), key=lambda r: r.source)
    ]
    entries = list(
        session.execute(
            select(EmergencyTimeline)
            .where(EmergencyTimeline.emergency_id == emergency_id, EmergencyTimeline.at <= at)
            .order_by(EmergencyTimeline.at.desc(), EmergencyTimeline.id.desc())
            .limit(TIMELINE_LINES)
        ).scalars()
    )
    return Sitrep(
        emergency_id=body.id,
        title=body.title,
        title_ar=body.title_ar,
        kind=body.kind.value,
        severity=body.severity.value,
        status=_status_at(session, emergency_id, at, body.status.value),
        lead_agency=body.lead_agency,
        participating_agencies=body.participating_agencies,
        as_of=at,
        generated_at=now,
        incidents_total=len(statuses),
        incidents_by_status={s.value: by_status.get(s.value, 0) for s in IncidentStatus},
        units_on_incidents=len(on_incidents),
        units_deployed=len(deployed),
        units_total=len(on_incidents | deployed),
        shelters_available=shelters is not None,
        shelters=lines,
        shelter_capacity=sum(s.capacity for s in lines),
        shelter_occupancy=sum(s.occupancy for s in lines),
        casualties={
            k: sum(getattr(s, k) for s in sources)
            for k in ("injured", "dead", "missing", "evacuated")
        },
        casualty_sources=sources,
        areas=[
            AreaLine(
                name=a.name or f"#{a.id}",
                valid_from=a.valid_from,
                valid_to=a.valid_to,
                current=(a.valid_from is None or a.valid_from <= at)
                and (a.valid_to is None or at <= a.valid_to),
            )
            for a in body.areas
        ],
        timeline=[TimelineLine(at=e.at, kind=e.kind, text=e.text) for e in reversed(entries)],
    )


def _statuses_at(session: Session, incident_ids: list[int], at: datetime) -> dict[int, str]:
    """Each incident's status at `at`, from its timeline's status entries."""
    out: dict[int, str] = {}
    if not incident_ids:
        return out
    rows = session.execute(
        select(IncidentTimeline.incident_id, IncidentTimeline.data)
        .where(
            IncidentTimeline.incident_id.in_(incident_ids),
            IncidentTimeline.kind == "status",
            IncidentTimeline.at <= at,
        )
        .order_by(IncidentTimeline.at, IncidentTimeline.id)
    )
    for incident_id, data in rows:
        status = data.get("to") or data.get("status")
        if status:
            out[incident_id] = str(status)
    return out


def _status_at(session: Session, emergency_id: int, at: datetime, current: str) -> str:
    rows = session.execute(
        select(EmergencyTimeline.data)
        .where(
            EmergencyTimeline.emergency_id == emergency_id,
            EmergencyTimeline.kind == "status",
            EmergencyTimeline.at <= at,
        )
        .order_by(EmergencyTimeline.at, EmergencyTimeline.id)
    ).scalars()
    status = current
    for data in rows:
        status = str(data.get("to") or data.get("status") or status)
    return status


# --- rendering ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tansiq.emergencies", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(report: Sitrep, lang: Language) -> str:
    """The report as a standalone HTML page (no external resources) in `lang`."""

    def t(key: str, **params: Any) -> str:
        return message(f"sitrep.{key}", lang, **params)

    def lab(prefix: str, value: object) -> str:
        return label(prefix, value, lang)

    def when(value: datetime | None) -> str:
        return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")

    title = (report.title_ar or report.title) if lang == "ar" else report.title
    return (
        _environment()
        .get_template("sitrep.html")
        .render(
            r=report,
            lang=lang,
            dir="rtl" if lang == "ar" else "ltr",
            title=title,
            t=t,
            lab=lab,
            when=when,
        )
    )


def render_pdf(html: str) -> bytes:
    """The HTML as PDF; WeasyPrint lays Arabic out with Pango and HarfBuzz."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except OSError as exc:  # the Pango libraries are missing on this machine
        raise Problem(503, "sitrep_pdf_unavailable", reason=str(exc)[:200]) from exc
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
