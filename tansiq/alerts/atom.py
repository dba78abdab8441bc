"""The public Atom feed (RFC 4287) of alerts in force; each entry links to its CAP document.

Built from the stored CAP documents only, so the feed can say nothing the documents do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from tansiq.alerts.cap import CAP_MEDIA_TYPE, cap_time

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
_A = f"{{{ATOM_NS}}}"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class Entry:
    identifier: str
    url: str
    sent: datetime
    title_ar: str
    title_en: str
    summary_en: str | None
    msg_type: str


def build(
    *, feed_id: str, self_url: str, title: str, author: str, updated: datetime, entries: list[Entry]
) -> bytes:
    feed = etree.Element(f"{_A}feed", nsmap={None: ATOM_NS})
    feed.set(_LANG, "ar")

    def add(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, f"{_A}{tag}", attrs)
        element.text = text
        return element

    add(feed, "id", feed_id)
    add(feed, "title", title)
    add(feed, "updated", cap_time(updated))
    etree.SubElement(feed, f"{_A}link", rel="self", href=self_url, type=ATOM_MEDIA_TYPE)
    add(etree.SubElement(feed, f"{_A}author"), "name", author)
    for e in entries:
        entry = etree.SubElement(feed, f"{_A}entry")
        add(entry, "id", e.url)
        prefix = "" if e.msg_type == "Alert" else f"[{e.msg_type}] "
        add(entry, "title", f"{prefix}{e.title_ar} | {e.title_en}")
        add(entry, "updated", cap_time(e.sent))
        add(entry, "published", cap_time(e.sent))
        etree.SubElement(entry, f"{_A}link", rel="alternate", href=e.url, type=CAP_MEDIA_TYPE)
        if e.summary_en:
            add(entry, "summary", e.summary_en, **{_LANG: "en"})
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def cap_links(root: etree._Element, base_url: str) -> list[str]:
    """The CAP documents an Atom feed from outside links to (absolute URLs), in feed order."""
    from urllib.parse import urljoin

    urls = []
    for entry in root.findall(f"{_A}entry"):
        links = entry.findall(f"{_A}link")
        chosen = [link for link in links if "cap" in (link.get("type") or "")] or [
            link for link in links if link.get("rel", "alternate") == "alternate"
        ]
        if chosen and chosen[0].get("href"):
            urls.append(urljoin(base_url, chosen[0].get("href", "")))
    return urls


def is_feed(root: etree._Element) -> bool:
    return bool(root.tag == f"{_A}feed")
