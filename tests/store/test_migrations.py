"""The migrations form one history and build the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tansiq.store.db import Store
from tansiq.store.migrate import alembic_config
from tansiq.store.registry import metadata


def test_there_is_one_head_for_the_next_migration_to_follow():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads {heads}: add a merge migration"


def test_the_migrated_database_matches_the_models(store: Store) -> None:
    with store.read_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, metadata)
    assert diffs == []
