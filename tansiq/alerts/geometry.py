"""Checks on alert areas: a CAP polygon is a closed ring of at least four points that encloses
something and does not cross itself; a circle has a positive radius.

Used for what authors send and for what arrives from outside, so both are held to the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from shapely import Polygon
from shapely.validation import explain_validity

# The problem kinds (catalogue keys validation.<kind>) a polygon can be refused with.
NOT_CLOSED = "polygon_not_closed"
TOO_FEW_POINTS = "polygon_too_few_points"
EMPTY = "polygon_empty"
SELF_INTERSECTING = "polygon_self_intersecting"


def polygon_problem(points: Sequence[tuple[float, float]]) -> str | None:
    """Why the ring of (lat, lon) `points` is not a usable CAP polygon, or None if it is."""
    if len(points) < 4:
        return TOO_FEW_POINTS
    if tuple(points[0]) != tuple(points[-1]):
        return NOT_CLOSED
    # Shapely works in x, y: lon, lat.
    shape = Polygon([(lon, lat) for lat, lon in points])
    if shape.is_empty or shape.convex_hull.area == 0:
        return EMPTY  # every point on one line (or one spot): it encloses nothing
    if not shape.is_valid:
        return SELF_INTERSECTING if "intersection" in explain_validity(shape).lower() else EMPTY
    return None
