"""OpenStreetMap tag rules for a motor vehicle: which ways are drivable, their speed, direction.

Defaults follow the usual car profiles (OSRM's car.lua, the OSM wiki's implied speed limits);
they are deliberately plain, and the cost model in :mod:`tansiq.roads.costs` is where the
calibration to observed driving happens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "DEFAULT_SPEED_KMH",
    "direction",
    "is_drivable",
    "parse_maxspeed",
    "way_speeds",
]

# Free-flow speed by road class when `maxspeed` is absent or unusable (km/h).
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 100,
    "motorway_link": 60,
    "trunk": 80,
    "trunk_link": 50,
    "primary": 60,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 35,
    "tertiary": 40,
    "tertiary_link": 30,
    "unclassified": 30,
    "residential": 30,
    "road": 30,
    "living_street": 10,
    "service": 20,
}

# Implied limits of "CC:zone" values (the OSM wiki's defaults; country tables vary by a little).
_ZONE_KMH = {
    "urban": 50,
    "rural": 90,
    "trunk": 90,
    "motorway": 110,
    "living_street": 20,
    "pedestrian_zone": 10,
    "school": 30,
    "zone30": 30,
    "zone20": 20,
}
_WORD_KMH = {"walk": 5, "living_street": 20}
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$", re.IGNORECASE)
_MPH = 1.609344
_KNOT = 1.852
_NO = {"no", "private"}
MIN_KMH, MAX_KMH = 3.0, 150.0


def _one_speed(value: str) -> float | None:
    value = value.strip()
    match = _NUMBER.match(value)
    if match:
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").lower()
        factor = _MPH if unit == "mph" else _KNOT if unit == "knots" else 1.0
        return number * factor if number > 0 else None
    lowered = value.lower()
    if lowered in _WORD_KMH:
        return float(_WORD_KMH[lowered])
    if ":" in lowered:  # "RU:urban", "DE:zone30"
        return float(_ZONE_KMH[zone]) if (zone := lowered.split(":", 1)[1]) in _ZONE_KMH else None
    return None  # "none", "signals", "variable", garbage: the class default applies


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from a `maxspeed` value, or None when it says nothing usable.

    Several values ("50;30", lanes) give the lowest, the safe reading for an ETA.
    """
    if not value:
        return None
    speeds = [s for part in value.split(";") if (s := _one_speed(part)) is not None]
    if not speeds:
        return None
    return min(MAX_KMH, max(MIN_KMH, min(speeds)))


def is_drivable(tags: Mapping[str, str]) -> bool:
    """A public road a car may use; emergency access overrides a general ban."""
    if tags.get("highway") not in DEFAULT_SPEED_KMH or tags.get("area") == "yes":
        return False
    if tags.get("emergency") in {"yes", "designated"}:
        return True
    banned = any(tags.get(key) in _NO for key in ("access", "vehicle", "motor_vehicle"))
    allowed = tags.get("motorcar") in {"yes", "designated", "permissive", "destination"}
    return allowed or not (banned or tags.get("motorcar") in _NO)


def direction(tags: Mapping[str, str]) -> tuple[bool, bool]:
    """(forward allowed, backward allowed) along the way's node order."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in {"yes", "true", "1"}:
        return True, False
    if oneway in {"-1", "reverse"}:
        return False, True
    if oneway in {"no", "false", "0"}:
        return True, True
    implied = tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") in {
        "motorway"
    }
    return True, not implied


def way_speeds(tags: Mapping[str, str]) -> tuple[float, float]:
    """Free-flow km/h (forward, backward): maxspeed:forward/backward, then maxspeed, then class."""
    default = DEFAULT_SPEED_KMH[tags["highway"]]
    both = parse_maxspeed(tags.get("maxspeed"))
    forward = parse_maxspeed(tags.get("maxspeed:forward")) or both or default
    backward = parse_maxspeed(tags.get("maxspeed:backward")) or both or default
    return forward, backward
