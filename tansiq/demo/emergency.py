"""The demo's emergency: heavy rain over central Kuwait City, two shelters, one public warning.

Seeded once, through the same services as the API (so the feed, audit and CAP feed see it),
as Civil Defence's demo dispatcher, with the warning approved by its demo supervisor.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tansiq.access.models import Role, User
from tansiq.access.service import principal_of
from tansiq.alerts import service as alerts
from tansiq.alerts.schemas import AlertCreate
from tansiq.alerts.settings import AlertSettings
from tansiq.audit.context import acting_as
from tansiq.demo.accounts import demo_username
from tansiq.emergencies import service as emergencies
from tansiq.emergencies.schemas import EmergencyCreate
from tansiq.shelters import service as shelters
from tansiq.shelters.schemas import ShelterCreate
from tansiq.store.base import utcnow
from tansiq.store.db import Store

SOURCE, REF = "demo", "heavy-rain-kuwait-city"
# Sharq, Mirqab and Qibla, between the Gulf Road and the First Ring Road (lon, lat).
AREA = [
    (47.965, 29.362),
    (48.005, 29.362),
    (48.005, 29.392),
    (47.965, 29.392),
    (47.965, 29.362),
]
SHELTERS = [
    ("Shamiya sports hall", "صالة الشامية الرياضية", 29.347, 47.964, 400),
    ("Kaifan secondary school", "مدرسة كيفان الثانوية", 29.338, 47.958, 250),
]


def seed_emergency(store: Store) -> bool:
    """Declare the demo emergency with its shelters and published alert, unless already there."""
    with store.read() as session:
        if emergencies.find_by_source(session, SOURCE, REF) is not None:
            return False
        users = {
            u.username: u
            for u in session.execute(
                select(User).where(
                    User.username.in_(
                        [
                            demo_username(Role.DISPATCHER, "civil_defence"),
                            demo_username(Role.SUPERVISOR, "civil_defence"),
                        ]
                    )
                )
            ).scalars()
        }
    author = principal_of(users[demo_username(Role.DISPATCHER, "civil_defence")])
    approver = principal_of(users[demo_username(Role.SUPERVISOR, "civil_defence")])
    now = utcnow()
    with acting_as(author, client="demo"), store.write() as uow:
        emergency = emergencies.declare(
            uow,
            author,
            EmergencyCreate.model_validate(
                {
                    "kind": "heavy_rain",
                    "severity": "severe",
                    "title": "Heavy rain over central Kuwait City",
                    "title_ar": "أمطار غزيرة على وسط مدينة الكويت",
                    "description": "Flooded underpasses and low streets in Sharq and Qibla.",
                    "participating_agencies": [
                        "public_security",
                        "traffic",
                        "fire_marine_rescue",
                        "joint_ops_room",
                    ],
                    "areas": [
                        {
                            "name": "Sharq, Mirqab and Qibla",
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [[list(p) for p in AREA]],
                            },
                            "valid_from": now.isoformat(),
                            "valid_to": (now + timedelta(hours=12)).isoformat(),
                        }
                    ],
                }
            ),
            status="active",
            source=SOURCE,
            source_ref=REF,
        )
        for name, name_ar, lat, lon, capacity in SHELTERS:
            shelters.create(
                uow,
                author,
                ShelterCreate(
                    name=name,
                    name_ar=name_ar,
                    lat=lat,
                    lon=lon,
                    capacity=capacity,
                    facilities=["medical", "power", "accessibility", "cooling", "family_rooms"],
                    emergency_id=emergency.id,
                    status="open",
                ),
            )
        alert = alerts.create(uow, author, _warning(), AlertSettings())
        uow.session.flush()
        alert_id = alert.id
        alerts.submit(uow, author, alert_id, None)
    with acting_as(approver, client="demo"), store.write() as uow:
        alerts.approve(uow, approver, alert_id, AlertSettings(), None)
    return True


def _warning() -> AlertCreate:
    ring = [{"lat": lat, "lon": lon} for lon, lat in AREA]
    return AlertCreate.model_validate(
        {
            "category": ["Met", "Safety"],
            "urgency": "Immediate",
            "severity": "Severe",
            "certainty": "Observed",
            "response_type": ["Avoid", "Shelter"],
            "expires": (utcnow() + timedelta(hours=12)).isoformat(),
            "ar": {
                "event": "أمطار غزيرة وتجمعات مياه",
                "headline": "تحذير: أمطار غزيرة على وسط مدينة الكويت",
                "description": "تجمعات مياه في الأنفاق والشوارع المنخفضة في شرق والمرقاب والقبلة.",
                "instruction": "تجنبوا الأنفاق والطرق المنخفضة، والتزموا بتعليمات رجال الأمن. "
                "مراكز الإيواء مفتوحة في صالة الشامية الرياضية ومدرسة كيفان الثانوية.",
            },
            "en": {
                "event": "Heavy rain and flooding",
                "headline": "Warning: heavy rain over central Kuwait City",
                "description": "Water has gathered in underpasses and low streets in Sharq, "
                "Mirqab and Qibla.",
                "instruction": "Avoid underpasses and low roads and follow police instructions. "
                "Shelters are open at Shamiya sports hall and Kaifan secondary school.",
            },
            "areas": [{"description": "Sharq, Mirqab and Qibla", "polygons": [ring]}],
        }
    )
