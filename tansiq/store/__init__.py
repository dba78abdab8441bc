"""Storage: engines, sessions, the schema's base types and Alembic migrations.

Import from the modules (`tansiq.store.db`, `tansiq.store.base`): this package imports nothing,
so table modules can depend on `store.base` without pulling in the engine and its listeners.
"""
