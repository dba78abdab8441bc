"""CAP 1.2 (OASIS Common Alerting Protocol) documents: build, validate, read.

Pure functions: no database, no HTTP. Every document we publish is built here and validated
against the OASIS CAP 1.2 schema (shipped in `schema/`, identical to the one OASIS publishes)
before anything is stored; documents from outside are read through `xmlsafe` first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from tansiq.alerts import xmlsafe
from tansiq.alerts.geometry import polygon_problem
from tansiq.alerts.schemas import AlertContent, InfoText
from tansiq.errors import Problem
from tansiq.i18n.catalogue import message

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MEDIA_TYPE = "application/cap+xml"
KUWAIT = ZoneInfo("Asia/Kuwait")
LANGUAGES = (("ar", "ar-KW"), ("en", "en-US"))
_Q = f"{{{CAP_NS}}}"
_schema_lock = threading.Lock()  # one XMLSchema object is not safe to use from two threads


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    xsd = resources.files("tansiq.alerts").joinpath("schema/CAP-v1.2.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd, xmlsafe.hardened_parser()))


def cap_time(moment: datetime) -> str:
    """A CAP time: seconds, with the offset written out (Kuwait time, +03:00)."""
    return moment.astimezone(KUWAIT).isoformat(timespec="seconds")


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def schema_errors(root: etree._Element) -> list[str]:
    """What the CAP 1.2 schema finds wrong with `root` (empty when it is valid)."""
    schema = _schema()
    with _schema_lock:
        if schema.validate(root):
            return []
        return [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5]]


def validate(root: etree._Element) -> None:
    errors = schema_errors(root)
    if errors:
        raise Problem(422, "cap_schema_invalid", reason="; ".join(errors))


@dataclass(frozen=True, slots=True)
class Header:
    identifier: str
    sender: str
    sent: datetime
    cap_status: str
    msg_type: str
    references: list[str] = field(default_factory=list)  # "sender,identifier,sent" each


def build(header: Header, content: AlertContent, sender_name: dict[str, str]) -> bytes:
    """The CAP document for one alert, validated against the schema; raises Problem if not."""
    alert = etree.Element(f"{_Q}alert", nsmap={None: CAP_NS})

    def add(parent: etree._Element, tag: str, text: str | None) -> None:
        if text:
            etree.SubElement(parent, f"{_Q}{tag}").text = text

    add(alert, "identifier", header.identifier)
    add(alert, "sender", header.sender)
    add(alert, "sent", cap_time(header.sent))
    add(alert, "status", header.cap_status)
    add(alert, "msgType", header.msg_type)
    add(alert, "scope", "Public")
    add(alert, "references", " ".join(header.references))
    for key, language in LANGUAGES:
        texts: InfoText = getattr(content, key)
        info = etree.SubElement(alert, f"{_Q}info")
        add(info, "language", language)
        for category in content.category:
            add(info, "category", category)
        add(info, "event", texts.event)
        for response in content.response_type:
            add(info, "responseType", response)
        add(info, "urgency", content.urgency)
        add(info, "severity", content.severity)
        add(info, "certainty", content.certainty)
        add(info, "effective", cap_time(content.effective) if content.effective else None)
        add(info, "expires", cap_time(content.expires) if content.expires else None)
        add(info, "senderName", sender_name.get(key))
        add(info, "headline", texts.headline)
        add(info, "description", texts.description)
        add(info, "instruction", texts.instruction)
        for area in content.areas:
            element = etree.SubElement(info, f"{_Q}area")
            add(element, "areaDesc", area.description)
            for ring in area.polygons:  # CAP order: latitude first
                add(element, "polygon", " ".join(f"{_num(p.lat)},{_num(p.lon)}" for p in ring))
            for c in area.circles:
                add(element, "circle", f"{_num(c.lat)},{_num(c.lon)} {_num(c.radius_km)}")
            for code in area.geocodes:
                geocode = etree.SubElement(element, f"{_Q}geocode")
                add(geocode, "valueName", code.name)
                add(geocode, "value", code.value)
    validate(alert)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedAlert:
    identifier: str
    sender: str
    sent: str
    sent_at: datetime
    cap_status: str
    msg_type: str
    references: list[str]
    infos: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        """What the import keeps beside the raw document, in plain JSON."""
        return {"references": self.references, "infos": self.infos}

    def info(self, *languages: str) -> dict[str, Any]:
        """The first info block in one of `languages` (by prefix), else the first one."""
        for lang in languages:
            for info in self.infos:
                if str(info.get("language", "")).lower().startswith(lang):
                    return info
        return self.infos[0] if self.infos else {}

    def areas(self) -> list[dict[str, Any]]:
        """The areas of the first info block (each language repeats the same areas)."""
        return list(self.info("en", "ar").get("areas", []))


def _text(parent: etree._Element, tag: str) -> str | None:
    found = parent.find(f"{_Q}{tag}")
    return found.text.strip() if found is not None and found.text else None


def _point(pair: str, where: str) -> tuple[float, float]:
    try:
        lat_text, lon_text = pair.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise Problem(422, "cap_area_invalid", area=where, value=pair[:60]) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Problem(422, "cap_area_invalid", area=where, value=pair[:60])
    return lat, lon


def _area(element: etree._Element) -> dict[str, Any]:
    where = _text(element, "areaDesc") or ""
    polygons = []
    for polygon in element.findall(f"{_Q}polygon"):
        ring = [_point(pair, where) for pair in (polygon.text or "").split()]
        problem = polygon_problem(ring)
        if problem:
            raise Problem(
                422,
                "cap_polygon_invalid",
                area=where,
                reason=message(f"validation.{problem}", "en"),
                reason_ar=message(f"validation.{problem}", "ar"),
            )
        polygons.append([[lat, lon] for lat, lon in ring])
    circles = []
    for circle in element.findall(f"{_Q}circle"):
        centre, _, radius = (circle.text or "").strip().partition(" ")
        lat, lon = _point(centre, where)
        try:
            radius_km = float(radius)
        except ValueError:
            raise Problem(422, "cap_area_invalid", area=where, value=radius[:60]) from None
        if not 0 <= radius_km <= 20_000:
            raise Problem(422, "cap_area_invalid", area=where, value=radius[:60])
        circles.append({"lat": lat, "lon": lon, "radius_km": radius_km})
    geocodes = [
        {"name": _text(g, "valueName") or "", "value": _text(g, "value") or ""}
        for g in element.findall(f"{_Q}geocode")
    ]
    return {"description": where, "polygons": polygons, "circles": circles, "geocodes": geocodes}


def _info(element: etree._Element) -> dict[str, Any]:
    return {
        "language": _text(element, "language") or "en-US",
        "category": [c.text for c in element.findall(f"{_Q}category")],
        "event": _text(element, "event"),
        "urgency": _text(element, "urgency"),
        "severity": _text(element, "severity"),
        "certainty": _text(element, "certainty"),
        "effective": _text(element, "effective"),
        "expires": _text(element, "expires"),
        "sender_name": _text(element, "senderName"),
        "headline": _text(element, "headline"),
        "description": _text(element, "description"),
        "instruction": _text(element, "instruction"),
        "areas": [_area(a) for a in element.findall(f"{_Q}area")],
    }


def check_root(root: etree._Element) -> None:
    if root.tag != f"{_Q}alert":
        raise Problem(422, "cap_wrong_namespace", found=str(root.tag)[:120], expected=CAP_NS)


def read(root: etree._Element) -> ParsedAlert:
    """A CAP 1.2 alert from an element that passed `xmlsafe.parse`: schema, then geometry."""
    check_root(root)
    validate(root)
    sent = _text(root, "sent") or ""
    return ParsedAlert(
        identifier=_text(root, "identifier") or "",
        sender=_text(root, "sender") or "",
        sent=sent,
        # The schema's pattern makes this an ISO time with an offset.
        sent_at=datetime.fromisoformat(sent),
        cap_status=_text(root, "status") or "",
        msg_type=_text(root, "msgType") or "",
        references=(_text(root, "references") or "").split(),
        infos=[_info(i) for i in root.findall(f"{_Q}info")],
    )


def parse(data: bytes, limits: xmlsafe.Limits) -> ParsedAlert:
    return read(xmlsafe.parse(data, limits))
