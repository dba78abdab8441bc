"""What authors send and what the API answers for public alerts.

An alert is written once with its texts in Arabic and English; the CAP document gets one
`<info>` block per language (ar-KW, en-US) carrying the same category, urgency, severity,
certainty, times and areas. Points are given as named `lat`/`lon` so nobody has to remember that
CAP writes "lat,lon" while GeoJSON writes lon, lat.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tansiq.alerts.geometry import polygon_problem
from tansiq.schemas import StrictModel

Category = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
ResponseType = Literal[
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"
]
MsgType = Literal["Alert", "Update", "Cancel"]
# System and Draft messages are not for the public, so they cannot be published from here.
CapStatus = Literal["Actual", "Exercise", "Test"]
ClassificationName = Annotated[str, Field(pattern="^(public|restricted|confidential|secret)$")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=4000)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\s<&]+$")]
# Characters XML 1.0 cannot carry (JSON can: "\u0001", a lone "\ud800").
_NOT_XML = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _has_non_xml(value: Any) -> bool:
    if isinstance(value, str):
        return _NOT_XML.search(value) is not None
    if isinstance(value, list | tuple):
        return any(_has_non_xml(v) for v in value)
    if isinstance(value, dict):
        return any(_has_non_xml(k) or _has_non_xml(v) for k, v in value.items())
    return False


class XmlModel(StrictModel):
    """Text that goes into a CAP document: refused at the edge if XML cannot hold it."""

    @field_validator("*", mode="before")
    @classmethod
    def _xml_text(cls, value: Any) -> Any:
        if _has_non_xml(value):
            raise PydanticCustomError("xml_character", "contains a character XML cannot hold")
        return value


class Point(XmlModel):
    lat: Lat
    lon: Lon


class Circle(XmlModel):
    lat: Lat
    lon: Lon
    radius_km: Annotated[float, Field(gt=0, le=2000, allow_inf_nan=False)]


class Geocode(XmlModel):
    """A named code for the area, e.g. name "ISO3166-2", value "KW-AH" (Al Ahmadi)."""

    name: Code
    value: Code


class Area(XmlModel):
    description: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    polygons: list[Annotated[list[Point], Field(max_length=2000)]] = Field(
        default_factory=list, max_length=20, description="Closed rings: first point = last point"
    )
    circles: list[Circle] = Field(default_factory=list, max_length=20)
    geocodes: list[Geocode] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _shapes(self) -> Self:
        if not (self.polygons or self.circles or self.geocodes):
            raise PydanticCustomError("area_without_shape", "an area needs a shape or a geocode")
        for i, ring in enumerate(self.polygons):
            problem = polygon_problem([(p.lat, p.lon) for p in ring])
            if problem:
                raise PydanticCustomError(problem, "polygon {index} is not usable", {"index": i})
        return self


class InfoText(XmlModel):
    event: Line
    headline: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Text | None = None
    instruction: Text | None = None


class AlertContent(XmlModel):
    """Everything the published document says (besides identifier, sender and sent)."""

    category: list[Category] = Field(min_length=1, max_length=12)
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    response_type: list[ResponseType] = Field(default_factory=list, max_length=9)
    effective: AwareDatetime | None = None
    expires: AwareDatetime | None = None
    ar: InfoText = Field(description="Arabic texts: the ar-KW info block")
    en: InfoText = Field(description="English texts: the en-US info block")
    areas: list[Area] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _times(self) -> Self:
        if self.effective and self.expires and self.expires <= self.effective:
            raise PydanticCustomError("expires_before_effective", "expires must follow effective")
        return self


class AlertCreate(AlertContent):
    msg_type: MsgType = "Alert"
    references: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = Field(
        None, description="For Update and Cancel: the id of the published alert it replaces"
    )
    cap_status: CapStatus = "Actual"
    classification: ClassificationName = "restricted"

    def content(self) -> AlertContent:
        return AlertContent.model_validate(self.model_dump(include=set(AlertContent.model_fields)))


class RejectRequest(XmlModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class AlertRead(BaseModel):
    id: int
    identifier: str
    state: str
    msg_type: MsgType
    cap_status: CapStatus
    references: str | None = Field(description="Identifier of the alert this one replaces")
    superseded_by: str | None
    agency: str
    classification: str
    content: AlertContent
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    sent_at: datetime | None
    url: str | None = Field(description="Where the published CAP document is served")
    version: int


class AlertPage(BaseModel):
    items: list[AlertRead]
    next_cursor: str | None


class ImportRead(BaseModel):
    id: int
    source: str
    sender: str
    identifier: str
    sent: str
    msg_type: str
    cap_status: str
    summary: dict[str, object]
    imported_at: datetime
    emergency_id: int | None
    created: bool = Field(description="False when this message had been imported before")
