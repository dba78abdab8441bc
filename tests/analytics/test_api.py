"""`/api/v1/analytics`: analyses of the incidents a user may see, on SQLite and PostgreSQL.

The world: a cluster of 12 thefts at one spot in Kuwait City, 8 burglaries spread around it,
4 incidents shared with the criminal security sector and 5 secret ones, all reported by the
public security sector.  Places are chosen in metres of UTM 38N (the zone the API picks for
Kuwait), so the expected cells are known exactly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pyproj import Transformer
from shapely.geometry import Point, shape
from sqlalchemy import select, update

from tansiq.analytics import api, responses
from tansiq.analytics.incidents import Limits
from tansiq.analytics.problems import ENGINE_CODES
from tansiq.audit.models import AuditEntry
from tansiq.i18n.catalogue import catalogue
from tansiq.incidents.models import Incident

UTM38 = "+proj=utm +zone=38 +datum=WGS84 +units=m +no_defs +type=crs"
_TO_LONLAT = Transformer.from_crs(UTM38, "EPSG:4326", always_xy=True)
# A point in Kuwait City that is a corner of the 150 m and the 1 km grids.
X0, Y0 = 789_000.0, 3_252_000.0


def place(dx: float, dy: float) -> tuple[float, float]:
    """lon, lat of the point dx, dy metres from (X0, Y0)."""
    lon, lat = _TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


HOT = place(75, 75)  # centre of a 150 m cell
SHARED = place(2_075, 1_075)
SECRET = place(-1_925, 2_075)
SPREAD = [place(75 + 450 * i, -1_425 - 600 * (i % 3)) for i in range(8)]


def report(client: Any, actor: Any, where: tuple[float, float], **fields: Any) -> int:
    body = {"type": "theft", "lon": where[0], "lat": where[1], **fields}
    r = client.post("/api/v1/incidents", json=body, headers=actor.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture
def world(client: Any, make_user: Any) -> dict[str, list[int]]:
    reporter = make_user("dispatcher", "public_security", "secret")
    return {
        "hot": [report(client, reporter, HOT) for _ in range(12)],
        "spread": [report(client, reporter, p, type="burglary") for p in SPREAD],
        "shared": [
            report(client, reporter, SHARED, share_with=["criminal_security"]) for _ in range(4)
        ],
        "secret": [report(client, reporter, SECRET, classification="secret") for _ in range(5)],
    }


def get(client: Any, actor: Any, path: str, status: int = 200, **params: Any) -> dict[str, Any]:
    r = client.get(f"/api/v1/analytics/{path}", params=params, headers=actor.headers)
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def problem(client: Any, actor: Any, path: str, status: int, code: str, **params: Any) -> Any:
    """A refusal: the status, the code, and the message in English and in Arabic."""
    r = client.get(f"/api/v1/analytics/{path}", params=params, headers=actor.headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code, body
    assert body["detail"] and body["detail_ar"] and body["detail"] != body["detail_ar"]
    return body


def counted(collection: dict[str, Any]) -> int:
    return sum(f["properties"]["count"] for f in collection["features"])


def contains(feature: dict[str, Any], where: tuple[float, float]) -> bool:
    return bool(shape(feature["geometry"]).contains(Point(*where)))


# --- what the analyses find ----------------------------------------------------------------------


def test_the_hotspot_lands_in_the_cell_of_the_cluster(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    result = get(client, analyst, "hotspots")
    assert result["type"] == "FeatureCollection" and result["crs"] == "EPSG:32638"
    assert result["incidents"] == 29 and counted(result) == 29
    top = result["features"][0]
    assert top["properties"]["count"] == 12 and contains(top, HOT)
    # The cell's projected centre is the cluster's point, on a grid snapped to 150 m.
    assert top["properties"]["x"] == pytest.approx(X0 + 75)
    assert top["properties"]["y"] == pytest.approx(Y0 + 75)
    assert top["properties"]["density_km2"] > result["features"][1]["properties"]["density_km2"]


def test_another_agency_counts_only_what_was_shared_with_it(client, make_user, world) -> None:
    outsider = make_user("analyst", "criminal_security", "secret")
    result = get(client, outsider, "hotspots")
    assert result["incidents"] == 4 and counted(result) == 4
    assert len(result["features"]) == 1 and contains(result["features"][0], SHARED)


def test_lower_clearance_leaves_classified_incidents_out(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "restricted")
    result = get(client, analyst, "hotspots")
    assert result["incidents"] == 24 and counted(result) == 24
    assert not any(contains(f, SECRET) for f in result["features"])
    risk = get(client, analyst, "risk")
    assert not any(contains(f, SECRET) for f in risk["features"])


def test_filters_by_type_and_area(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    assert get(client, analyst, "hotspots", type="burglary")["incidents"] == 8
    west, south = place(-500, -500)
    east, north = place(500, 500)
    boxed = get(client, analyst, "hotspots", bbox=f"{west},{south},{east},{north}")
    assert boxed["incidents"] == 12


def test_cancelled_incidents_count_only_when_asked(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    supervisor = make_user("supervisor", "public_security", "secret")
    r = client.post(
        f"/api/v1/incidents/{world['hot'][0]}/transitions",
        json={"status": "cancelled"},
        headers=supervisor.headers,
    )
    assert r.status_code == 200, r.text
    assert get(client, analyst, "hotspots")["incidents"] == 28
    assert get(client, analyst, "hotspots", include_cancelled=True)["incidents"] == 29


def test_json_format_lists_cells_with_their_centres(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    result = get(client, analyst, "hotspots", format="json")
    top = result["cells"][0]
    assert top["count"] == 12
    assert top["lon"] == pytest.approx(HOT[0], abs=1e-6)
    assert top["lat"] == pytest.approx(HOT[1], abs=1e-6)


def test_gi_star_flags_the_cluster_hot_with_p_values(client, make_user) -> None:
    # A 5 x 5 block of 1 km cells with one incident each, and four busy cells in one corner.
    reporter = make_user("dispatcher", "public_security", "secret")
    for i in range(5):
        for j in range(5):
            busy = 6 if i < 2 and j < 2 else 1
            for _ in range(busy):
                report(client, reporter, place(500 + 1000 * i, 500 + 1000 * j))
    analyst = make_user("analyst", "public_security", "secret")
    result = get(client, analyst, "gi-star", cell_size=1000, permutations=199)
    assert result["study_cells"] == 25 and result["hot"] >= 1
    top = result["features"][0]["properties"]
    assert top["count"] == 6 and top["gi_spot"] == "hot"
    assert top["gi_p_sim"] <= 0.05 and top["gi_z"] > 2
    far = next(f for f in result["features"] if contains(f, place(4_500, 4_500)))
    assert far["properties"]["gi_spot"] != "hot" and far["properties"]["gi_z"] < 0


def test_risk_ranks_the_cluster_first_for_tomorrow(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    result = get(client, analyst, "risk")
    tomorrow = datetime.now(UTC).astimezone(api.check_timezone("Asia/Kuwait")).date()
    assert result["day"] == (tomorrow + timedelta(days=1)).isoformat()
    assert result["method"] == "decay"
    top = result["features"][0]
    assert top["properties"]["rank"] == 1 and contains(top, HOT)
    some = get(client, analyst, "risk", coverage=0.25, method="naive", format="json")
    assert len(some["cells"]) == result["study_cells"] // 4
    assert get(client, analyst, "risk", shift="22-6")["shift"] == "22-6"


def test_risk_uses_only_incidents_before_the_day_predicted(client, make_user, world) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    today = datetime.now(UTC).astimezone(api.check_timezone("Asia/Kuwait")).date()
    problem(client, analyst, "risk", 422, "analytics_no_incidents", at=today.isoformat())


def test_patrol_plan_puts_the_first_patrol_on_the_cluster(client, make_user, world) -> None:
    supervisor = make_user("supervisor", "public_security", "secret")
    plan = get(client, supervisor, "patrol-plan", patrols=2, cells_per_patrol=4)
    assert [f["properties"]["patrol"] for f in plan["features"]] == [1, 2]
    first = plan["features"][0]
    assert contains(first, HOT) and first["properties"]["cells"] == 4
    shares = [f["properties"]["expected_share"] for f in plan["features"]]
    assert shares[0] > 0.3 and sum(shares) <= 1.0
    by_area = get(client, supervisor, "patrol-plan", patrols=1, patrol_km2=0.09)
    assert by_area["cells_per_patrol"] == 4


def test_near_repeat_finds_the_pairs_close_in_space_and_time(client, make_user, store) -> None:
    # 15 places 3 km apart, each hit twice, 100 m and one day apart, at times spread over a year.
    reporter = make_user("dispatcher", "public_security", "secret")
    now = datetime.now(UTC)
    when: dict[int, datetime] = {}
    for k in range(15):
        first = report(client, reporter, place(3_000 * (k % 5), 3_000 * (k // 5)))
        second = report(client, reporter, place(3_000 * (k % 5) + 100, 3_000 * (k // 5)))
        when[first] = now - timedelta(days=20 + 20 * k)
        when[second] = now - timedelta(days=19 + 20 * k)
    with store.write() as uow:
        for incident_id, at in when.items():
            uow.session.execute(
                update(Incident).where(Incident.id == incident_id).values(reported_at=at)
            )
    analyst = make_user("analyst", "public_security", "secret")
    result = get(client, analyst, "near-repeat", permutations=99)
    assert result["incidents"] == 30 and len(result["bands"]) == 6 * 5
    near = next(b for b in result["bands"] if b["space_to_m"] == 200 and b["time_to_days"] == 7)
    assert near["observed"] == 15 and near["significant"] and near["p_value"] <= 0.02
    assert result["significant"] >= 1


def test_classified_incidents_used_in_an_analysis_are_audited(
    client, make_user, store, world
) -> None:
    analyst = make_user("analyst", "public_security", "secret")
    get(client, analyst, "hotspots")
    with store.read() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "analytics.hotspots")
        ).scalar_one()
    assert entry.actor == analyst.username and entry.after is not None
    assert entry.after["classified"] == 5 and sorted(entry.after["classified_ids"]) == sorted(
        world["secret"]
    )


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["dispatcher", "field_unit", "liaison", "viewer"])
def test_roles_without_the_permission_get_403(client, make_user, role) -> None:
    user = make_user(role, "public_security", "secret")
    for path in ["methods", "hotspots", "gi-star", "near-repeat", "risk", "patrol-plan"]:
        # Even with bad parameters: the role is judged first.
        problem(client, user, path, 403, "forbidden", cell_size=1)


def test_analysts_supervisors_and_admins_may(client, make_user) -> None:
    for role in ["analyst", "supervisor", "admin"]:
        body = get(client, make_user(role), "methods")
        assert body["default"] == "decay" and "sepp" in body["methods"]


def test_signed_out_callers_get_401(client) -> None:
    assert client.get("/api/v1/analytics/hotspots").status_code == 401


# --- bad input -------------------------------------------------------------------------------


@pytest.fixture
def analyst(make_user: Any) -> Any:
    return make_user("analyst", "public_security", "secret")


def test_a_time_without_zone_is_refused(client, analyst, world) -> None:
    body = problem(
        client, analyst, "hotspots", 422, "validation_failed", **{"from": "2024-01-01T00:00:00"}
    )
    assert body["errors"][0]["loc"] == ["query", "from"]
    assert body["errors"][0]["type"] == "timezone_aware"


def test_a_period_ending_before_it_starts_is_refused(client, analyst, world) -> None:
    period = {"from": "2024-02-01T00:00:00+03:00", "to": "2024-01-01T00:00:00+03:00"}
    problem(client, analyst, "hotspots", 400, "invalid_time_range", **period)
    problem(client, analyst, "risk", 400, "invalid_time_range", **period)


def test_an_empty_window_is_refused(client, analyst, world) -> None:
    period = {"from": "2001-01-01T00:00:00Z", "to": "2001-02-01T00:00:00Z"}
    for path in ["hotspots", "gi-star", "near-repeat", "risk", "patrol-plan"]:
        problem(client, analyst, path, 422, "analytics_no_incidents", **period)


def test_gi_star_on_incidents_all_in_one_cell_is_refused(client, analyst, world) -> None:
    west, south = place(0, 0)
    east, north = place(150, 150)
    bbox = f"{west},{south},{east},{north}"
    problem(client, analyst, "gi-star", 422, "analytics_one_cell", bbox=bbox)


def test_an_unknown_method_is_refused_naming_the_known_ones(client, analyst, world) -> None:
    body = problem(client, analyst, "risk", 422, "analytics_unknown_method", method="oracle")
    assert "oracle" in body["detail"] and "decay" in body["detail_ar"]
    problem(client, analyst, "patrol-plan", 422, "analytics_unknown_method", method="oracle")


def test_too_small_cells_over_too_large_an_area_are_refused(client, make_user, analyst) -> None:
    reporter = make_user("dispatcher", "public_security", "secret")
    report(client, reporter, (47.70, 30.05))  # Abdali
    report(client, reporter, (48.40, 28.56))  # Nuwaiseeb
    body = problem(client, analyst, "hotspots", 422, "analytics_area_too_large", cell_size=50)
    assert "km" in body["detail"]
    assert get(client, analyst, "hotspots", cell_size=1000)["incidents"] == 2


def test_cell_sizes_out_of_bounds_are_refused(client, analyst, world) -> None:
    for size in [0, 10, 10_000, "wide"]:
        problem(client, analyst, "hotspots", 422, "validation_failed", cell_size=size)


def test_too_many_incidents_are_refused(client, analyst, world, monkeypatch) -> None:
    monkeypatch.setattr(api, "LIMITS", Limits(max_events=20))
    body = problem(client, analyst, "hotspots", 422, "analytics_too_many_incidents")
    assert "20" in body["detail"]


def test_too_many_near_repeat_pairs_are_refused(client, analyst, world, monkeypatch) -> None:
    monkeypatch.setattr(api, "LIMITS", Limits(max_pairs=10))
    problem(client, analyst, "near-repeat", 422, "analytics_too_many_pairs")


def test_too_wide_a_kernel_is_refused(client, analyst, world) -> None:
    problem(
        client,
        analyst,
        "hotspots",
        422,
        "analytics_bandwidth_too_large",
        bandwidth=10_000,
        cell_size=50,
    )


def test_unknown_or_unprojected_crs_is_refused(client, analyst, world) -> None:
    for crs in ["EPSG:4326", "not-a-crs"]:
        problem(client, analyst, "hotspots", 422, "analytics_invalid_crs", crs=crs)


def test_a_crs_whose_area_excludes_the_incidents_is_refused(client, analyst, world) -> None:
    problem(client, analyst, "hotspots", 422, "analytics_outside_crs", crs="EPSG:32617")
    # EPSG:32638 ends at 48°E, west of the easternmost burglaries; the default zone takes them.
    problem(client, analyst, "hotspots", 422, "analytics_outside_crs", crs="EPSG:32638")
    assert get(client, analyst, "hotspots", crs="EPSG:32638", type="theft")["incidents"] == 21
    assert get(client, analyst, "hotspots")["crs"] == "EPSG:32638"


def test_an_unknown_time_zone_is_refused(client, analyst, world) -> None:
    problem(client, analyst, "hotspots", 422, "analytics_unknown_timezone", timezone="Mars/Base")
    problem(client, analyst, "risk", 422, "analytics_unknown_timezone", timezone="Mars/Base")


def test_a_bad_bbox_is_refused(client, analyst, world) -> None:
    problem(client, analyst, "hotspots", 400, "invalid_bbox", bbox="48,29,47")


def test_bad_near_repeat_bands_are_refused(client, analyst, world) -> None:
    for bands in ["0", "a,b", "0,200,100", "-5,10"]:
        problem(client, analyst, "near-repeat", 422, "analytics_invalid_bands", space_bands=bands)


def test_bad_shifts_are_refused(client, analyst, world) -> None:
    problem(client, analyst, "risk", 422, "analytics_invalid_shift", shift="25-3")
    problem(client, analyst, "risk", 422, "validation_failed", shift="night")


def test_too_large_a_patrol_area_is_refused(client, analyst, world) -> None:
    problem(
        client,
        analyst,
        "patrol-plan",
        422,
        "analytics_patrol_too_large",
        patrol_km2=25,
        cell_size=50,
    )


def test_an_unknown_format_is_refused(client, analyst, world) -> None:
    problem(client, analyst, "hotspots", 422, "validation_failed", format="xml")


def test_a_busy_server_answers_429_with_retry_after(client, analyst, world, monkeypatch) -> None:
    monkeypatch.setattr(responses, "GATE", responses.threading.BoundedSemaphore(1))
    monkeypatch.setattr(responses, "GATE_WAIT_SECONDS", 0.01)
    responses.GATE.acquire()
    r = client.get("/api/v1/analytics/hotspots", headers=analyst.headers)
    assert r.status_code == 429 and r.json()["code"] == "analytics_busy"
    assert r.headers["Retry-After"] == str(responses.RETRY_AFTER_SECONDS)
    responses.GATE.release()
    assert client.get("/api/v1/analytics/hotspots", headers=analyst.headers).status_code == 200


def test_every_problem_the_engine_can_raise_here_has_a_message() -> None:
    for code in {*ENGINE_CODES.values(), "analytics_rejected"}:
        assert f"error.{code}" in catalogue(), code


def test_the_predicted_day_defaults_to_the_day_after_the_period(client, analyst, world) -> None:
    end = datetime.now(UTC) + timedelta(hours=1)
    result = get(client, analyst, "risk", to=end.isoformat())
    local = end.astimezone(api.check_timezone("Asia/Kuwait")).date()
    assert date.fromisoformat(result["day"]) == local + timedelta(days=1)


def test_the_visibility_rule_is_part_of_the_query() -> None:
    from tansiq.access.models import Clearance, Role
    from tansiq.access.policy import Principal
    from tansiq.analytics.incidents import Scope, _query

    who = Principal(1, "a", Role.ANALYST, 7, Clearance.RESTRICTED)
    sql = str(_query(who, Scope(), 10).compile(compile_kwargs={"literal_binds": True}))
    assert "incidents.classification <= 1" in sql and "incident_shares.agency_id = 7" in sql


def test_far_off_times_and_days_are_refused_not_overflowed(client, analyst, world) -> None:
    for path, params in [
        ("hotspots", {"from": "0001-01-01T00:00:00+03:00"}),
        ("hotspots", {"to": "9999-12-31T23:59:59-05:00"}),
        ("risk", {"to": "9999-12-31T23:00:00+00:00"}),
        ("risk", {"at": "0001-01-01"}),
        ("patrol-plan", {"at": "9999-12-31"}),
    ]:
        body = problem(client, analyst, path, 422, "analytics_time_out_of_range", **params)
        assert "1900" in body["detail"] and "2199" in body["detail_ar"]
