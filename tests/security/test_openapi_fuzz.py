"""The fuzzing harness itself: it sees every route, is signed in, and counts what it finds.

The fuzz run over the whole API (no 5xx, every response as documented) uses the same fixtures;
the long run is benchmarks/fuzz_long.py.
"""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute

from tansiq.app import create_app


def _operations(schema):
    return {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }


def _http_routes(routes, prefix=""):
    """(method, path) of every HTTP route, also inside included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            if route.include_in_schema:
                yield from ((method, prefix + route.path) for method in route.methods)
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.16x)
            inner = prefix + getattr(route.include_context, "prefix", "")
            yield from _http_routes(route.original_router.routes, inner)


def test_the_fuzzer_sees_every_http_route_of_the_app(fuzz_schema, settings):
    routes = set(_http_routes(create_app(settings).routes))
    assert len(routes) > 30 and routes == _operations(fuzz_schema)
    assert ("GET", "/api/v1/feed/sse") in routes  # the endless stream is fuzzed too


def test_the_fuzzer_is_an_admin_with_secret_clearance_and_its_ids_exist(fuzz_target):
    seeded = fuzz_target.seeded
    with httpx.Client(base_url=f"http://{fuzz_target.base_url}") as http:
        me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {fuzz_target.token()}"})
        assert me.status_code == 200
        assert (me.json()["role"], me.json()["clearance"]) == ("admin", "secret")
        # A logout revokes one token; the next request gets a fresh one.
        token = fuzz_target.token()
        out = http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert out.status_code == 204
        fresh = {"Authorization": f"Bearer {fuzz_target.token()}"}
        for incident_id in seeded.incident_ids:
            assert http.get(f"/api/v1/incidents/{incident_id}", headers=fresh).status_code == 200
        for unit_id in seeded.unit_ids:
            assert http.get(f"/api/v1/units/{unit_id}", headers=fresh).status_code == 200
        for username in seeded.usernames:
            assert http.get(f"/api/v1/users/{username}", headers=fresh).status_code == 200
    assert len(seeded.assignment_ids) == 3 and seeded.agencies and seeded.incident_types


def test_a_run_counts_cases_and_reports_what_breaks_the_contract(fuzz_schema):
    from tests.security.fuzzing import run

    only_health = fuzz_schema.exclude(path_regex=r"^(?!/api/v1/health$)")
    report = run(only_health)
    assert report.cases >= 1 and report.responses == report.cases
    assert not report.failed(), report.describe()
    assert report.summary()["server_errors"] == 0


def test_every_operation_answers_as_documented_and_never_with_a_server_error(fuzz_schema):
    from tests.security.fuzzing import run

    report = run(fuzz_schema)
    print(report.summary())
    assert report.cases > 1000, report.summary()
    assert not report.failed(), report.describe()
