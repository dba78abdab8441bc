"""Response-time indicators: how fast incidents were dispatched and reached, in percentiles.

Per incident reported in the period:
- call to dispatch: from the report to the first unit sent;
- dispatch to arrival: from the first unit sent to the first unit on scene;
- total response: from the report to the first unit on scene.
Per assignment that arrived: the error of the travel time predicted when the unit was sent
(arrival minus dispatch, minus the prediction), which is what calibrating ETAs needs.

Incidents that were never dispatched, or never reached, count in `incidents` and not in the
times they lack; percentiles are over the incidents that have the time. Only incidents the
caller may see are counted (the same `visible()` rule as everywhere, inside the query); the
server's own command line counts everything, as it already holds the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from tansiq.access.directory import Directory
from tansiq.access.policy import Permission, Principal, visible
from tansiq.access.service import require
from tansiq.dispatch.schemas import KpiGroup, KpiReport, Percentiles
from tansiq.errors import field_problem
from tansiq.incidents.models import Incident, IncidentShare
from tansiq.units.models import Assignment

MAX_PERIOD_DAYS = 400


class Dimension(StrEnum):
    AGENCY = "agency"
    TYPE = "type"
    PRIORITY = "priority"
    AREA = "area"


def report(
    session: Session,
    who: Principal | None,
    start: datetime,
    end: datetime,
    *,
    by: Sequence[Dimension] = (),
    agency: Sequence[str] = (),
    type_: Sequence[str] = (),
    priority: Sequence[int] = (),
    area: Sequence[str] = (),
) -> KpiReport:
    """Percentiles per group over incidents reported in [start, end); `who=None` sees all."""
    if who is not None:
        require(who, Permission.ANALYTICS)
    if end <= start:
        raise field_problem(["query", "to"], "period_order")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise field_problem(["query", "from"], "period_too_long", limit=MAX_PERIOD_DAYS)
    directory = Directory(session)
    first = (
        select(
            Assignment.incident_id,
            func.min(Assignment.assigned_at).label("sent"),
            func.min(Assignment.on_scene_at).label("arrived"),
        )
        .group_by(Assignment.incident_id)
        .subquery()
    )
    where: list[ColumnElement[bool]] = [Incident.reported_at >= start, Incident.reported_at < end]
    if who is not None:
        where.append(visible(Incident, IncidentShare, who))
    if agency:
        where.append(Incident.agency_id.in_([directory.agency_id(a, "agency") for a in agency]))
    if type_:
        where.append(Incident.type_code.in_(type_))
    if priority:
        where.append(Incident.priority.in_(priority))
    if area:
        where.append(Incident.area.in_(area))
    rows = session.execute(
        select(
            Incident.agency_id,
            Incident.type_code,
            Incident.priority,
            Incident.area,
            Incident.reported_at,
            first.c.sent,
            first.c.arrived,
        )
        .outerjoin(first, first.c.incident_id == Incident.id)
        .where(*where)
    ).all()
    errors = session.execute(
        select(
            Incident.agency_id,
            Incident.type_code,
            Incident.priority,
            Incident.area,
            Assignment.assigned_at,
            Assignment.on_scene_at,
            Assignment.predicted_eta_s,
        )
        .join(Assignment, Assignment.incident_id == Incident.id)
        .where(
            *where,
            Assignment.on_scene_at.is_not(None),
            Assignment.predicted_eta_s.is_not(None),
        )
    ).all()

    def key(agency_id: int, type_code: str, prio: int, place: str | None) -> tuple[str, ...]:
        values = {
            Dimension.AGENCY: directory.agency_code(agency_id),
            Dimension.TYPE: type_code,
            Dimension.PRIORITY: f"P{prio}",
            Dimension.AREA: place or "",
        }
        return tuple(values[d] for d in by)

    times: dict[tuple[str, ...], dict[str, list[float]]] = defaultdict(
        lambda: {"incidents": [], "call_to_dispatch": [], "dispatch_to_arrival": [], "total": []}
    )
    for agency_id, type_code, prio, place, reported, sent, arrived in rows:
        t = times[key(agency_id, type_code, prio, place)]
        t["incidents"].append(1.0)
        if sent is not None:
            t["call_to_dispatch"].append((sent - reported).total_seconds())
        if sent is not None and arrived is not None:
            t["dispatch_to_arrival"].append((arrived - sent).total_seconds())
            t["total"].append((arrived - reported).total_seconds())
    eta_errors: dict[tuple[str, ...], list[float]] = defaultdict(list)
    for agency_id, type_code, prio, place, sent, arrived, predicted in errors:
        if arrived is None or predicted is None:  # excluded by the query; for the type checker
            continue
        travel = (arrived - sent).total_seconds()
        eta_errors[key(agency_id, type_code, prio, place)].append(travel - predicted)
    groups = [
        KpiGroup(
            key=dict(zip(by, k, strict=True)),
            incidents=len(t["incidents"]),
            dispatched=len(t["call_to_dispatch"]),
            arrived=len(t["total"]),
            call_to_dispatch_s=_percentiles(t["call_to_dispatch"]),
            dispatch_to_arrival_s=_percentiles(t["dispatch_to_arrival"]),
            total_response_s=_percentiles(t["total"]),
            eta_error_s=_percentiles(eta_errors.get(k, [])),
            eta_abs_error_s=_percentiles([abs(e) for e in eta_errors.get(k, [])]),
        )
        for k, t in sorted(times.items())
    ]
    return KpiReport(start=start, end=end, by=[d.value for d in by], groups=groups)


def _percentiles(values: list[float]) -> Percentiles:
    if not values:
        return Percentiles(n=0, p50=None, p90=None)
    p50, p90 = np.percentile(np.asarray(values), [50, 90])
    return Percentiles(n=len(values), p50=round(float(p50), 1), p90=round(float(p90), 1))


def as_rows(report_: KpiReport) -> list[dict[str, Any]]:
    """One flat row per group, for tables and CSV."""
    out = []
    for g in report_.groups:
        row: dict[str, Any] = dict(g.key)
        row |= {"incidents": g.incidents, "dispatched": g.dispatched, "arrived": g.arrived}
        for name in ("call_to_dispatch_s", "dispatch_to_arrival_s", "total_response_s"):
            p: Percentiles = getattr(g, name)
            row[f"{name[:-2]}_p50_s"], row[f"{name[:-2]}_p90_s"] = p.p50, p.p90
        row["eta_abs_error_p50_s"] = g.eta_abs_error_s.p50
        row["eta_error_p50_s"] = g.eta_error_s.p50
        out.append(row)
    return out
