"""Bringing a database to a working state: schema, event head and reference data."""

from __future__ import annotations

from tansiq.config import Settings
from tansiq.reference.seed import seed_reference
from tansiq.store.db import Store
from tansiq.store.migrate import upgrade


def initialise(settings: Settings) -> tuple[Store, int]:
    """Migrate and seed; safe to run on every start. Returns the store and rows seeded."""
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.effective_database_url)
    upgrade(store.write_engine)
    with store.write() as uow:
        added = seed_reference(uow)
    return store, added
