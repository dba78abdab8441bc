"""Hostile input: every request below is refused with a clear problem, or handled safely, and a
refused request leaves nothing behind. Each runs on SQLite and PostgreSQL.

What the database cannot hold (NUL bytes, ids beyond its integer range) is in the tests that are
not yet collected (see the module docstring of `pending_hostile_input.py`, when present).
"""

from __future__ import annotations

import time

import pytest

from tests.security.hostile import (
    INJECTIONS,
    SPOT,
    assert_problem,
    header,
    raw_get,
    raw_request,
    snapshot,
)

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def admin(make_user):
    return make_user("admin", "systems_information", "secret")


@pytest.fixture
def incident(client, admin):
    r = client.post(
        "/api/v1/incidents",
        json={"type": "theft", **SPOT, "description": "seed"},
        headers=admin.headers,
    )
    assert r.status_code == 201
    return r.json()


def _write_routes(incident_id: int) -> list[tuple[str, str]]:
    return [
        ("POST", "/api/v1/incidents"),
        ("PATCH", f"/api/v1/incidents/{incident_id}"),
        ("POST", f"/api/v1/incidents/{incident_id}/notes"),
        ("POST", f"/api/v1/incidents/{incident_id}/transitions"),
        ("POST", f"/api/v1/incidents/{incident_id}/shares"),
        ("POST", "/api/v1/units"),
        ("POST", "/api/v1/users"),
        ("PATCH", "/api/v1/users/someone"),
        ("POST", "/api/v1/agencies"),
        ("POST", "/api/v1/incident-types"),
        ("POST", "/api/v1/unit-types"),
        ("PUT", "/api/v1/auth/me/language"),
    ]


# --- size and shape of the body ----------------------------------------------------------------


def test_oversized_bodies_are_refused_on_every_write_route(client, admin, incident):
    before = snapshot(client, admin.headers)
    body = b'{"description": "' + b"x" * 1_100_000 + b'"}'
    for method, path in _write_routes(incident["id"]):
        r = client.request(method, path, content=body, headers={**admin.headers, **JSON})
        assert assert_problem(r, 413)["code"] == "body_too_large", (method, path)
    assert snapshot(client, admin.headers) == before


NESTED = [
    b'{"type": "theft", "lat": 29.3, "lon": 47.9, "description": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
    b'{"type": "theft", "lat": 29.3, "lon": 47.9, "description": '
    + b'{"a": ' * 50_000
    + b"1"
    + b"}" * 50_000
    + b"}",
]


def test_deeply_nested_json_is_refused_without_storing_anything(client, admin, incident):
    before = snapshot(client, admin.headers)
    for document in NESTED:
        for method, path in _write_routes(incident["id"]):
            r = client.request(method, path, content=document, headers={**admin.headers, **JSON})
            assert_problem(r, (400, 422))
    assert snapshot(client, admin.headers) == before


INVALID_UTF8 = [
    b"\xff\xfe",  # not UTF-8 at all
    b"\xc0\xaf",  # overlong encoding of "/"
    b"\xed\xa0\x80",  # a UTF-16 surrogate encoded as UTF-8
    b"\xe2\x82",  # truncated sequence
    b"\x80abc",  # lone continuation byte
]


def test_invalid_utf8_bodies_are_refused(client, admin, incident):
    before = snapshot(client, admin.headers)
    for raw in INVALID_UTF8:
        body = b'{"type": "theft", "lat": 29.3, "lon": 47.9, "description": "a' + raw + b'b"}'
        for path, content in (
            ("/api/v1/incidents", body),
            (f"/api/v1/incidents/{incident['id']}/notes", b'{"text": "a' + raw + b'b"}'),
            ("/api/v1/units", b'{"type": "patrol_car", "callsign": "' + raw + b'"}'),
        ):
            r = client.post(path, content=content, headers={**admin.headers, **JSON})
            assert_problem(r, (400, 422))
    assert snapshot(client, admin.headers) == before


def test_escaped_lone_surrogates_are_refused(client, admin, incident):
    before = snapshot(client, admin.headers)
    for path, content in (
        ("/api/v1/incidents", b'{"type": "theft", "lat": 1, "lon": 1, "description": "\\ud800"}'),
        (f"/api/v1/incidents/{incident['id']}/notes", b'{"text": "a\\udfffb"}'),
        (
            "/api/v1/agencies",
            b'{"code": "abc_def", "name_en": "\\ud83d", "name_ar": "x"}',
        ),
    ):
        r = client.post(path, content=content, headers={**admin.headers, **JSON})
        assert assert_problem(r, 422)["code"] == "validation_failed"
    assert snapshot(client, admin.headers) == before


UNREPRESENTABLE = [
    b'{"type": "theft", "lat": 1e400, "lon": 1}',
    b'{"type": "theft", "lat": NaN, "lon": 1}',
    b'{"type": "theft", "lat": -Infinity, "lon": 1}',
    b'{"type": "theft", "lat": 1, "lon": 1, "priority": ' + b"1" * 5000 + b"}",
    b'{"type": "theft", "lat": ' + b"9" * 5000 + b', "lon": 1}',
    b"[1, 2, 3]",
    b'"a string"',
    b"null",
    b"",
    b"{not json",
]


def test_numbers_and_documents_an_incident_cannot_be_are_refused(client, admin):
    before = snapshot(client, admin.headers)
    for document in UNREPRESENTABLE:
        r = client.post("/api/v1/incidents", content=document, headers={**admin.headers, **JSON})
        assert_problem(r, (400, 422))
    assert snapshot(client, admin.headers) == before


NOT_JSON = [
    ("text/plain", b'{"type": "theft", "lat": 1, "lon": 1}'),
    ("application/xml", b"<incident><type>theft</type></incident>"),
    ("application/x-www-form-urlencoded", b"type=theft&lat=1&lon=1"),
    (
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Disposition: form-data\r\n\r\n1\r\n--x--",
    ),
]


def test_bodies_that_are_not_json_are_refused(client, admin):
    before = snapshot(client, admin.headers)
    for content_type, content in NOT_JSON:
        r = client.post(
            "/api/v1/incidents",
            content=content,
            headers={**admin.headers, "Content-Type": content_type},
        )
        assert_problem(r, (400, 415, 422))
    assert snapshot(client, admin.headers) == before


# --- injection strings: stored and returned verbatim -------------------------------------------


def _ok(r, status=200):
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    return r.json()


def test_injection_strings_in_incident_fields_are_stored_and_returned_verbatim(client, admin):
    h = admin.headers
    for text in INJECTIONS:
        created = _ok(
            client.post(
                "/api/v1/incidents",
                json={"type": "theft", **SPOT, "description": text, "address": text, "area": text},
                headers=h,
            ),
            201,
        )
        assert (created["description"], created["address"], created["area"]) == (text,) * 3
        got = _ok(client.get(f"/api/v1/incidents/{created['id']}", headers=h))
        assert (got["description"], got["address"], got["area"]) == (text,) * 3

        reversed_text = text[::-1].strip()
        updated = _ok(
            client.patch(
                f"/api/v1/incidents/{created['id']}",
                json={"description": reversed_text, "address": reversed_text},
                headers=h,
            )
        )
        assert updated["description"] == updated["address"] == reversed_text
        note = _ok(
            client.post(f"/api/v1/incidents/{created['id']}/notes", json={"text": text}, headers=h),
            201,
        )
        assert note["text"] == text
        moved = _ok(
            client.post(
                f"/api/v1/incidents/{created['id']}/transitions",
                json={"status": "acknowledged", "note": text},
                headers=h,
            )
        )
        assert moved["status"] == "acknowledged"
        timeline = _ok(client.get(f"/api/v1/incidents/{created['id']}/timeline", headers=h))
        assert sum(entry["text"] == text for entry in timeline) >= 1

    listed = _ok(client.get("/api/v1/incidents?limit=500", headers=h))["items"]
    assert sorted(i["area"] for i in listed) == sorted(INJECTIONS)
    # Every table the strings aimed at is still there and whole.
    assert _ok(client.get("/api/v1/incidents/count", headers=h))["count"] == len(INJECTIONS)
    assert any(u["username"] == admin.username for u in _ok(client.get("/api/v1/users", headers=h)))


def test_injection_strings_in_unit_user_agency_and_type_names_are_returned_verbatim(client, admin):
    h = admin.headers
    for n, text in enumerate(INJECTIONS):
        unit = _ok(
            client.post("/api/v1/units", json={"callsign": text, "type": "patrol_car"}, headers=h),
            201,
        )
        assert unit["callsign"] == text
        assert _ok(client.get(f"/api/v1/units/{unit['id']}", headers=h))["callsign"] == text

        if n < 2:  # creating a user hashes a password: two are enough to cover the create path
            user = _ok(
                client.post(
                    "/api/v1/users",
                    json={
                        "username": f"hostile.{n}",
                        "password": "correct horse battery staple",
                        "role": "viewer",
                        "agency": "traffic",
                        "display_name": text,
                    },
                    headers=h,
                ),
                201,
            )
            assert user["display_name"] == text
        patched = _ok(
            client.patch(f"/api/v1/users/hostile.{n % 2}", json={"display_name": text}, headers=h)
        )
        assert patched["display_name"] == text
        assert _ok(client.get(f"/api/v1/users/hostile.{n % 2}", headers=h))["display_name"] == text

        code = f"hostile_{n}"
        agency = _ok(
            client.post(
                "/api/v1/agencies",
                json={"code": code, "name_en": text, "name_ar": text},
                headers=h,
            ),
            201,
        )
        assert agency["name_en"] == agency["name_ar"] == text
        agency = _ok(client.patch(f"/api/v1/agencies/{code}", json={"name_ar": text}, headers=h))
        assert agency["name_ar"] == text
        itype = _ok(
            client.post(
                "/api/v1/incident-types",
                json={"code": code, "name_en": text, "name_ar": text, "lead_agency": code},
                headers=h,
            ),
            201,
        )
        assert itype["name_en"] == itype["name_ar"] == text
        utype = _ok(
            client.post(
                "/api/v1/unit-types",
                json={"code": code, "name_en": text, "name_ar": text},
                headers=h,
            ),
            201,
        )
        assert utype["name_en"] == utype["name_ar"] == text

    assert {
        u["callsign"] for u in _ok(client.get("/api/v1/units?limit=500", headers=h))["items"]
    } == set(INJECTIONS)
    names = {a["name_en"] for a in _ok(client.get("/api/v1/agencies", headers=h))}
    assert set(INJECTIONS) <= names
    display = {u["display_name"] for u in _ok(client.get("/api/v1/users", headers=h))}
    assert set(INJECTIONS[-2:]) <= display


def test_injection_strings_as_reference_codes_are_unknown_and_store_nothing(client, admin):
    before = snapshot(client, admin.headers)
    for text in INJECTIONS:
        for body in (
            {"type": text, **SPOT},
            {"type": "theft", **SPOT, "agency": text},
            {"type": "theft", **SPOT, "share_with": [text]},
        ):
            r = client.post("/api/v1/incidents", json=body, headers=admin.headers)
            assert_problem(r, 422)
        r = client.post(
            "/api/v1/units", json={"callsign": "X1", "type": text}, headers=admin.headers
        )
        assert_problem(r, 422)
    assert snapshot(client, admin.headers) == before


def test_injection_strings_in_search_and_filters_match_only_what_they_say(client, admin):
    h = admin.headers
    decoy = _ok(
        client.post(
            "/api/v1/incidents",
            json={"type": "fire", **SPOT, "description": "زحام", "area": "الجهراء"},
            headers=h,
        ),
        201,
    )
    ids = {}
    for text in INJECTIONS:
        made = _ok(
            client.post(
                "/api/v1/incidents",
                json={"type": "theft", **SPOT, "description": text, "area": text},
                headers=h,
            ),
            201,
        )
        ids[text] = made["id"]
    for text in INJECTIONS:
        started = time.monotonic()
        found = _ok(client.get("/api/v1/incidents", params={"q": text}, headers=h))["items"]
        assert time.monotonic() - started < 4, "a search string ran as SQL"
        found_ids = {i["id"] for i in found}
        assert ids[text] in found_ids and decoy["id"] not in found_ids, text
        by_area = _ok(client.get("/api/v1/incidents", params={"area": text}, headers=h))["items"]
        assert [i["id"] for i in by_area] == [ids[text]]
        counted = _ok(client.get("/api/v1/incidents/count", params={"q": text}, headers=h))
        assert counted["count"] == len(found_ids)
        for params in ({"type": text}, {"agency": text}):
            r = client.get("/api/v1/incidents", params=params, headers=h)
            assert r.status_code < 500
            if r.status_code == 200:
                assert r.json()["items"] == []
            else:
                assert_problem(r)


# --- ids and path segments ---------------------------------------------------------------------

TRAVERSALS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..%5C..%5Cwindows%5Cwin.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "..%c0%af..%c0%afetc%c0%afpasswd",
    "1%2F..%2F2",
    "%2Fetc%2Fpasswd",
]


# What an id or code that is a path in disguise may get: never a file, never a 500.
PATH_CODES = {
    "not_found",
    "route_not_found",
    "validation_failed",
    "method_not_allowed",
    "unknown_reference",
    "bad_request",
}


def _aimed_at(i: int, segment: str) -> list[tuple[str, str, dict[str, str] | None]]:
    return [
        ("GET", f"/api/v1/incidents/{segment}", None),
        ("GET", f"/api/v1/incidents/{i}/timeline/{segment}", None),
        ("PATCH", f"/api/v1/incidents/{segment}", {"description": "x"}),
        ("GET", f"/api/v1/units/{segment}", None),
        ("GET", f"/api/v1/users/{segment}", None),
        ("PATCH", f"/api/v1/users/{segment}", {"display_name": "x"}),
        ("PATCH", f"/api/v1/agencies/{segment}", {"name_en": "x"}),
        ("PATCH", f"/api/v1/incident-types/{segment}", {"name_en": "x"}),
        ("PATCH", f"/api/v1/unit-types/{segment}", {"name_en": "x"}),
        ("DELETE", f"/api/v1/incidents/{i}/shares/{segment}", None),
        ("POST", f"/api/v1/incidents/{i}/assignments/{segment}/release", None),
        ("GET", f"/api/v1/{segment}", None),
    ]


def test_path_traversal_in_ids_and_codes_is_not_found_or_refused(client, admin, incident):
    before = snapshot(client, admin.headers)
    for segment in TRAVERSALS:
        for method, path, body in _aimed_at(incident["id"], segment):
            r = client.request(method, path, json=body, headers=admin.headers)
            problem = assert_problem(r, (400, 404, 405, 422))
            assert "root:" not in r.text and "[fonts]" not in r.text, (method, path)
            assert problem["code"] in PATH_CODES, (method, path, problem)
    assert snapshot(client, admin.headers) == before


def test_raw_dot_segments_reach_no_file(live_server, admin):
    for target in (
        b"/api/v1/../../../../etc/passwd",
        b"/api/v1/users/../../../../etc/passwd",
        b"/api/v1/incidents/1/../../../../../etc/passwd",
        b"/../../../../etc/passwd",
        b"/api/v1/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ):
        status, head, body = raw_get(live_server, target, token=admin.token)
        assert status == 404 and b"root:" not in body, (target, status, body[:200])
        assert header(head, b"content-type") == b"application/problem+json"


# --- query strings and headers -----------------------------------------------------------------


def test_long_query_values_are_refused_or_match_nothing(client, admin):
    before = snapshot(client, admin.headers)
    for path, params in (
        ("/api/v1/incidents", {"q": "x" * 20_000}),
        ("/api/v1/incidents", {"area": "ح" * 5_000}),
        ("/api/v1/incidents", {"cursor": "c" * 20_000}),
        ("/api/v1/units", {"cursor": "c" * 20_000}),
        ("/api/v1/incidents", {"bbox": "1," * 5_000}),
        ("/api/v1/incidents", {"reported_from": "2026-01-01T00:00:00" + "0" * 5_000 + "Z"}),
    ):
        assert_problem(client.get(path, params=params, headers=admin.headers), (400, 422))
    # A long code is only a code that matches nothing.
    for path, params in (
        ("/api/v1/incidents", {"type": "t" * 5_000}),
        ("/api/v1/incidents", {"agency": "a" * 5_000}),
        ("/api/v1/units", {"agency": "a" * 5_000}),
        ("/api/v1/units", {"type": "t" * 5_000}),
    ):
        r = client.get(path, params=params, headers=admin.headers)
        if r.status_code == 200:
            assert r.json()["items"] == []
        else:
            assert_problem(r, (400, 422))
    assert snapshot(client, admin.headers) == before


def test_thousands_of_repeated_query_parameters_are_answered_not_crashed(client, admin):
    repeated = {"type": "theft", "agency": "traffic", "status": "reported", "priority": "1"}
    for name, value in repeated.items():
        query = "&".join(f"{name}={value}" for _ in range(3_000))
        for path in ("/api/v1/incidents", "/api/v1/incidents/count", "/api/v1/units"):
            r = client.get(f"{path}?{query}", headers=admin.headers)
            assert r.status_code < 500, r.text[:300]
            if r.status_code >= 400:
                assert_problem(r, (400, 422))


def test_a_request_line_of_a_megabyte_is_refused_and_the_server_keeps_serving(live_server, admin):
    for target in (
        b"/api/v1/incidents?q=" + b"x" * 1_000_000,
        b"/api/v1/users/" + b"x" * 1_000_000,
    ):
        status, _, _ = raw_get(live_server, target, token=admin.token)
        assert 400 <= status < 500
    status, _, body = raw_get(live_server, b"/api/v1/health")
    assert status == 200 and b'"ok"' in body


CONTROL = [b"\x00", b"\x01", b"\x08", b"\x7f", b"\x1b[2J", b"a\rX-Injected: 1"]


def test_control_characters_in_headers_are_refused_before_the_app(live_server, admin):
    for bad in CONTROL:
        for extra in (
            b"X-Request-ID: a" + bad + b"b\r\n",
            b"Idempotency-Key: k" + bad + b"\r\n",
            b"Accept-Language: ar" + bad + b"\r\n",
        ):
            status, head, _ = raw_get(live_server, b"/api/v1/auth/me", extra, token=admin.token)
            # The HTTP parser answers before the app: a plain 400, and nothing echoed.
            assert status == 400, (extra, status)
            assert header(head, b"x-injected") is None
    status, _, _ = raw_get(live_server, b"/api/v1/health")
    assert status == 200


def test_bytes_beyond_ascii_in_headers_get_problems_or_are_ignored(live_server, admin, client):
    status, head, body = raw_get(
        live_server, b"/api/v1/auth/me", b"Authorization: Bearer \xff\xfe\r\n"
    )
    assert status == 401 and header(head, b"content-type") == b"application/problem+json"
    assert b'"code":"invalid_token"' in body or b'"code":"unauthenticated"' in body

    status, head, _ = raw_get(live_server, b"/api/v1/health", b"X-Request-ID: \xe2\x80\xae\xff\r\n")
    assert status == 200
    assert header(head, b"x-request-id") not in (None, b"\xe2\x80\xae\xff")

    before = snapshot(client, admin.headers)
    payload = b'{"type": "theft", "lat": 29.3, "lon": 47.9}'
    for extra in (b"Idempotency-Key: \xff\xfe\r\n", b"Idempotency-Key: " + b"k" * 300 + b"\r\n"):
        status, head, body = raw_request(
            live_server,
            b"POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {admin.token}\r\n".encode()
            + extra
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload,
        )
        assert status == 400 and b"idempotency_key_invalid" in body
    incident_id = client.post(
        "/api/v1/incidents", json={"type": "theft", **SPOT}, headers=admin.headers
    ).json()["id"]
    patch = b'{"description": "x"}'
    for value in (b"\xff", b'"1"\xe2\x80\xae', b"W/" + b"9" * 40):
        status, head, body = raw_request(
            live_server,
            f"PATCH /api/v1/incidents/{incident_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + f"Authorization: Bearer {admin.token}\r\n".encode()
            + b"If-Match: "
            + value
            + b"\r\n"
            + b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(patch)}\r\nConnection: close\r\n\r\n".encode()
            + patch,
        )
        assert status == 400 and b"if_match_invalid" in body, (value, status, body[:200])
    after = snapshot(client, admin.headers)
    assert len(after["incidents"]) == len(before["incidents"]) + 1
    assert after["incidents"][0]["description"] == ""


def test_many_and_large_headers_are_answered_and_the_server_keeps_serving(live_server):
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(2_000))
    large = b"X-Large: " + b"v" * 60_000 + b"\r\n"
    for extra in (many, large):
        status, _, _ = raw_get(live_server, b"/api/v1/health", extra)
        assert status in (200, 400, 413, 431)
    status, _, _ = raw_get(live_server, b"/api/v1/health")
    assert status == 200


def test_hostile_login_forms_are_refused_with_problems(client):
    for form in (
        {"username": "admin' OR '1'='1", "password": "' OR '1'='1"},
        {"username": "x" * 10_000, "password": "y"},
        {"username": "<script>alert(1)</script>", "password": "z" * 10_000},
        {"username": "حريق", "password": "\u202e"},
    ):
        r = client.post("/api/v1/auth/token", data=form)
        assert_problem(r, (400, 401, 422, 429))
    r = client.post(
        "/api/v1/auth/token",
        content=b"username=%ff%fe&password=%c0%af",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(r, (400, 401, 422, 429))
