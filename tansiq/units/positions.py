"""Position reports: the busiest writes there are, so they take a lean path.

A fix is telemetry rather than an edit of a record: many arrive per unit per minute, from
vehicle trackers as well as people. So fixes are written in batches through prebuilt Core
statements, not the ORM. Every fix goes to the unit's track (`unit_positions`); the unit itself
keeps its newest fix (one arriving late stays in the track but does not move the unit back).
Each batch appends one `unit.position` event per unit (its newest fix: the feed coalesces
positions anyway) and one audit entry per request naming who reported how many fixes for which
units, instead of an audit entry per fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from tansiq.access.directory import agency_code_of
from tansiq.access.policy import Permission, Principal, record_audience, visible
from tansiq.access.service import require
from tansiq.audit import recorder
from tansiq.errors import not_found
from tansiq.events.types import Audience, PendingEvent
from tansiq.store.base import at_column_value
from tansiq.store.uow import UnitOfWork
from tansiq.units.models import Unit, UnitPosition, UnitShare

FUTURE_TOLERANCE = timedelta(minutes=2)  # tracker clocks drift; further ahead is an error
AUDITED_UNIT_IDS = 200  # an audit entry names at most this many units of its batch

_units = cast(Table, Unit.__table__)
_track_table = cast(Table, UnitPosition.__table__)


# Named tuples rather than frozen dataclasses: one is made per fix, thousands a second, and a
# frozen dataclass's constructor costs several times a tuple's.
class RoadPlace(NamedTuple):
    """Where a fix lies on the road network: `fraction` along `edge` of network version
    `network`, `offset_m` from the road."""

    network: int
    edge: int
    fraction: float
    offset_m: float


class Fix(NamedTuple):
    unit_id: int
    lat: float
    lon: float
    at: datetime
    heading: float | None = None
    speed: float | None = None
    road: RoadPlace | None = None


class Outcome(NamedTuple):
    """What became of one fix: `applied`, `stale` (older than the unit's newest) or an error
    code (`not_found`: no such unit, or one the reporter may not see)."""

    result: str
    lat: float | None = None
    lon: float | None = None
    at: datetime | None = None


def check_time(at: datetime | None, now: datetime) -> tuple[datetime | None, str | None]:
    """The fix's time (now when absent), or the kind of what is wrong with it (a catalogue
    `validation.*` key)."""
    if at is None:
        return now, None
    if at.tzinfo is None:
        return None, "timezone_aware"
    if at > now + FUTURE_TOLERANCE:
        return None, "in_future"
    return at, None


def record(
    uow: UnitOfWork,
    who: Principal,
    fixes: Sequence[Fix],
    *,
    request_id: str | None = None,
    client: str | None = None,
) -> list[Outcome]:
    """Apply `fixes` in order within the caller's unit of work; one outcome per fix."""
    require(who, Permission.UNIT_REPORT)
    session = uow.session
    ids = sorted({f.unit_id for f in fixes})
    rows = session.execute(
        select(Unit.id, Unit.callsign, Unit.status, Unit.classification, Unit.agency_id)
        .add_columns(Unit.lat, Unit.lon, Unit.position_at)
        .where(Unit.id.in_(ids), visible(Unit, UnitShare, who))
        .with_for_update()
    ).all()
    units = {r.id: r for r in rows}
    newest: dict[int, Fix] = {}
    current: dict[int, tuple[float | None, float | None, datetime | None]] = {
        r.id: (r.lat, r.lon, r.position_at) for r in rows
    }
    outcomes = []
    for fix in fixes:
        if fix.unit_id not in units:
            outcomes.append(Outcome("not_found"))
            continue
        lat, lon, at = current[fix.unit_id]
        if at is not None and fix.at < at:
            outcomes.append(Outcome("stale", lat, lon, at))
            continue
        current[fix.unit_id] = (fix.lat, fix.lon, fix.at)
        newest[fix.unit_id] = fix
        outcomes.append(Outcome("applied", fix.lat, fix.lon, fix.at))
    stamp = _stamper(session.get_bind().dialect.name)
    if newest:
        _move(uow, [(units[uid], fix) for uid, fix in sorted(newest.items())], stamp)
    # A late fix does not move its unit back, but it is kept in the track: a patrol's buffered
    # track uploaded after a dead zone fills the history, nothing is lost.
    track = [f for f, o in zip(fixes, outcomes, strict=True) if o.result != "not_found"]
    if track:
        _insert_track(session, track, who, stamp)
    recorded = sorted({f.unit_id for f in track})
    if recorded:
        session.info.setdefault(recorder.PENDING, []).append(
            {
                "action": "units.positions",
                "record_type": "units",
                "record_id": str(recorded[0]) if len(recorded) == 1 else None,
                "before": None,
                "after": {
                    "fixes": len(track),
                    "units": recorded[:AUDITED_UNIT_IDS],
                    "unit_count": len(recorded),
                },
                "actor": who.username,
                "actor_id": who.user_id,
                "agency": agency_code_of(session, who.agency_id),
                "role": who.role.value,
                "request_id": request_id,
                "client": client,
            }
        )
    return outcomes


# Written out for each driver's parameter style (qmark for sqlite3, format for psycopg).
_TRACK_SQL = {
    "sqlite": "INSERT INTO unit_positions (unit_id, at, lat, lon, heading, speed, road_network, "
    "road_edge, road_fraction, road_offset_m, reported_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "postgresql": "INSERT INTO unit_positions (unit_id, at, lat, lon, heading, speed, "
    "road_network, road_edge, road_fraction, road_offset_m, reported_by) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
}


def _stamper(dialect: str) -> Callable[[datetime], datetime | str]:
    """`at_column_value` for one batch, converting each distinct time once (a fix's time goes
    to its track row and to its unit; a tracker gateway's batch often shares times)."""
    memo: dict[datetime, datetime | str] = {}

    def stamp(at: datetime) -> datetime | str:
        value = memo.get(at)
        if value is None:
            value = memo[at] = at_column_value(at, dialect)
        return value

    return stamp


def _insert_track(
    session: Session, track: Sequence[Fix], who: Principal, stamp: Callable[[datetime], Any]
) -> None:
    """Thousands of rows a second: straight to the driver's executemany. SQLAlchemy's per-row
    parameter processing cost more than the insert itself; the one typed column (the time) is
    converted here exactly as the UTCDateTime column type stores it."""
    conn = session.connection()
    dialect = conn.dialect.name
    rows = []
    for fix in track:
        road = fix.road
        rows.append(
            (
                fix.unit_id,
                stamp(fix.at),
                fix.lat,
                fix.lon,
                fix.heading,
                fix.speed,
                road.network if road else None,
                road.edge if road else None,
                road.fraction if road else None,
                road.offset_m if road else None,
                who.user_id,
            )
        )
    conn.exec_driver_sql(_TRACK_SQL[dialect], rows)


_MOVE_SQL = {
    "sqlite": "UPDATE units SET lat = ?, lon = ?, heading = ?, speed = ?, position_at = ? "
    "WHERE id = ?",
    "postgresql": "UPDATE units SET lat = %s, lon = %s, heading = %s, speed = %s, "
    "position_at = %s WHERE id = %s",
}


def _move(uow: UnitOfWork, moves: list[tuple[Any, Fix]], stamp: Callable[[datetime], Any]) -> None:
    """Each unit takes its newest fix and says so on the feed (one event per unit per batch)."""
    session = uow.session
    conn = session.connection()
    dialect = conn.dialect.name
    conn.exec_driver_sql(
        _MOVE_SQL[dialect],
        [(fix.lat, fix.lon, fix.heading, fix.speed, stamp(fix.at), unit.id) for unit, fix in moves],
    )
    shares: dict[int, set[int]] = {}
    for record_id, agency_id in session.execute(
        select(UnitShare.record_id, UnitShare.agency_id).where(
            UnitShare.record_id.in_([unit.id for unit, _ in moves])
        )
    ):
        shares.setdefault(record_id, set()).add(agency_id)
    audiences: dict[tuple[int, int, frozenset[int]], Audience] = {}
    for unit, fix in moves:
        key = (unit.classification, unit.agency_id, frozenset(shares.get(unit.id, ())))
        audience = audiences.get(key)
        if audience is None:
            audience = audiences[key] = record_audience(*key)
        uow.emit_latest(
            PendingEvent(
                "unit.position",
                "unit",
                str(unit.id),
                {
                    "unit_id": unit.id,
                    "callsign": unit.callsign,
                    "lat": fix.lat,
                    "lon": fix.lon,
                    "heading": fix.heading,
                    "speed": fix.speed,
                    "at": fix.at.isoformat(),
                    "status": unit.status,
                },
                audience,
            )
        )


def record_one(uow: UnitOfWork, who: Principal, fix: Fix) -> Outcome:
    """One fix, with the answers of the single-fix endpoint: 404 for a unit out of sight."""
    (outcome,) = record(uow, who, [fix])
    if outcome.result == "not_found":
        raise not_found()
    return outcome


def prune(uow: UnitOfWork, before: datetime) -> int:
    """Delete track points older than `before` (the retention); returns how many."""
    result = uow.session.execute(delete(_track_table).where(_track_table.c.at < before))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        uow.audit(
            "units.track_pruned",
            record_type="unit_positions",
            after={"before": before.isoformat(), "deleted": count},
        )
    return count
