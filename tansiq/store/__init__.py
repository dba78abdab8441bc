"""Storage: engines, sessions, the schema's base types and Alembic migrations."""

from tansiq.store.base import Base
from tansiq.store.db import Store

__all__ = ["Base", "Store"]
