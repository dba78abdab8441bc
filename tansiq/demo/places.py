"""Places in and around Kuwait City for the demo scenario (approximate centres, WGS84)."""

from __future__ import annotations

# Arabic name, English name, lat, lon
AREAS: tuple[tuple[str, str, float, float], ...] = (
    ("مدينة الكويت", "Kuwait City", 29.3697, 47.9783),
    ("شرق", "Sharq", 29.3826, 47.9919),
    ("دسمان", "Dasman", 29.3897, 48.0025),
    ("الشويخ", "Shuwaikh", 29.3500, 47.9400),
    ("حولي", "Hawally", 29.3328, 48.0286),
    ("السالمية", "Salmiya", 29.3339, 48.0761),
    ("الجابرية", "Jabriya", 29.3153, 48.0222),
    ("السرة", "Surra", 29.3080, 48.0000),
    ("الرميثية", "Rumaithiya", 29.3100, 48.0700),
    ("خيطان", "Khaitan", 29.2870, 47.9720),
    ("الفروانية", "Farwaniya", 29.2775, 47.9581),
    ("مشرف", "Mishref", 29.2750, 48.0600),
)

# Arabic description templates by incident type ({area} is filled in).
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "traffic_collision": ("تصادم مركبتين في {area}", "حادث مروري بسيط قرب إشارة {area}"),
    "traffic_collision_injury": ("حادث مروري مع إصابات على الطريق الدائري قرب {area}",),
    "road_obstruction": ("مركبة معطلة تعرقل حركة السير في {area}",),
    "fire": ("بلاغ عن حريق في مخزن بمنطقة {area}", "دخان كثيف من مبنى سكني في {area}"),
    "heavy_rain_flooding": ("تجمع مياه الأمطار في نفق {area}",),
    "assault": ("مشاجرة واعتداء في مجمع تجاري بمنطقة {area}",),
    "burglary": ("سطو على منزل في {area}",),
    "theft": ("سرقة مركبة من موقف في {area}", "سرقة محل هواتف في {area}"),
    "suspicious_object": ("جسم مشبوه قرب مبنى حكومي في {area}",),
    "missing_person": ("بلاغ عن طفل مفقود في سوق {area}",),
}
