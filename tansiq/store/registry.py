"""Imports every table module so `Base.metadata` is complete (for Alembic and tests)."""

from tansiq.access import models as access_models
from tansiq.alerts import models as alert_models
from tansiq.api import models as api_models
from tansiq.audit import models as audit_models
from tansiq.emergencies import models as emergency_models
from tansiq.events import models as event_models
from tansiq.incidents import models as incident_models
from tansiq.reference import models as reference_models
from tansiq.roads import models as road_models
from tansiq.shelters import models as shelter_models
from tansiq.store.base import Base
from tansiq.units import models as unit_models

MODULES = (
    access_models,
    alert_models,
    api_models,
    audit_models,
    emergency_models,
    event_models,
    incident_models,
    reference_models,
    road_models,
    shelter_models,
    unit_models,
)
metadata = Base.metadata
