"""A small live scenario: patrols moving, incidents appearing and being worked to closure.

It drives the same services as the API, as each agency's demo dispatcher, so everything it does
appears in the live feed and the audit of a real installation would.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tansiq.access.models import Agency, Role, User
from tansiq.access.policy import Principal
from tansiq.access.service import principal_of
from tansiq.audit.context import acting_as
from tansiq.demo.accounts import demo_username
from tansiq.demo.places import AREAS, DESCRIPTIONS
from tansiq.errors import Problem
from tansiq.incidents import service as incidents
from tansiq.incidents.lifecycle import IncidentStatus
from tansiq.incidents.models import Incident, IncidentCreate
from tansiq.reference.models import IncidentType
from tansiq.store.base import utcnow
from tansiq.store.db import Store
from tansiq.store.uow import UnitOfWork
from tansiq.units import assignments
from tansiq.units import service as units
from tansiq.units.models import Assignment, PositionReport, Unit, UnitStatus

logger = logging.getLogger(__name__)
BOX = (29.26, 47.92, 29.39, 48.09)  # south, west, north, east: Kuwait City and its suburbs
MAX_OPEN = 12
METRES_PER_DEGREE = 111_320.0


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dx = (lon2 - lon1) * METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * METRES_PER_DEGREE
    return math.hypot(dx, dy)


class Scenario:
    def __init__(self, tick_seconds: float = 2.0, seed: int | None = None) -> None:
        self.tick_seconds = tick_seconds
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._dispatchers: dict[int, Principal] = {}

    async def start(self, app: Any) -> Callable[[], Awaitable[None]]:
        store: Store = app.state.store
        thread = threading.Thread(
            target=self._run, args=(store,), name="demo-scenario", daemon=True
        )
        thread.start()

        async def stop() -> None:
            self._stop.set()
            await asyncio.to_thread(thread.join, 10)

        return stop

    def _run(self, store: Store) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick(store)
            except Exception:  # a failed tick must not end the demo
                logger.exception("demo scenario tick failed")

    def _dispatcher(self, store: Store, agency_id: int) -> Principal:
        if agency_id not in self._dispatchers:
            with store.read() as session:
                code = session.execute(
                    select(Agency.code).where(Agency.id == agency_id)
                ).scalar_one()
                user = session.execute(
                    select(User).where(User.username == demo_username(Role.DISPATCHER, code))
                ).scalar_one()
                self._dispatchers[agency_id] = principal_of(user)
        return self._dispatchers[agency_id]

    @contextmanager
    def _acting(self, store: Store, who: Principal) -> Iterator[UnitOfWork]:
        """A unit of work audited as the demo dispatcher it acts for."""
        with acting_as(who, client="demo-scenario"), store.write() as uow:
            yield uow

    def tick(self, store: Store) -> None:
        self._move_units(store)
        self._work_incidents(store)
        self._maybe_report(store)

    def _move_units(self, store: Store) -> None:
        with store.read() as session:
            rows = session.execute(
                select(Unit, Incident)
                .outerjoin(
                    Assignment, (Assignment.unit_id == Unit.id) & Assignment.released_at.is_(None)
                )
                .outerjoin(Incident, Incident.id == Assignment.incident_id)
            ).all()
        for unit, incident in rows:
            if unit.lat is None or unit.lon is None or unit.type_code == "border_post":
                continue
            who = self._dispatcher(store, unit.agency_id)
            if incident is None:
                lat = min(max(unit.lat + self.rng.uniform(-8e-4, 8e-4), BOX[0]), BOX[2])
                lon = min(max(unit.lon + self.rng.uniform(-8e-4, 8e-4), BOX[1]), BOX[3])
            else:
                remaining = _distance_m(unit.lat, unit.lon, incident.lat, incident.lon)
                step = min(1.0, 450.0 / max(remaining, 1.0))
                lat = unit.lat + (incident.lat - unit.lat) * step
                lon = unit.lon + (incident.lon - unit.lon) * step
            try:
                with self._acting(store, who) as uow:
                    units.report_position(
                        uow,
                        who,
                        unit.id,
                        PositionReport(lat=lat, lon=lon, speed=12.0 if incident else 4.0),
                    )
                if incident is not None:
                    self._progress_unit(store, who, unit, incident, lat, lon)
            except Problem as problem:
                logger.debug("demo unit %s: %s", unit.callsign, problem)

    def _progress_unit(
        self, store: Store, who: Principal, unit: Unit, incident: Incident, lat: float, lon: float
    ) -> None:
        arrived = _distance_m(lat, lon, incident.lat, incident.lon) < 60
        with self._acting(store, who) as uow:
            if unit.status == UnitStatus.DISPATCHED:
                units.report_status(uow, who, unit.id, UnitStatus.EN_ROUTE)
            elif arrived and unit.status == UnitStatus.EN_ROUTE:
                units.report_status(uow, who, unit.id, UnitStatus.ON_SCENE)
                owner = self._dispatcher(store, incident.agency_id)
                current = incidents.get_visible(uow.session, owner, incident.id, lock=True)
                if current.status == IncidentStatus.DISPATCHED:
                    incidents.move(
                        uow, owner, current, IncidentStatus.ON_SCENE, "وصلت الوحدة إلى الموقع"
                    )

    def _work_incidents(self, store: Store) -> None:
        now = utcnow()
        with store.read() as session:
            active = list(
                session.execute(
                    select(Incident).where(
                        Incident.status.in_(["reported", "acknowledged", "on_scene", "resolved"])
                    )
                ).scalars()
            )
        for incident in active:
            who = self._dispatcher(store, incident.agency_id)
            try:
                with self._acting(store, who) as uow:
                    current = incidents.get_visible(uow.session, who, incident.id, lock=True)
                    status = IncidentStatus(current.status)
                    if status in (IncidentStatus.REPORTED, IncidentStatus.ACKNOWLEDGED):
                        unit = self._nearest_available(uow.session, current)
                        if unit is not None:
                            assignments.assign(uow, who, current.id, unit.id)
                        elif status == IncidentStatus.REPORTED:
                            incidents.move(uow, who, current, IncidentStatus.ACKNOWLEDGED)
                    elif (
                        status == IncidentStatus.ON_SCENE
                        and current.on_scene_at
                        and now - current.on_scene_at > timedelta(seconds=12 * self.tick_seconds)
                    ):
                        incidents.move(uow, who, current, IncidentStatus.RESOLVED, "تمت المعالجة")
                    elif (
                        status == IncidentStatus.RESOLVED
                        and current.resolved_at
                        and now - current.resolved_at > timedelta(seconds=8 * self.tick_seconds)
                    ):
                        incidents.move(uow, who, current, IncidentStatus.CLOSED)
            except Problem as problem:
                logger.debug("demo incident %s: %s", incident.id, problem)

    def _nearest_available(self, session: Any, incident: Incident) -> Unit | None:
        candidates = (
            session.execute(
                select(Unit).where(
                    Unit.agency_id == incident.agency_id,
                    Unit.status == UnitStatus.AVAILABLE,
                    Unit.lat.is_not(None),
                )
            )
            .scalars()
            .all()
        )
        if not candidates:
            return None
        nearest: Unit = min(
            candidates, key=lambda u: _distance_m(u.lat, u.lon, incident.lat, incident.lon)
        )
        return nearest

    def _maybe_report(self, store: Store) -> None:
        with store.read() as session:
            open_count = session.execute(
                select(Incident.id).where(
                    Incident.status.in_(["reported", "acknowledged", "dispatched", "on_scene"])
                )
            ).all()
            types = {
                t.code: t
                for t in session.execute(select(IncidentType)).scalars()
                if t.code in DESCRIPTIONS
            }
            joint = session.execute(
                select(Agency.id).where(Agency.code == "joint_ops_room")
            ).scalar_one()
        if len(open_count) >= MAX_OPEN or self.rng.random() > 0.35 or not types:
            return
        code = self.rng.choice(sorted(types))
        area_ar, _area_en, lat, lon = self.rng.choice(AREAS)
        who = self._dispatcher(store, types[code].lead_agency_id)
        body = IncidentCreate(
            type=code,
            lat=lat + self.rng.uniform(-0.006, 0.006),
            lon=lon + self.rng.uniform(-0.006, 0.006),
            area=area_ar,
            description=self.rng.choice(DESCRIPTIONS[code]).format(area=area_ar),
            share_with=["joint_ops_room"] if who.agency_id != joint else [],
        )
        with self._acting(store, who) as uow:
            incidents.create(uow, who, body)
