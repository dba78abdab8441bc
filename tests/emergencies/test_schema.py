"""The emergency tables the migration creates are the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tansiq.store.db import Store
from tansiq.store.registry import metadata

OURS = {
    "emergencies",
    "emergency_shares",
    "emergency_areas",
    "emergency_incidents",
    "emergency_timeline",
    "emergency_casualties",
    "deployment_proposals",
    "deployments",
    "campaigns",
    "campaign_shares",
}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else ():
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(part, str) and part in OURS:
            return part
        if name in OURS:
            return str(name)
    return None


def test_migration_creates_the_emergency_tables_as_modelled(store: Store) -> None:
    with store.read_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
        present = set(conn.dialect.get_table_names(conn))
    assert present >= OURS
    ours = [d for d in diffs if _table_of(d) in OURS]
    assert ours == []
