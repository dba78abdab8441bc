"""Which units suit which incidents, and how units that do not drive on roads are timed.

A unit suits an incident when its type has one of the capabilities the incident type needs (the
capabilities are reference data, editable per unit type). Types not listed need a patrol. The
dispatcher can always ask for particular unit types instead.
"""

from __future__ import annotations

DEFAULT_NEEDS = frozenset({"patrol"})
NEEDS: dict[str, frozenset[str]] = {
    "fire": frozenset({"firefighting"}),
    "hazardous_material": frozenset({"hazmat"}),
    "building_collapse": frozenset({"rescue"}),
    "heavy_rain_flooding": frozenset({"rescue", "patrol"}),
    "maritime_distress": frozenset({"marine_rescue", "search"}),
    "traffic_collision": frozenset({"traffic"}),
    "traffic_collision_injury": frozenset({"traffic", "medical"}),
    "road_obstruction": frozenset({"traffic"}),
    "border_infiltration": frozenset({"border", "patrol", "surveillance"}),
    "smuggling": frozenset({"border", "patrol"}),
    "cybercrime_report": frozenset(),  # handled at a desk: nobody is sent
}

# Unit types that do not move to incidents (a border post watches its sector).
FIXED_TYPES = frozenset({"border_post"})

# Unit types that do not use roads, with the cruising speed used for their straight-line ETA.
OFF_ROAD_SPEED_KMH: dict[str, float] = {"helicopter": 200.0, "drone": 60.0, "rescue_boat": 45.0}
