"""Seeding reference data: adds what is missing, never overwrites an administrator's edit."""

from __future__ import annotations

from sqlalchemy import select

from tansiq.access.models import Agency
from tansiq.reference.models import IncidentType, UnitType
from tansiq.reference.seed_data import AGENCIES, INCIDENT_TYPES, UNIT_TYPES
from tansiq.store.uow import UnitOfWork


def seed_reference(uow: UnitOfWork) -> int:
    """Insert the built-in agencies, incident types and unit types; return how many were new."""
    session = uow.session
    agencies = {a.code: a for a in session.execute(select(Agency)).scalars()}
    added = 0
    for code, name_en, name_ar, kind in AGENCIES:
        if code not in agencies:
            agencies[code] = Agency(code=code, name_en=name_en, name_ar=name_ar, kind=kind)
            session.add(agencies[code])
            added += 1
    session.flush()
    known_types = set(session.execute(select(IncidentType.code)).scalars())
    for code, name_en, name_ar, lead, priority in INCIDENT_TYPES:
        if code not in known_types:
            session.add(
                IncidentType(
                    code=code,
                    name_en=name_en,
                    name_ar=name_ar,
                    lead_agency_id=agencies[lead].id,
                    default_priority=priority,
                )
            )
            added += 1
    known_units = set(session.execute(select(UnitType.code)).scalars())
    for code, name_en, name_ar, capabilities in UNIT_TYPES:
        if code not in known_units:
            session.add(
                UnitType(
                    code=code, name_en=name_en, name_ar=name_ar, capabilities=list(capabilities)
                )
            )
            added += 1
    return added
