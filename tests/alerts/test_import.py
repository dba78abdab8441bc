"""Importing CAP alerts from outside: kept once, and hostile or broken XML refused with nothing
stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from typer.testing import CliRunner

from tansiq.access.directory import Directory
from tansiq.alerts.importer import import_bytes
from tansiq.alerts.models import CapImport
from tansiq.alerts.settings import AlertSettings
from tansiq.cli.main import app as cli
from tansiq.emergencies.models import AffectedArea, Emergency
from tansiq.errors import Problem
from tests.alerts.conftest import CAP_NS, DATA
from tests.security.hostile import assert_problem

XML = {"Content-Type": "application/cap+xml"}
DUST = (DATA / "kuwait_dust.xml").read_bytes()


def _cap(
    identifier: str = "T-1", *, area: str = "", namespace: str = CAP_NS, extra: str = ""
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{namespace}">
  <identifier>{identifier}</identifier>
  <sender>warnings@met.example.kw</sender>
  <sent>2026-04-15T06:00:00+03:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>{extra}
  <info>
    <category>Met</category>
    <event>Dust storm</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <area><areaDesc>South</areaDesc>{area}</area>
  </info>
</alert>"""


@pytest.fixture
def importer(make_user):
    return make_user("dispatcher", "civil_defence")


def _imports(store) -> int:
    """How many imports are stored; asserts no emergency exists without its import."""
    with store.read() as session:
        imports = int(session.execute(select(func.count()).select_from(CapImport)).scalar_one())
        drafted = session.execute(select(func.count()).select_from(Emergency)).scalar_one()
    assert drafted <= imports
    return imports


def _emergencies(store) -> list[tuple[Emergency, list[AffectedArea]]]:
    with store.read() as session:
        rows = session.execute(select(Emergency).order_by(Emergency.id)).scalars().all()
        return [
            (
                e,
                list(
                    session.execute(
                        select(AffectedArea)
                        .where(AffectedArea.emergency_id == e.id)
                        .order_by(AffectedArea.id)
                    ).scalars()
                ),
            )
            for e in rows
        ]


def test_a_warning_becomes_a_draft_emergency_with_its_areas(client, importer, store):
    r = client.post("/api/v1/alerts/imports", content=DUST, headers={**XML, **importer.headers})
    assert r.status_code == 201, r.text
    client.post("/api/v1/alerts/imports", content=DUST, headers={**XML, **importer.headers})
    [(emergency, areas)] = _emergencies(store)  # one, however often the alert arrives
    assert r.json()["emergency_id"] == emergency.id
    assert (emergency.status, emergency.kind, emergency.severity) == (
        "draft",
        "sandstorm",
        "severe",
    )
    assert emergency.title == "Dust storm warning for the southern areas"
    assert emergency.title_ar == "تحذير من عاصفة ترابية على المناطق الجنوبية"
    assert (emergency.source, emergency.source_ref) == (
        "cap",
        "warnings@met.example.kw,MET-KW-2026-0415,2026-04-15T06:00:00+03:00",
    )
    with store.read() as session:
        owner = Directory(session).agency_code(emergency.agency_id)
    assert owner == "civil_defence"  # the importer's agency
    polygon, circle = (shape(json.loads(a.geojson)) for a in areas)
    # CAP's "29.0,47.9" is latitude 29.0, longitude 47.9: GeoJSON writes it [47.9, 29.0].
    assert polygon.exterior.coords[0] == (47.9, 29.0)
    assert circle.contains(Point(47.7, 29.1)) and not circle.contains(Point(47.9, 29.1))
    assert 650 < circle.area * 111.32 * 111.32 * 0.874 < 750  # ~pi * 15 km^2 at 29 N
    assert areas[0].valid_to == datetime(2026, 4, 15, 19, 0, tzinfo=UTC)


def test_tests_exercises_and_cancellations_draft_no_emergency(client, importer, store):
    for changed in (
        _cap("T-test").replace("<status>Actual", "<status>Test"),
        _cap("T-exercise").replace("<status>Actual", "<status>Exercise"),
        _cap("T-cancel")
        .replace(
            "<msgType>Alert</msgType>",
            "<msgType>Cancel</msgType>",
        )
        .replace(
            "<scope>Public</scope>",
            "<scope>Public</scope><references>warnings@met.example.kw,T-1,"
            "2026-04-15T06:00:00+03:00</references>",
        ),
    ):
        r = client.post(
            "/api/v1/alerts/imports", content=changed.encode(), headers={**XML, **importer.headers}
        )
        assert r.status_code == 201, r.text
        assert r.json()["emergency_id"] is None
    assert _imports(store) == 3 and _emergencies(store) == []


def test_a_cap_alert_is_imported_once_however_often_it_arrives(client, importer, store):
    first = client.post("/api/v1/alerts/imports", content=DUST, headers={**XML, **importer.headers})
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["sender"], body["identifier"], body["sent"]) == (
        "warnings@met.example.kw",
        "MET-KW-2026-0415",
        "2026-04-15T06:00:00+03:00",
    )
    assert body["created"] is True
    areas = body["summary"]["infos"][1]["areas"]
    assert areas[0]["polygons"][0][0] == [29.0, 47.9]
    again = client.post("/api/v1/alerts/imports", content=DUST, headers={**XML, **importer.headers})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert again.json()["created"] is False
    assert _imports(store) == 1
    listed = client.get("/api/v1/alerts/imports", headers=importer.headers).json()
    assert [i["identifier"] for i in listed] == ["MET-KW-2026-0415"]
    with store.read() as session:
        assert session.execute(select(CapImport.document)).scalar_one().encode() == DUST


def test_importing_needs_the_emergency_permission(client, make_user, store):
    analyst = make_user("analyst")
    r = client.post("/api/v1/alerts/imports", content=DUST, headers={**XML, **analyst.headers})
    assert assert_problem(r, 403)["code"] == "forbidden"
    assert_problem(client.post("/api/v1/alerts/imports", content=DUST, headers=XML), 401)
    assert _imports(store) == 0


def _xxe(tmp_path) -> str:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-PASSWORD")
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + _cap("&xxe;").split("\n", 1)[1]
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + _cap("&lol9;").split("\n", 1)[1]
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">\n'
    + _cap().split("\n", 1)[1]
)
BAD_INPUT = {
    "external entity (XXE)": (None, 422, "xml_dtd_forbidden"),
    "billion laughs": (BILLION_LAUGHS, 422, "xml_dtd_forbidden"),
    "external DTD": (EXTERNAL_DTD, 422, "xml_dtd_forbidden"),
    "oversized": (_cap(extra="<note>" + "x" * 600_000 + "</note>"), 413, "xml_too_large"),
    "deeply nested": (
        _cap(extra="<note>" + "<a>" * 5000 + "</a>" * 5000 + "</note>"),
        422,
        "xml_too_deep",
    ),
    "not XML": ("this is not XML <", 422, "xml_not_well_formed"),
    "empty": ("", 422, "xml_not_well_formed"),
    "wrong namespace (CAP 1.1)": (
        _cap(namespace="urn:oasis:names:tc:emergency:cap:1.1"),
        422,
        "cap_wrong_namespace",
    ),
    "not CAP at all": ('<feed xmlns="http://www.w3.org/2005/Atom"/>', 422, "cap_wrong_namespace"),
    "fails the schema": (_cap().replace("Expected", "Whenever"), 422, "cap_schema_invalid"),
    "self-intersecting polygon": (
        _cap(area="<polygon>29,47 30,48 30,47 29,48 29,47</polygon>"),
        422,
        "cap_polygon_invalid",
    ),
    "empty polygon": (
        _cap(area="<polygon>29,47 29.5,47.5 30,48 29,47</polygon>"),
        422,
        "cap_polygon_invalid",
    ),
    "open polygon": (
        _cap(area="<polygon>29,47 30,48 30,47 29,48</polygon>"),
        422,
        "cap_polygon_invalid",
    ),
    "latitude out of range": (
        _cap(area="<polygon>129,47 30,48 30,47 129,47</polygon>"),
        422,
        "cap_area_invalid",
    ),
    "bad circle": (_cap(area="<circle>29,47 wide</circle>"), 422, "cap_area_invalid"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_xml_is_refused_clearly_and_nothing_is_stored(case, store, tmp_path):
    document, status, code = BAD_INPUT[case]
    document = _xxe(tmp_path) if document is None else document
    with pytest.raises(Problem) as caught:
        import_bytes(store, None, document.encode(), "test", AlertSettings())
    problem = caught.value
    assert (problem.status, problem.code) == (status, code)
    english, arabic = problem.detail("en"), problem.detail("ar")
    assert english != f"error.{code}" and re.search("[\u0600-\u06ff]", arabic)
    assert "TOP-SECRET" not in english + arabic and "lollollol" not in english + arabic
    assert _imports(store) == 0


def test_the_api_answers_hostile_xml_with_a_problem_in_both_languages(
    client, importer, store, tmp_path
):
    for case in ("external entity (XXE)", "billion laughs", "oversized", "fails the schema"):
        document, status, code = BAD_INPUT[case]
        document = _xxe(tmp_path) if document is None else document
        r = client.post(
            "/api/v1/alerts/imports",
            content=document.encode(),
            headers={**XML, **importer.headers},
        )
        assert assert_problem(r, status)["code"] == code, case
        assert "TOP-SECRET" not in r.text and "lollollol" not in r.text
    assert _imports(store) == 0


def test_a_body_that_is_not_xml_by_its_type_is_refused(client, importer, store):
    r = client.post(
        "/api/v1/alerts/imports",
        content=DUST,
        headers={"Content-Type": "application/json", **importer.headers},
    )
    assert assert_problem(r, 415)["code"] == "unsupported_media_type"
    assert _imports(store) == 0


def test_the_cli_imports_files_and_skips_what_it_has(settings, store, tmp_path, monkeypatch):
    monkeypatch.setenv("TANSIQ_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("TANSIQ_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    sample = DATA / "nws_thunderstorm.xml"
    first = runner.invoke(cli, ["alerts", "import", str(sample), str(DATA / "kuwait_dust.xml")])
    assert first.exit_code == 0, first.output
    assert "KSTO1055887203 imported" in first.output
    again = runner.invoke(cli, ["alerts", "import", str(sample)])
    assert again.exit_code == 0 and "already imported" in again.output
    bad = tmp_path / "bad.xml"
    bad.write_text(BILLION_LAUGHS)
    refused = runner.invoke(cli, ["alerts", "import", str(bad)])
    assert refused.exit_code == 2
    assert "DOCTYPE" in refused.output and "يُرفض" in refused.output
    assert _imports(store) == 2
