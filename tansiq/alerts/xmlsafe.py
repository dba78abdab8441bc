"""Reading XML that comes from outside: size, depth, DTDs and entities checked before lxml sees it.

Two passes. The first streams the bytes through defusedxml, which refuses any DOCTYPE (so no
entity, internal or external, is ever declared: that closes XXE file reads, billion-laughs
expansion and network fetches at once) and counts the nesting depth as it goes. Only a document
that passed is parsed by lxml, whose parser is built with entity resolution, network access,
DTD loading and huge-tree mode all off, for the schema check and the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from lxml import etree

from tansiq.errors import Problem


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 512 * 1024
    max_depth: int = 32


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )


def parse(data: bytes, limits: Limits) -> etree._Element:
    """The root element of `data`, or a Problem saying in both languages why it was refused."""
    if len(data) > limits.max_bytes:
        raise Problem(413, "xml_too_large", limit=limits.max_bytes)
    if not data.strip():
        raise Problem(422, "xml_not_well_formed", reason="empty document")
    depth = 0
    try:
        for event, _elem in iterparse(BytesIO(data), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if depth > limits.max_depth:
                    raise Problem(422, "xml_too_deep", limit=limits.max_depth)
            else:
                depth -= 1
    except DefusedXmlException:
        raise Problem(422, "xml_dtd_forbidden") from None
    except ParseError as exc:
        raise Problem(422, "xml_not_well_formed", reason=str(exc)) from None
    try:
        # The bytes passed the defused pass above and this parser resolves nothing.
        return etree.fromstring(data, hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise Problem(422, "xml_not_well_formed", reason=str(exc)) from None
