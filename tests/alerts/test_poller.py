"""Polling CAP sources: a real HTTP server (started here, on 127.0.0.1) serves an Atom feed and
CAP documents; the poller imports each message once, refuses links to other hosts, and runs by
itself inside the app when sources are configured."""

from __future__ import annotations

import functools
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tansiq.access.directory import Directory
from tansiq.alerts.models import CapImport
from tansiq.alerts.poller import Poller
from tansiq.alerts.settings import AlertSettings
from tansiq.app import create_app
from tansiq.emergencies.models import Emergency
from tests.alerts.conftest import DATA

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:example:met:warnings</id>
  <title>Warnings</title>
  <updated>2026-04-15T06:00:00+03:00</updated>
  <entry>
    <id>urn:example:met:1</id><title>Dust</title><updated>2026-04-15T06:00:00+03:00</updated>
    <link rel="alternate" type="application/cap+xml" href="cap/kuwait_dust.xml"/>
  </entry>
  <entry>
    <id>urn:example:met:2</id><title>Storm</title><updated>2026-04-15T06:00:00+03:00</updated>
    <link rel="alternate" type="application/cap+xml" href="/cap/nws_thunderstorm.xml"/>
  </entry>
  <entry>
    <id>urn:example:met:3</id><title>Elsewhere</title><updated>2026-04-15T06:00:00+03:00</updated>
    <link rel="alternate" type="application/cap+xml" href="http://169.254.169.254/latest"/>
  </entry>
</feed>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def cap_server(tmp_path):
    """A real HTTP server in a thread serving feed.atom and cap/*.xml; yields its base URL."""
    (tmp_path / "cap").mkdir()
    for name in ("kuwait_dust.xml", "nws_thunderstorm.xml"):
        (tmp_path / "cap" / name).write_bytes((DATA / name).read_bytes())
    (tmp_path / "feed.atom").write_text(FEED)
    (tmp_path / "broken.xml").write_text("<alert")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _identifiers(store):
    with store.read() as session:
        return sorted(session.execute(select(CapImport.identifier)).scalars())


def test_a_feed_is_polled_and_each_linked_alert_imported_once(cap_server, store):
    settings = AlertSettings(import_urls=f"{cap_server}/feed.atom, {cap_server}/broken.xml")
    poller = Poller(store, settings)
    first = poller.poll_once()
    assert first.imported == 2
    assert _identifiers(store) == ["KSTO1055887203", "MET-KW-2026-0415"]
    # The link to another host is not fetched; the broken source is reported, not fatal.
    assert any("169.254.169.254" in f and "not on the feed's host" in f for f in first.failures)
    assert any("broken.xml" in f for f in first.failures)
    with store.read() as session:
        sources = set(session.execute(select(CapImport.source)).scalars())
    assert sources == {
        f"{cap_server}/cap/kuwait_dust.xml",
        f"{cap_server}/cap/nws_thunderstorm.xml",
    }

    with store.read() as session:
        drafted = {
            e.source_ref.split(",")[1]: (
                e.kind,
                e.status,
                Directory(session).agency_code(e.agency_id),
            )
            for e in session.execute(select(Emergency)).scalars()
        }
    # Imported by the system, for the configured agency (the joint operations room by default).
    assert drafted == {
        "KSTO1055887203": ("heavy_rain", "draft", "joint_ops_room"),
        "MET-KW-2026-0415": ("sandstorm", "draft", "joint_ops_room"),
    }

    second = poller.poll_once()
    assert second.imported == 0
    # A new process (a restart) fetches the documents again and finds them already imported.
    fresh = Poller(store, settings).poll_once()
    assert (fresh.imported, fresh.already_known) == (0, 2)
    assert len(_identifiers(store)) == 2


def test_a_single_cap_document_can_be_a_source(cap_server, store):
    report = Poller(
        store, AlertSettings(import_urls=f"{cap_server}/cap/kuwait_dust.xml")
    ).poll_once()
    assert report.imported == 1 and report.failures == []


def test_only_http_sources_may_be_configured():
    with pytest.raises(ValueError, match="not an http"):
        AlertSettings(import_urls="file:///etc/passwd")


def test_the_server_polls_configured_sources_in_the_background(cap_server, settings, store):
    app = create_app(settings)
    app.state.alert_settings = AlertSettings(
        import_urls=f"{cap_server}/feed.atom", import_interval_seconds=1
    )
    with TestClient(app):
        deadline = time.monotonic() + 30
        while len(_identifiers(store)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_identifiers(store)) == 2


def test_without_sources_nothing_polls(settings):
    app = create_app(settings)
    with TestClient(app):
        assert not hasattr(app.state, "cap_poller")
