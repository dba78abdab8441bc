"""The console in a real headless Chromium against a real `tansiq serve` (issue 6).

Each test is one thing an operator does: sign in, read Arabic right to left and switch to
English, see a colleague's new incident, be told about a stale edit, and ride out a restart.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import httpx
import pytest

from tansiq.events import log
from tansiq.i18n.catalogue import message
from tests.reliability._server import PASSWORD, Person, ServerProcess
from tests.web.conftest import VIEWPORT

pytestmark = pytest.mark.slow
# Skipped, not failed, where playwright is not installed; the browser fixture fails under CI=true.
expect = pytest.importorskip("playwright.sync_api").expect

# Places around Kuwait City for the incidents and units the screens show.
PLACES = [
    ("الشرق", 29.3773, 47.9900),
    ("حولي", 29.3328, 48.0286),
    ("السالمية", 29.3340, 48.0760),
    ("الفروانية", 29.2775, 47.9586),
    ("الجهراء", 29.3375, 47.6581),
    ("الأحمدي", 29.0769, 48.0839),
    ("الصباحية", 29.1250, 48.1080),
    ("الرميثية", 29.3116, 48.0735),
]
TYPES = [
    "fire",
    "traffic_collision_injury",
    "theft",
    "heavy_rain_flooding",
    "assault",
    "road_obstruction",
    "suspicious_object",
    "missing_person",
]
UNITS = [("patrol_car", 8), ("ambulance", 3), ("fire_engine", 3), ("motorcycle", 2)]


def report(api: httpx.Client, who: Person, **fields: object) -> dict:
    area, lat, lon = random.choice(PLACES)
    body = {"type": "theft", "lat": lat, "lon": lon, "area": area, **fields}
    r = api.post("/api/v1/incidents", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def picture(api: httpx.Client, people: dict[str, Person]) -> None:
    """A few incidents and units to look at."""
    rng = random.Random(6)
    who = people["amal"]
    for i, (area, lat, lon) in enumerate(PLACES * 2):
        report(
            api,
            who,
            type=TYPES[i % len(TYPES)],
            lat=lat + rng.uniform(-0.01, 0.01),
            lon=lon + rng.uniform(-0.01, 0.01),
            area=area,
            description=f"بلاغ تجريبي {i + 1}",
        )
    n = 0
    for unit_type, count in UNITS:
        for _ in range(count):
            n += 1
            area, lat, lon = PLACES[n % len(PLACES)]
            r = api.post(
                "/api/v1/units",
                headers=who.headers,
                json={
                    "callsign": f"U-{n:02d}",
                    "type": unit_type,
                    "lat": lat + rng.uniform(-0.03, 0.03),
                    "lon": lon + rng.uniform(-0.03, 0.03),
                },
            )
            assert r.status_code == 201, r.text


def open_page(browser, server: ServerProcess, *, storage=None):
    """A fresh browser context (its own storage, like another operator's screen)."""
    context = browser.new_context(viewport=VIEWPORT, storage_state=storage)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def sign_in(page, server: ServerProcess, username: str) -> None:
    page.goto(server.base_url + "/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#conn[data-state=live]")


def seqs(page) -> list[int]:
    return page.evaluate("() => window.tansiqConsole.incidentSeqs")


def test_sign_in_works_in_arabic_right_to_left_and_every_request_stays_on_the_server(
    browser, server, people, picture, shots: Path
):
    context, page = open_page(browser, server)
    origin = server.base_url
    foreign: list[str] = []
    seen: list[str] = []

    def intercept(route) -> None:
        url = route.request.url
        seen.append(url)
        if url.startswith(origin + "/") or url == origin:
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", intercept)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))

    page.goto(origin + "/")
    page.wait_for_selector("#login-form")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    assert page.inner_text("#login-submit") == message("console.login.submit", "ar")
    page.screenshot(path=str(shots / "login-ar.png"))

    sign_in(page, server, "amal")
    page.wait_for_selector("#queue-list li")
    page.wait_for_function("() => window.tansiqConsole.map.unitMarkers.size >= 16")
    assert page.inner_text("#conn") == message("console.conn.live", "ar")
    # The queue is on the right of the map in Arabic.
    queue = page.locator("#queue").bounding_box()
    assert queue["x"] > VIEWPORT["width"] / 2
    page.wait_for_timeout(500)  # let the marker clusters settle before the picture
    page.screenshot(path=str(shots / "console-ar.png"))

    page.locator("#queue-list button").first.click()
    page.wait_for_selector("#detail-record")
    page.screenshot(path=str(shots / "incident-ar.png"))

    assert foreign == []
    assert any("/api/v1/console/basemap" in url for url in seen)
    assert any("/static/vendor/leaflet/leaflet.js" in url for url in seen)
    assert sockets and all(s.startswith(origin.replace("http", "ws") + "/") for s in sockets)
    assert page.errors == []
    context.close()


def test_english_is_left_to_right_and_the_choice_is_remembered_for_the_user(
    browser, server, people, picture, shots: Path
):
    context, page = open_page(browser, server)
    page.goto(server.base_url + "/")
    page.click("#login .lang-switch")  # before signing in: this browser only
    page.wait_for_selector("html[dir=ltr]")
    assert page.inner_text("#login-submit") == message("console.login.submit", "en")
    page.screenshot(path=str(shots / "login-en.png"))
    page.click("#login .lang-switch")
    page.wait_for_selector("html[dir=rtl]")

    sign_in(page, server, "layla")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#console .lang-switch")
    page.wait_for_selector("html[dir=ltr]")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#queue-h") == message("console.queue.heading", "en")
    queue = page.locator("#queue").bounding_box()
    assert queue["x"] < VIEWPORT["width"] / 2  # on the left in English

    page.reload()
    page.wait_for_selector("#conn[data-state=live]")
    assert page.get_attribute("html", "dir") == "ltr"
    assert page.inner_text("#conn") == message("console.conn.live", "en")
    page.wait_for_selector("#queue-list li")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "console-en.png"))
    page.locator("#queue-list button").first.click()
    page.wait_for_selector("#detail-record")
    page.screenshot(path=str(shots / "incident-en.png"))
    context.close()

    # Another browser, nothing stored in it: the preference comes with the user.
    other, page = open_page(browser, server)
    page.goto(server.base_url + "/")
    page.wait_for_selector("html[dir=rtl]")
    sign_in(page, server, "layla")
    page.wait_for_selector("html[dir=ltr]")
    assert page.inner_text("#logout") == message("console.logout", "en")
    other.close()


def test_an_incident_typed_with_the_keyboard_reaches_a_second_screen_within_two_seconds(
    browser, server, people, picture
):
    ctx_a, a = open_page(browser, server)
    ctx_b, b = open_page(browser, server)
    sign_in(a, server, "amal")
    sign_in(b, server, "badr")
    area = f"اختبار-{uuid.uuid4().hex[:6]}"

    # Keyboard only: the shortcut opens the form with the type focused; type, tab, enter.
    a.locator("body").focus()
    a.keyboard.press("n")
    a.wait_for_selector("#create-dialog[open]")
    assert a.evaluate("() => document.activeElement.id") == "c-type"
    a.keyboard.press("ArrowDown")
    for value in ["", "29.3759", "47.9774", "", area]:
        a.keyboard.press("Tab")
        if value:
            a.keyboard.type(value)
    with a.expect_response(
        lambda r: r.url.endswith("/api/v1/incidents") and r.request.method == "POST"
    ) as created:
        a.keyboard.press("Enter")
    incident = created.value.json()
    assert created.value.status == 201
    assert incident["area"] == area and incident["lat"] == pytest.approx(29.3759)

    row = f'#queue-list [data-incident="{incident["id"]}"]'
    b.wait_for_selector(row, timeout=2_000)
    assert area in b.inner_text(row)
    assert b.evaluate(f"() => window.tansiqConsole.map.incidentMarkers.has({incident['id']})")
    a.wait_for_selector("#detail-record")  # the reporter sees the new incident's details
    assert a.errors == [] and b.errors == []
    ctx_a.close()
    ctx_b.close()


def test_a_stale_edit_is_explained_and_the_fresh_record_is_shown(browser, server, people, api):
    incident = report(api, people["amal"], description="first words")
    context, page = open_page(browser, server)
    sign_in(page, server, "omar")
    page.click(f'#queue-list [data-incident="{incident["id"]}"]')
    page.wait_for_selector("#edit-description")
    page.fill("#edit-description", "my version")

    # A colleague saves first.
    r = api.patch(
        f"/api/v1/incidents/{incident['id']}",
        json={"description": "their version"},
        headers={**people["badr"].headers, "If-Match": f'"{incident["version"]}"'},
    )
    assert r.status_code == 200
    page.wait_for_function(
        "() => document.querySelector('#detail-description').textContent === 'their version'"
    )
    # While typing, the operator is told the record changed under them...
    expect(page.locator("#detail-notice")).to_have_text(
        message("console.detail.changed_elsewhere", "ar")
    )
    # ...and saving anyway is refused (412), explained, and the fresh record shown.
    page.click("#edit-submit")
    expect(page.locator("#detail-notice")).to_contain_text(message("error.etag_mismatch", "ar"))
    assert page.input_value("#edit-description") == "their version"
    # Saving again now works, against the fresh version.
    page.fill("#edit-description", "my version")
    page.click("#edit-submit")
    page.wait_for_function(
        "() => document.querySelector('#detail-description').textContent === 'my version'"
    )
    assert (
        api.get(f"/api/v1/incidents/{incident['id']}", headers=people["omar"].headers).json()[
            "description"
        ]
        == "my version"
    )
    context.close()


def test_an_operator_works_an_incident_note_lifecycle_units_and_sharing(
    browser, server, people, picture, api
):
    area, lat, lon = PLACES[0]
    incident = report(api, people["amal"], type="theft", lat=lat, lon=lon, area=area)
    context, page = open_page(browser, server)
    sign_in(page, server, "badr")
    page.click(f'#queue-list [data-incident="{incident["id"]}"]')
    page.wait_for_selector("#detail-record")

    page.fill("#note-text", "وصلت الدورية إلى الموقع")
    page.click("#note-form button[type=submit]")
    expect(page.locator("#detail-timeline")).to_contain_text("وصلت الدورية إلى الموقع")

    page.click("[data-status=acknowledged]")
    expect(page.locator("#detail-status")).to_have_text(message("status.acknowledged", "ar"))

    choice = page.locator("#assign-unit option").first
    callsign = choice.inner_text().split(" ")[0]
    page.click("#assign-form button[type=submit]")
    release = page.get_by_role(
        "button", name=message("console.detail.release", "ar", callsign=callsign)
    )
    release.click()
    expect(page.locator("#detail-live")).to_contain_text(message("console.detail.no_units", "ar"))

    page.select_option("#share-agency", "traffic")
    page.click("#share-form button[type=submit]")
    expect(page.locator("#detail-record")).to_contain_text("قطاع المرور")

    headers = people["badr"].headers
    after = api.get(f"/api/v1/incidents/{incident['id']}", headers=headers).json()
    assert after["shared_with"] == ["traffic"]
    assert after["acknowledged_at"] is not None
    timeline = api.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=headers).json()
    kinds = [entry["kind"] for entry in timeline]
    assert {"note", "status", "assignment", "release", "share"} <= set(kinds)
    assignments = api.get(f"/api/v1/incidents/{incident['id']}/assignments", headers=headers).json()
    assert [a["callsign"] for a in assignments] == [callsign]
    assert not assignments[0]["active"]
    assert page.errors == []
    context.close()


def test_the_console_rides_out_a_server_restart_missing_nothing_and_repeating_nothing(
    browser, server, people, api, console_db
):
    context, page = open_page(browser, server)
    sign_in(page, server, "amal")
    before = page.evaluate("() => window.tansiqConsole.feed.lastSeq")

    server.stop()
    page.wait_for_selector("#conn[data-state=offline]")
    assert message("console.conn.reconnecting", "ar").split("{")[0] in page.inner_text("#conn")
    server.start()
    created = [report(api, people["badr"], description=f"after restart {i}") for i in range(5)]
    page.wait_for_selector("#conn[data-state=live]", timeout=30_000)
    for incident in created:
        page.wait_for_selector(f'#queue-list [data-incident="{incident["id"]}"]')

    store = console_db.store()
    try:
        with store.read() as session:
            expected = [
                e.seq
                for e in log.read_range(session, before, log.head(session))
                if e.record_type == "incident"
            ]
    finally:
        store.dispose()
    got = [s for s in seqs(page) if s > before]
    assert sorted(got) == expected  # every incident event since, once, in order
    assert page.evaluate("() => window.tansiqConsole.feed.stats.duplicates") == 0
    assert page.evaluate("() => window.tansiqConsole.feed.stats.reconnects") >= 1
    context.close()


def test_on_a_tablet_the_console_fits_the_screen_and_the_queue_opens_an_incident(
    browser, server, people, picture, shots: Path
):
    """A portrait tablet (800×1280, touch): no sideways scrolling, the map and the queue both
    on screen, and an incident opens from the queue with a tap."""
    context = browser.new_context(
        viewport={"width": 800, "height": 1280}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, server, "amal")
    page.wait_for_selector("#queue-list li")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 800, f"the page is {width}px wide on an 800px screen"
    for part in ("#map", "#queue"):
        box = page.locator(part).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, (part, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 801, (part, box)
    page.locator("#queue-list button").first.tap()
    page.wait_for_selector("#detail-record")
    assert page.locator("#detail-record").is_visible()
    page.screenshot(path=str(shots / "console-tablet-ar.png"))
    context.close()
