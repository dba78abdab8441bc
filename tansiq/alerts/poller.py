"""Polling CAP sources (TANSIQ_CAP_IMPORT_URLS) while the server runs.

Each URL may serve one CAP document or an Atom feed whose entries link to CAP documents. Links
are followed only to the feed's own scheme and host (a feed cannot send the server to fetch
from elsewhere, inside the network or out). A document already imported is skipped by its CAP
name; a link fetched and imported is not fetched again by this process. A failing source is
logged and tried again at the next interval; it never stops the others or the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import FastAPI

from tansiq.alerts import atom, cap, importer, xmlsafe
from tansiq.alerts.settings import AlertSettings
from tansiq.audit.context import acting_as
from tansiq.errors import Problem
from tansiq.store.db import Store

logger = logging.getLogger("tansiq.alerts.poller")
ACCEPT = "application/atom+xml, application/cap+xml, application/xml;q=0.9, */*;q=0.1"


@dataclass
class PollReport:
    imported: int = 0
    already_known: int = 0
    failures: list[str] = field(default_factory=list)


class FetchError(Exception):
    pass


def fetch(url: str, settings: AlertSettings) -> bytes:
    """The body at `url` (http or https only), at most the document size limit."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(url, headers={"Accept": ACCEPT, "User-Agent": "tansiq"})
    try:
        with urllib.request.urlopen(  # nosec B310 - scheme checked above: http(s) only, no file:
            request, timeout=settings.fetch_timeout_seconds
        ) as response:
            data: bytes = response.read(settings.max_document_bytes + 1)
    except OSError as exc:
        raise FetchError(f"{url}: {exc}") from exc
    return data


def _same_origin(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.netloc) == (y.scheme, y.netloc)


class Poller:
    def __init__(self, store: Store, settings: AlertSettings) -> None:
        self.store = store
        self.settings = settings
        self._done_links: set[str] = set()

    def poll_once(self) -> PollReport:
        report = PollReport()
        with acting_as(None, client="cap-poller"):
            for url in self.settings.urls:
                try:
                    self._poll(url, report)
                except (FetchError, Problem) as exc:
                    logger.warning("CAP source %s failed: %s", url, exc)
                    report.failures.append(f"{url}: {exc}")
        return report

    def _poll(self, url: str, report: PollReport) -> None:
        data = fetch(url, self.settings)
        root = xmlsafe.parse(data, self.settings.limits)
        if not atom.is_feed(root):
            self._keep(cap.read(root), data, url, report)
            return
        for link in atom.cap_links(root, url)[: self.settings.feed_size]:
            if link in self._done_links:
                continue
            if not _same_origin(link, url):
                report.failures.append(f"{link}: not on the feed's host, not fetched")
                continue
            try:
                document = fetch(link, self.settings)
                self._keep(cap.parse(document, self.settings.limits), document, link, report)
            except (FetchError, Problem) as exc:
                logger.warning("CAP document %s failed: %s", link, exc)
                report.failures.append(f"{link}: {exc}")
                continue
            self._done_links.add(link)

    def _keep(self, parsed: cap.ParsedAlert, data: bytes, source: str, report: PollReport) -> None:
        with self.store.write() as uow:
            result = importer.import_parsed(uow, None, parsed, data, source[:500], self.settings)
        if result.created:
            report.imported += 1
        else:
            report.already_known += 1

    async def run(self) -> None:
        while True:
            try:
                report = await asyncio.to_thread(self.poll_once)
                if report.imported:
                    logger.info("CAP import: %d new alert(s)", report.imported)
            except Exception:  # a bug must not end polling for good; it is logged
                logger.exception("CAP polling failed")
            await asyncio.sleep(self.settings.import_interval_seconds)


async def start(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Start polling if sources are configured; returns the coroutine that stops it."""
    settings: AlertSettings | None = getattr(app.state, "alert_settings", None)
    if settings is None or not settings.urls:

        async def nothing() -> None:
            return None

        return nothing
    poller = Poller(app.state.store, settings)
    app.state.cap_poller = poller
    task = asyncio.create_task(poller.run(), name="cap-poller")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
