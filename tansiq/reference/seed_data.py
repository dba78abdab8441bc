"""The reference data a new installation starts with, for a ministry of interior like Kuwait's.

Agency names follow the ministry's sector names as published in its organisation chart; incident
and unit types are the ones the issue tracker asked for, with the agency that normally leads.
Administrators edit and extend all of it after installation; seeding never overwrites an edit.
"""

from __future__ import annotations

# code, English name, Arabic name, kind
AGENCIES: tuple[tuple[str, str, str, str], ...] = (
    ("public_security", "Public Security Sector", "قطاع الأمن العام", "sector"),
    ("traffic", "Traffic Sector", "قطاع المرور", "sector"),
    ("residency", "Residency Affairs Sector", "قطاع شؤون الإقامة", "sector"),
    ("border_coast", "Border and Coast Security Sector", "قطاع أمن الحدود والسواحل", "sector"),
    ("criminal_security", "Criminal Security Sector", "قطاع الأمن الجنائي", "sector"),
    ("operations", "Operations Sector", "قطاع العمليات", "sector"),
    ("civil_defence", "Civil Defence", "الدفاع المدني", "sector"),
    ("fire_marine_rescue", "Fire and Marine Rescue", "الإطفاء والإنقاذ البحري", "sector"),
    ("systems_information", "Systems and Information Sector", "قطاع نظم المعلومات", "sector"),
    ("security_media", "Security Media", "الإعلام الأمني", "sector"),
    ("correctional", "Correctional Institutions Sector", "قطاع المؤسسات الإصلاحية", "sector"),
    ("army_general_staff", "Army General Staff", "رئاسة الأركان العامة للجيش", "army"),
    ("joint_ops_room", "Joint Operations Room", "غرفة العمليات المشتركة", "joint_room"),
    (
        "interpol_ncb",
        "Interpol National Central Bureau",
        "المكتب المركزي الوطني للإنتربول",
        "partner",
    ),
)

# code, English name, Arabic name, lead agency code, default priority (1 = most urgent)
INCIDENT_TYPES: tuple[tuple[str, str, str, str, int], ...] = (
    ("traffic_collision", "Traffic collision", "حادث مروري", "traffic", 2),
    (
        "traffic_collision_injury",
        "Traffic collision with injuries",
        "حادث مروري مع إصابات",
        "traffic",
        1,
    ),
    ("road_obstruction", "Road obstruction", "عرقلة حركة السير", "traffic", 3),
    ("fire", "Fire", "حريق", "fire_marine_rescue", 1),
    ("maritime_distress", "Maritime distress", "استغاثة بحرية", "fire_marine_rescue", 1),
    ("heavy_rain_flooding", "Heavy-rain flooding", "تجمع مياه الأمطار والسيول", "civil_defence", 2),
    ("building_collapse", "Building collapse", "انهيار مبنى", "civil_defence", 1),
    ("hazardous_material", "Hazardous material leak", "تسرب مواد خطرة", "civil_defence", 1),
    ("assault", "Assault", "اعتداء", "public_security", 2),
    ("public_disturbance", "Public disturbance", "إخلال بالأمن العام", "public_security", 3),
    ("missing_person", "Missing person", "شخص مفقود", "public_security", 2),
    ("suspicious_object", "Suspicious object", "جسم مشبوه", "public_security", 1),
    ("burglary", "Burglary", "سطو على مسكن", "criminal_security", 3),
    ("theft", "Theft", "سرقة", "criminal_security", 3),
    ("robbery", "Robbery", "سرقة بالإكراه", "criminal_security", 2),
    ("cybercrime_report", "Cybercrime report", "بلاغ جريمة إلكترونية", "criminal_security", 4),
    ("border_infiltration", "Border infiltration", "تسلل عبر الحدود", "border_coast", 1),
    ("smuggling", "Smuggling", "تهريب", "border_coast", 2),
    ("residency_violation", "Residency violation", "مخالفة قانون الإقامة", "residency", 4),
    (
        "correctional_incident",
        "Incident in a correctional institution",
        "حادث في مؤسسة إصلاحية",
        "correctional",
        2,
    ),
)

# code, English name, Arabic name, capabilities
UNIT_TYPES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("patrol_car", "Patrol car", "سيارة دورية", ("patrol", "traffic", "arrest")),
    ("motorcycle", "Motorcycle", "دراجة نارية", ("patrol", "traffic")),
    ("fire_engine", "Fire engine", "سيارة إطفاء", ("firefighting", "rescue", "hazmat")),
    ("ambulance", "Ambulance", "سيارة إسعاف", ("medical",)),
    ("rescue_boat", "Rescue boat", "قارب إنقاذ", ("marine_rescue", "maritime")),
    ("helicopter", "Helicopter", "طائرة مروحية", ("air", "search", "medical_evacuation")),
    ("drone", "Drone", "طائرة مسيّرة", ("air", "surveillance", "thermal_camera")),
    ("border_post", "Border post", "مركز حدودي", ("border", "surveillance")),
)
