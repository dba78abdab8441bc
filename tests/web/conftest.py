"""A real `tansiq serve` and Debian's headless Chromium, driven by Playwright's sync API.

No browser is downloaded: Playwright launches /usr/bin/chromium (or TANSIQ_CHROMIUM). Without it
the browser tests are skipped with the reason shown, except under CI=true, where that fails.
Screenshots go to TANSIQ_SCREENSHOT_DIR (`make screenshots` points it at docs/screenshots),
otherwise to var/screenshots.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability._server import (
    Database,
    Person,
    ServerProcess,
    add_people,
    fresh_database,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}


def chromium_path() -> str | None:
    wanted = os.environ.get("TANSIQ_CHROMIUM")
    for candidate in [wanted, "/usr/bin/chromium", shutil.which("chromium")]:
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        reason = "Chromium is missing: install Debian's chromium (make test does when root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the browser. {reason}")
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true requires playwright (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def console_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with fresh_database("sqlite", tmp_path_factory.mktemp("console")) as db:
        yield db


@pytest.fixture(scope="module")
def people(console_db: Database) -> dict[str, Person]:
    specs = [
        ("amal", "dispatcher", "public_security", "secret"),
        ("badr", "dispatcher", "public_security", "secret"),
        ("layla", "supervisor", "public_security", "secret"),
        ("omar", "dispatcher", "public_security", "secret"),
    ]
    return {p.username: p for p in add_people(console_db, specs)}


@pytest.fixture(scope="module")
def server(console_db: Database, people: dict[str, Person]) -> Iterator[ServerProcess]:
    with ServerProcess(console_db) as srv:
        srv.start()
        yield srv


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def shots() -> Path:
    target = Path(os.environ.get("TANSIQ_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target
