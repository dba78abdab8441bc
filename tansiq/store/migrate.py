"""Bring a database to the newest schema with Alembic; the same code for SQLite and PostgreSQL."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, select

from tansiq.audit.models import GENESIS, AuditHead
from tansiq.events.models import EventHead


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("tansiq.store") / "migrations"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration, then make sure the event head row exists."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")  # domains may add branches; all get applied
    with engine.begin() as conn:
        if conn.execute(select(EventHead.id)).first() is None:
            conn.execute(insert(EventHead).values(id=1, seq=0))
        if conn.execute(select(AuditHead.id)).first() is None:
            conn.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS))
