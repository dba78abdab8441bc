"""An imported CAP alert becomes a draft emergency, through the emergency domain's own service.

Only real warnings do: a message whose status is Test, Exercise, System or Draft, and a Cancel,
is kept but drafts nothing. Each polygon and circle of the alert becomes an affected area (a
circle as a 64-sided polygon on the ellipsoid), valid from the alert's effective (or onset)
time to its expiry; geocodes, which have no shape here, are listed in the description.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyproj import Geod

from tansiq.access.policy import Principal
from tansiq.alerts.cap import ParsedAlert
from tansiq.alerts.settings import AlertSettings
from tansiq.emergencies import service as emergencies
from tansiq.emergencies.models import EmergencyKind, Severity
from tansiq.emergencies.schemas import AreaCreate, EmergencyCreate
from tansiq.errors import Problem
from tansiq.store.uow import UnitOfWork

MAX_AREAS = 50  # what one emergency holds
_GEOD = Geod(ellps="WGS84")
# Words of the event and headline (English and Arabic) -> kind; the first match wins.
_KINDS: tuple[tuple[tuple[str, ...], EmergencyKind], ...] = (
    (("flood", "سيول", "فيضان"), EmergencyKind.FLOOD),
    (("dust", "sand", "غبار", "ترابية", "رملية"), EmergencyKind.SANDSTORM),
    (("rain", "thunderstorm", "أمطار", "رعدية"), EmergencyKind.HEAVY_RAIN),
    (("heat", "حرارة"), EmergencyKind.HEATWAVE),
    (("earthquake", "زلزال"), EmergencyKind.EARTHQUAKE),
    (("fire", "حريق"), EmergencyKind.FIRE),
    (("chemical", "hazardous", "radiolog", "كيميائي", "خطرة"), EmergencyKind.HAZMAT),
    (("collapse", "انهيار"), EmergencyKind.BUILDING_COLLAPSE),
)
_CATEGORY_KINDS = {"Fire": EmergencyKind.FIRE, "CBRNE": EmergencyKind.HAZMAT}
_SEVERITY = {
    "Extreme": Severity.EXTREME,
    "Severe": Severity.SEVERE,
    "Moderate": Severity.MODERATE,
    "Minor": Severity.MINOR,
}


def kind_of(infos: list[dict[str, Any]]) -> EmergencyKind:
    text = " ".join(f"{i.get('event') or ''} {i.get('headline') or ''}" for i in infos).lower()
    for words, kind in _KINDS:
        if any(w in text for w in words):
            return kind
    for info in infos:
        for category in info.get("category") or []:
            if category in _CATEGORY_KINDS:
                return _CATEGORY_KINDS[category]
    return EmergencyKind.OTHER


def circle_ring(lat: float, lon: float, radius_km: float, sides: int = 64) -> list[list[float]]:
    """A closed GeoJSON ring ([lon, lat] pairs) around a CAP circle."""
    ring = []
    for i in range(sides):
        end_lon, end_lat, _ = _GEOD.fwd(lon, lat, 360.0 * i / sides, radius_km * 1000.0)
        ring.append([end_lon, end_lat])
    return [*ring, ring[0]]


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _areas(info: dict[str, Any]) -> list[AreaCreate]:
    start = _time(info.get("effective") or info.get("onset"))
    end = _time(info.get("expires"))
    if start and end and end <= start:
        start = None  # a stale effective time; the expiry is what matters for a forecast
    areas = []
    for area in info.get("areas", []):
        name = str(area.get("description") or "")[:200]
        for ring in area.get("polygons", []):
            geometry = {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in ring]]}
            areas.append(AreaCreate(name=name, geometry=geometry, valid_from=start, valid_to=end))
        for c in area.get("circles", []):
            if c["radius_km"] <= 0:
                continue  # a point: no area to draw
            geometry = {
                "type": "Polygon",
                "coordinates": [circle_ring(c["lat"], c["lon"], c["radius_km"])],
            }
            areas.append(AreaCreate(name=name, geometry=geometry, valid_from=start, valid_to=end))
    if len(areas) > MAX_AREAS:
        raise Problem(422, "cap_too_many_areas", limit=MAX_AREAS)
    return areas


def _description(en: dict[str, Any], infos: list[dict[str, Any]]) -> str:
    parts = [en.get("description") or "", en.get("instruction") or ""]
    codes = sorted(
        {
            f"{g['name']} {g['value']}"
            for info in infos
            for area in info.get("areas", [])
            for g in area.get("geocodes", [])
        }
    )
    if codes:
        parts.append("Geocodes: " + ", ".join(codes))
    return "\n\n".join(p.strip() for p in parts if p.strip())[:4000]


def draft(
    uow: UnitOfWork,
    who: Principal | None,
    parsed: ParsedAlert,
    settings: AlertSettings,
    source_ref: str,
) -> int | None:
    """Declare the draft emergency for `parsed`; its id, or None when it calls for none."""
    if parsed.cap_status != "Actual" or parsed.msg_type == "Cancel" or not parsed.infos:
        return None
    en, ar = parsed.info("en"), parsed.info("ar")
    title = (en.get("headline") or en.get("event") or parsed.identifier)[:300]
    title_ar = (ar.get("headline") or ar.get("event") or "") if ar is not en else ""
    data = EmergencyCreate(
        kind=kind_of(parsed.infos),
        severity=_SEVERITY.get(str(en.get("severity")), Severity.MODERATE),
        title=title,
        title_ar=title_ar[:300],
        description=_description(en, parsed.infos),
        lead_agency=None if who is not None else settings.import_agency,
        classification="restricted",
        areas=_areas(en),
    )
    emergency = emergencies.declare(
        uow, who, data, status="draft", source="cap", source_ref=source_ref[:300]
    )
    return emergency.id
