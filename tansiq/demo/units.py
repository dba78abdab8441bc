"""Demo units: patrols, engines, boats, aircraft and posts, shared with the joint room."""

from __future__ import annotations

from sqlalchemy import select

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance, User
from tansiq.demo.places import AREAS
from tansiq.events.types import PendingEvent
from tansiq.store.uow import UnitOfWork
from tansiq.units.models import Unit, UnitShare

# agency code, unit type, callsign prefix, count
FLEET: tuple[tuple[str, str, str, int], ...] = (
    ("public_security", "patrol_car", "PS", 10),
    ("traffic", "patrol_car", "TR", 4),
    ("traffic", "motorcycle", "TM", 4),
    ("criminal_security", "patrol_car", "CS", 3),
    ("fire_marine_rescue", "fire_engine", "FE", 4),
    ("fire_marine_rescue", "rescue_boat", "RB", 2),
    ("civil_defence", "fire_engine", "CD", 2),
    ("border_coast", "border_post", "BP", 2),
    ("operations", "helicopter", "HL", 1),
    ("operations", "drone", "DR", 2),
)


def seed_units(uow: UnitOfWork) -> int:
    """Register the demo fleet once; returns how many units were added."""
    session = uow.session
    if session.execute(select(Unit.id).limit(1)).first() is not None:
        return 0
    directory = Directory(session)
    joint = directory.agency_id("joint_ops_room")
    admin_id = session.execute(select(User.id).where(User.username == "admin")).scalar_one()
    added = 0
    for agency, utype, prefix, count in FLEET:
        for n in range(1, count + 1):
            _, _, lat, lon = AREAS[(added * 5) % len(AREAS)]
            unit = Unit(
                callsign=f"{prefix}-{n:02d}",
                type_code=utype,
                agency_id=directory.agency_id(agency),
                classification=int(Clearance.RESTRICTED),
                lat=lat,
                lon=lon,
            )
            session.add(unit)
            session.flush()
            session.add(UnitShare(record_id=unit.id, agency_id=joint, shared_by=admin_id))
            added += 1
    uow.emit(PendingEvent("demo.seeded", "demo", "units", {"units": added}))
    return added
