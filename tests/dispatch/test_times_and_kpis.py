"""Dispatch times (predicted ETA, en route, on scene, clear) and the response-time indicators."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tansiq.cli.main import app as cli
from tansiq.events.models import EventRow
from tansiq.incidents.models import Incident
from tansiq.units.models import Assignment
from tests.units.test_units import register, report

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _assign(client, actor, incident_id, unit_id):
    r = client.post(
        f"/api/v1/incidents/{incident_id}/assignments",
        json={"unit_id": unit_id},
        headers=actor.headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


def _status(client, actor, unit_id, status):
    r = client.post(
        f"/api/v1/units/{unit_id}/status", json={"status": status}, headers=actor.headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _assignments(client, actor, incident_id):
    r = client.get(f"/api/v1/incidents/{incident_id}/assignments", headers=actor.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_assignment_keeps_the_predicted_eta_and_the_first_departure_and_arrival(
    client, store, make_user
):
    d = make_user()
    unit = register(client, d, lat=29.306, lon=47.906)
    incident = report(client, d, lat=29.305, lon=47.905)
    recommended = client.get(
        f"/api/v1/incidents/{incident['id']}/recommendations", headers=d.headers
    ).json()["units"][0]
    sent = _assign(client, d, incident["id"], unit["id"])
    assert sent["predicted_eta_s"] == pytest.approx(recommended["eta_s"], abs=0.1)
    assert sent["eta_method"] == "straight_line"
    assert sent["en_route_at"] is None and sent["on_scene_at"] is None and sent["travel_s"] is None

    _status(client, d, unit["id"], "en_route")
    arrived = _status(client, d, unit["id"], "on_scene")["active_assignment"]
    assert arrived["en_route_at"] is not None and arrived["on_scene_at"] is not None
    assert arrived["travel_s"] >= 0
    assert arrived["eta_error_s"] == pytest.approx(
        arrived["travel_s"] - arrived["predicted_eta_s"], abs=0.01
    )
    # Moving off and back on scene does not move the arrival: the first one counts.
    _status(client, d, unit["id"], "en_route")
    again = _status(client, d, unit["id"], "on_scene")["active_assignment"]
    assert again["on_scene_at"] == arrived["on_scene_at"]
    assert again["en_route_at"] == arrived["en_route_at"]

    # The incident's own feed tells every screen that shows it that the unit arrived.
    with store.read() as session:
        updates = (
            session.execute(
                select(EventRow.data).where(
                    EventRow.type == "assignment.updated", EventRow.record_type == "incident"
                )
            )
            .scalars()
            .all()
        )
    assert [u["assignment"]["on_scene_at"] is not None for u in updates] == [False, True]

    released = client.post(
        f"/api/v1/incidents/{incident['id']}/assignments/{sent['id']}/release", headers=d.headers
    ).json()
    assert released["released_at"] is not None and released["on_scene_at"] == arrived["on_scene_at"]


def test_dispatching_in_one_step_sends_the_quickest_suitable_unit(client, make_user):
    d = make_user()
    register(client, d, callsign="P-FAR", lat=29.33, lon=47.95)
    near = register(client, d, callsign="P-NEAR", lat=29.306, lon=47.906)
    register(client, d, callsign="E-1", type="fire_engine", lat=29.305, lon=47.905)
    incident = report(client, d, lat=29.305, lon=47.905)
    r = client.post(f"/api/v1/incidents/{incident['id']}/dispatch", json={}, headers=d.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["unit_id"] == near["id"] and body["predicted_eta_s"] > 0
    assert body["eta_method"] == "straight_line"
    status = client.get(f"/api/v1/incidents/{incident['id']}", headers=d.headers).json()["status"]
    assert status == "dispatched"

    fire = report(client, d, type="fire", lat=29.305, lon=47.905)
    r = client.post(f"/api/v1/incidents/{fire['id']}/dispatch", json={}, headers=d.headers)
    assert r.status_code == 201 and r.json()["callsign"] == "E-1"
    # No fire engine left: a clear refusal in both languages, and nothing assigned.
    second = report(client, d, type="fire", lat=29.305, lon=47.905)
    r = client.post(f"/api/v1/incidents/{second['id']}/dispatch", json={}, headers=d.headers)
    assert r.status_code == 409 and r.json()["code"] == "no_unit_available"
    assert "وحدة" in r.json()["detail_ar"]
    assert _assignments(client, d, second["id"]) == []
    bad = client.post(
        f"/api/v1/incidents/{second['id']}/dispatch",
        json={"unit_type": ["submarine"]},
        headers=d.headers,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "unknown_reference"
    extra = client.post(
        f"/api/v1/incidents/{second['id']}/dispatch", json={"unit": 1}, headers=d.headers
    )
    assert extra.status_code == 422


def _timed_incident(
    client,
    store,
    actor,
    unit,
    *,
    type_="theft",
    priority=3,
    area="Sharq",
    dispatch_after=60,
    travel=300,
    predicted=None,
):
    """An incident reported at T0, a unit sent `dispatch_after` s later and on scene `travel` s
    after that; the times are written into the database so the figures are exact."""
    incident = report(client, actor, type=type_, priority=priority, area=area)
    a = _assign(client, actor, incident["id"], unit["id"])
    sent = T0 + timedelta(seconds=dispatch_after)
    with store.write() as uow:
        uow.session.execute(
            update(Incident).where(Incident.id == incident["id"]).values(reported_at=T0)
        )
        values = {"assigned_at": sent}
        if travel is not None:
            values["on_scene_at"] = sent + timedelta(seconds=travel)
        if predicted is not None:
            values["predicted_eta_s"] = predicted
        uow.session.execute(update(Assignment).where(Assignment.id == a["id"]).values(**values))
    client.post(
        f"/api/v1/incidents/{incident['id']}/assignments/{a['id']}/release", headers=actor.headers
    )
    return incident


def _kpis(client, actor, **params):
    params = {"from": "2026-03-01T00:00:00+03:00", "to": "2026-03-02T00:00:00+03:00", **params}
    return client.get("/api/v1/dispatch/kpis", params=params, headers=actor.headers)


def test_response_kpis_are_percentiles_per_group_over_visible_incidents(client, store, make_user):
    d = make_user()
    unit = register(client, d, lat=29.37, lon=47.98)
    for after, travel in [(30, 200), (60, 300), (90, 400), (120, 500), (600, 1000)]:
        _timed_incident(
            client, store, d, unit, dispatch_after=after, travel=travel, predicted=travel - 50
        )
    _timed_incident(
        client, store, d, unit, type_="fire", priority=1, dispatch_after=20, travel=None
    )  # sent but never arrived
    report(client, d, type="fire", priority=1, area="Sharq")  # now, outside the period
    other = make_user(agency="traffic")
    traffic_unit = register(client, other, callsign="T-1", lat=29.37, lon=47.98)
    _timed_incident(client, store, other, traffic_unit, dispatch_after=5, travel=5)

    supervisor = make_user("supervisor")
    r = _kpis(client, supervisor, by=["type", "priority"])
    assert r.status_code == 200, r.text
    groups = {tuple(g["key"].values()): g for g in r.json()["groups"]}
    assert set(groups) == {("fire", "P1"), ("theft", "P3")}  # traffic's incident is not theirs
    theft = groups[("theft", "P3")]
    assert (theft["incidents"], theft["dispatched"], theft["arrived"]) == (5, 5, 5)
    assert theft["call_to_dispatch_s"] == {"n": 5, "p50": 90.0, "p90": 408.0}
    assert theft["dispatch_to_arrival_s"]["p50"] == 400.0
    assert theft["total_response_s"]["p50"] == 490.0
    assert theft["eta_error_s"] == {"n": 5, "p50": 50.0, "p90": 50.0}
    fire = groups[("fire", "P1")]
    assert (fire["incidents"], fire["dispatched"], fire["arrived"]) == (1, 1, 0)
    assert fire["total_response_s"] == {"n": 0, "p50": None, "p90": None}

    by_agency = _kpis(client, make_user("admin"), by=["agency"]).json()["groups"]
    assert {g["key"]["agency"]: g["incidents"] for g in by_agency} == {"public_security": 6}
    only_p1 = _kpis(client, supervisor, priority=[1]).json()["groups"]
    assert [g["incidents"] for g in only_p1] == [1]
    by_area = _kpis(client, supervisor, by=["area"], area=["Sharq"]).json()["groups"]
    assert by_area[0]["key"] == {"area": "Sharq"} and by_area[0]["incidents"] == 6


def test_kpi_bad_input_is_refused_in_both_languages(client, make_user):
    supervisor = make_user("supervisor")
    backwards = _kpis(
        client,
        supervisor,
        **{"from": "2026-03-02T00:00:00+03:00", "to": "2026-03-01T00:00:00+03:00"},
    )
    assert backwards.status_code == 422
    error = backwards.json()["errors"][0]
    assert error["type"] == "period_order" and "الفترة" in error["msg_ar"]
    naive = _kpis(client, supervisor, **{"from": "2026-03-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["type"] == "timezone_aware"
    long = _kpis(client, supervisor, **{"from": "2020-01-01T00:00:00+00:00"})
    assert long.status_code == 422 and "400" in long.json()["errors"][0]["msg"]
    assert _kpis(client, supervisor, by=["colour"]).status_code == 422
    unknown_agency = _kpis(client, supervisor, agency=["no_such_agency"])
    assert unknown_agency.status_code == 422
    # A dispatcher answers calls; the indicators are for those who plan and supervise.
    assert _kpis(client, make_user("dispatcher")).status_code == 403


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("TANSIQ_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TANSIQ_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANSIQ_SECRET_KEY", "cli-test-key-" + "z" * 32)
    return settings


def test_the_kpi_command_reads_every_incident_in_the_database(client, store, make_user, cli_env):
    d = make_user()
    unit = register(client, d, lat=29.37, lon=47.98)
    _timed_incident(client, store, d, unit, dispatch_after=60, travel=300, predicted=250)
    other = make_user(agency="traffic")
    _timed_incident(
        client, store, other, register(client, other, callsign="T-1"), dispatch_after=10, travel=100
    )
    runner = CliRunner()
    out = runner.invoke(
        cli,
        ["kpi", "--from", "2026-03-01", "--to", "2026-03-02", "--by", "agency", "--format", "json"],
    )
    assert out.exit_code == 0, out.output
    groups = {g["key"]["agency"]: g for g in json.loads(out.stdout)["groups"]}
    assert set(groups) == {"public_security", "traffic"}
    assert groups["public_security"]["total_response_s"]["p50"] == 360.0
    table = runner.invoke(cli, ["kpi", "--from", "2026-03-01", "--to", "2026-03-02"])
    assert table.exit_code == 0 and "Response times" in table.output
    csv = runner.invoke(
        cli, ["kpi", "--from", "2026-03-01", "--to", "2026-03-02", "--format", "csv"]
    )
    header, row = csv.stdout.splitlines()
    assert header.split(",")[:4] == ["incidents", "dispatched", "arrived", "call_to_dispatch_p50_s"]
    assert row.startswith("2,2,2,")
    bad = runner.invoke(cli, ["kpi", "--from", "yesterday"])
    assert bad.exit_code == 2 and "not a date" in bad.output
    naive = runner.invoke(cli, ["kpi", "--from", "2026-03-01T08:00"])
    assert naive.exit_code == 2 and "time zone" in naive.output
    backwards = runner.invoke(cli, ["kpi", "--from", "2026-03-02", "--to", "2026-03-01"])
    assert backwards.exit_code == 2 and "after its start" in backwards.output
