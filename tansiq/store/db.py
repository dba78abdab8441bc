"""Engines and transactions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with `synchronous=FULL`: every commit syncs the log to disk before it
returns, so a write we acknowledged survives a power cut. Writers take the database lock at
BEGIN (BEGIN IMMEDIATE) and queue first on an in-process lock and then on an advisory lock on a
file beside the database (shared by every process: server workers, the CLI), because SQLite's
own busy handler sleeps in growing steps and would turn contention into latency spikes.
Bulk writers (position reports) give way in the process: an operator's write that is waiting
goes first, so an incident report never queues behind a stream of telemetry transactions.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from tansiq.audit import recorder as audit_recorder

if TYPE_CHECKING:
    from tansiq.events.bus import EventBus
    from tansiq.events.types import Event
    from tansiq.store.uow import UnitOfWork


def _sqlite_engine(url: str, begin: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class WriteGate:
    """The in-process write lock, with way given to interactive writers over bulk ones.

    A plain lock is not fair: the position writer, which releases it and asks again at once,
    would win it over and over while an incident report's thread is still being woken up.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._waiting = 0  # interactive writers waiting for the lock

    def acquire(self, bulk: bool) -> None:
        with self._cond:
            if bulk:
                while self._held or self._waiting:
                    self._cond.wait()
            else:
                self._waiting += 1
                try:
                    while self._held:
                        self._cond.wait()
                finally:
                    self._waiting -= 1
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


def _lock_file(database: str | None) -> int | None:
    """The descriptor of `<database>.lock` (None for an in-memory database)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


class Store:
    """The composition root's handle on the database: read sessions and units of work."""

    def __init__(self, url: str, *, bus: EventBus | None = None, pool_size: int = 8) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.bus = bus
        # Run in the writing thread right after each commit, before the response is sent (the
        # principal cache forgets revoked users here, so a revocation takes effect at once).
        self.commit_hooks: list[Callable[[Sequence[Event]], None]] = []
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", 2)
            self.read_engine = _sqlite_engine(url, "BEGIN", pool_size)
            self._write_lock: WriteGate | None = WriteGate()
            self._lock_file = _lock_file(self.url.database)
        else:
            self.write_engine = create_engine(
                url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True
            )
            self.read_engine = self.write_engine
            self._write_lock = None
            self._lock_file = None
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False, autoflush=True)
        # Every row a unit of work writes is queued for the audit trail as it is flushed.
        event.listen(self._writes, "after_flush", audit_recorder.capture)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only; it never commits. Objects stay readable after it closes."""
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self, *, bulk: bool = False) -> Iterator[UnitOfWork]:
        """One unit of work: the change and its events commit together, or not at all.
        `bulk` writers (telemetry) let any waiting interactive writer go first."""
        from tansiq.store.uow import UnitOfWork

        lock, lock_file = self._write_lock, self._lock_file
        if lock is not None:
            lock.acquire(bulk)
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            with self._writes() as session:
                uow = UnitOfWork(session, self)
                try:
                    yield uow
                    published = uow.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if lock_file is not None:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
            if lock is not None:
                lock.release()
        # Subscribers hear of a change only after it is durable.
        if published:
            for hook in self.commit_hooks:
                hook(published)
            if self.bus is not None:
                self.bus.publish(published)

    def change_marker(self) -> object | None:
        """Something that differs after any commit by any process: for SQLite the state of its
        files (a stat, cheap enough to ask 50 times a second); None where we cannot tell
        without a query (PostgreSQL)."""
        path = self.url.database
        if not self.is_sqlite or not path or self._lock_file is None:
            return None
        marks = []
        for name in (f"{path}-wal", path):
            try:
                st = os.stat(name)
            except OSError:
                continue
            marks.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(marks)

    def dispose(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
