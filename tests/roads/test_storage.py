"""The network is stored in the database (SQLite and PostgreSQL), replaced atomically on
re-import, and imported from the command line."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tansiq.audit.models import AuditEntry
from tansiq.cli.main import app
from tansiq.roads.errors import RoadsError
from tansiq.roads.models import RoadNetworkRow
from tansiq.roads.storage import load_network, save_network, stored_version
from tansiq.roads.synthetic import grid_network


def test_without_an_import_loading_says_no_network_is_loaded(store):
    assert stored_version(store) is None
    with pytest.raises(RoadsError) as caught:
        load_network(store)
    assert caught.value.code == "roads_not_loaded"
    assert caught.value.status == 503


def test_saved_network_loads_back_and_a_reimport_replaces_it(store, helsinki):
    first = save_network(store, helsinki)
    loaded = load_network(store)
    assert loaded.id == first
    np.testing.assert_array_equal(loaded.network.edge_head, helsinki.edge_head)
    assert loaded.summary["nodes"] == helsinki.node_count

    grid = grid_network(10)
    second = save_network(store, grid)
    assert second > first
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(RoadNetworkRow)) == 1
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "road_network.imported")
        ).all()
    assert len(actions) == 2
    assert stored_version(store) == (second, load_network(store).sha256)
    assert load_network(store).network.node_count == grid.node_count


def test_cli_imports_the_helsinki_extract_and_shows_it(settings, monkeypatch, helsinki_pbf):
    monkeypatch.setenv("TANSIQ_DATABASE_URL", settings.effective_database_url)
    runner = CliRunner()
    result = runner.invoke(app, ["roads", "import", str(helsinki_pbf)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "dropped 102 nodes and 138 edges" in text and "45 turn restrictions" in text
    shown = runner.invoke(app, ["roads", "show"])
    assert shown.exit_code == 0 and "Helsinki.osm.pbf" in shown.output


def test_cli_refuses_a_truncated_file_in_both_languages_and_keeps_the_old_network(
    settings, monkeypatch, helsinki_pbf, tmp_path, store, helsinki
):
    save_network(store, helsinki)
    before = stored_version(store)
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(helsinki_pbf.read_bytes()[:100_000])
    monkeypatch.setenv("TANSIQ_DATABASE_URL", settings.effective_database_url)
    result = CliRunner().invoke(app, ["roads", "import", str(cut)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())  # the terminal wraps long lines
    assert "not a complete OpenStreetMap PBF" in text
    assert "ليس ملف" in text
    assert stored_version(store) == before
