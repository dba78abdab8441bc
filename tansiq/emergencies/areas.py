"""Affected areas: GeoJSON polygons in WGS84, checked with shapely before anything is stored.

An area is a Polygon or MultiPolygon (a bare geometry, or a Feature wrapping one). It is refused,
with the reason in English and Arabic, when it is malformed, empty, outside lon/lat range, has
too many vertices, or is not valid in the OGC sense (`is_valid`; `explain_validity` names the
fault, e.g. a self-intersection). Stored as GeoJSON text plus its bounding box, so a point query
prefilters in SQL on either database (no PostGIS) and tests exactly with shapely.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from tansiq.errors import Problem
from tansiq.i18n.catalogue import label

MAX_VERTICES = 20_000  # a district drawn by hand has hundreds; an imported coastline thousands
_KINDS = ("Polygon", "MultiPolygon")
# explain_validity's leading words -> our reason code (its English detail is kept alongside).
_REASONS = (
    ("ring self-intersection", "self_intersection"),
    ("self-intersection", "self_intersection"),
    ("too few points", "too_few_points"),
    ("hole lies outside shell", "hole_outside"),
    ("nested holes", "nested_holes"),
    ("nested shells", "nested_shells"),
    ("interior is disconnected", "interior_disconnected"),
    ("ring is not closed", "ring_not_closed"),
    ("invalid coordinate", "invalid_coordinate"),
    ("self-intersecting ring", "self_intersection"),
)


@dataclass(frozen=True, slots=True)
class CheckedArea:
    geometry: Polygon | MultiPolygon
    geojson: str  # the normalised geometry (no Feature wrapper), as stored
    bbox: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def _refuse(code: str, field: str, **params: Any) -> Problem:
    return Problem(422, code, field=field, **params)


def _faulty(code: str, field: str, reason: str, detail: str = "") -> Problem:
    """A refusal whose reason is a catalogue label (area_reason.*), shown in both languages."""
    return Problem(
        422,
        code,
        field=field,
        kind=reason,
        reason=label("area_reason", reason, "en"),
        reason_ar=label("area_reason", reason, "ar"),
        detail=detail,
    )


def _geometry_of(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise _faulty("area_malformed", field, "not_json") from exc
    if not isinstance(value, dict):
        raise _faulty("area_malformed", field, "not_object")
    if value.get("type") == "Feature":
        value = value.get("geometry")
        if not isinstance(value, dict):
            raise _refuse("area_empty", field)
    kind = value.get("type")
    if kind not in _KINDS:
        raise _refuse("area_not_polygon", field, kind=str(kind)[:40])
    return value


def _coordinates(coords: Any, depth: int, field: str) -> Iterable[Sequence[Any]]:
    """Every position of a nested coordinate array, refusing anything but number pairs."""
    if not isinstance(coords, list):
        raise _faulty("area_malformed", field, "not_arrays")
    if depth == 0:
        if len(coords) not in (2, 3) or not all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in coords
        ):
            raise _faulty("area_malformed", field, "not_position")
        yield coords
        return
    for item in coords:
        yield from _coordinates(item, depth - 1, field)


def check(value: Any, field: str = "geometry") -> CheckedArea:
    """Validate one affected area; raise a 422 Problem naming what is wrong."""
    geo = _geometry_of(value, field)
    depth = 3 if geo["type"] == "Polygon" else 4
    positions = list(_coordinates(geo.get("coordinates"), depth - 1, field))
    if not positions:
        raise _refuse("area_empty", field)
    if len(positions) > MAX_VERTICES:
        raise _refuse("area_too_complex", field, max=MAX_VERTICES)
    for lon, lat, *_ in positions:
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            raise _refuse("area_out_of_range", field, lon=lon, lat=lat)
    try:
        geom: BaseGeometry = shape(
            {"type": geo["type"], "coordinates": _two_d(geo["coordinates"], depth - 1)}
        )
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise _refuse(
            "area_invalid", field, reason="too_few_points", detail=str(exc)[:200]
        ) from exc
    if geom.is_empty or _flat(geom):
        raise _refuse("area_empty", field)
    if not geom.is_valid:
        detail = explain_validity(geom)
        raise _faulty("area_invalid", field, _reason(detail), detail[:200])
    if geom.area == 0:
        raise _refuse("area_empty", field)
    assert isinstance(geom, Polygon | MultiPolygon)
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return CheckedArea(
        geom, json.dumps(mapping(geom), separators=(",", ":")), (min_lon, min_lat, max_lon, max_lat)
    )


def _flat(geom: BaseGeometry) -> bool:
    """All points on one line or one spot: encloses nothing, whatever else is wrong with it."""
    min_x, min_y, max_x, max_y = geom.bounds
    return bool(min_x == max_x or min_y == max_y)


def _two_d(coords: Any, depth: int) -> Any:
    if depth == 0:
        return [float(coords[0]), float(coords[1])]
    return [_two_d(c, depth - 1) for c in coords]


def _reason(detail: str) -> str:
    low = detail.lower()
    for prefix, code in _REASONS:
        if low.startswith(prefix):
            return code
    return "other"


def load(geojson: str) -> Polygon | MultiPolygon:
    geom = shape(json.loads(geojson))
    assert isinstance(geom, Polygon | MultiPolygon)
    return geom


def to_geojson(geojson: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(geojson)
    return out


def contains(geom: BaseGeometry, lon: ArrayLike, lat: ArrayLike) -> np.ndarray[Any, Any]:
    """Which points lie inside (or on the edge of) the geometry, vectorised."""
    shapely.prepare(geom)
    inside: np.ndarray[Any, Any] = shapely.intersects_xy(
        geom, np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    )
    return inside
