"""Shared fixtures: a real database per test (SQLite and PostgreSQL), an app, users and tokens.

Every storage test runs on both databases (ids `sqlite`, `postgres`). PostgreSQL is the server at
127.0.0.1:5432 (or TANSIQ_TEST_POSTGRES_URL); each test session works in its own schema. With
CI=true a missing server fails the run; elsewhere those tests are skipped with the reason shown.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tansiq.access.models import Clearance, Role, User
from tansiq.access.security import hash_password, issue_token
from tansiq.app import create_app
from tansiq.config import Settings
from tansiq.install import initialise
from tansiq.store.db import Store
from tansiq.store.registry import metadata

PG_URL = os.environ.get(
    "TANSIQ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "test-signing-key-" + "x" * 32
PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)  # one real argon2id hash, reused so tests stay fast


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()}: {exc}"


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    reason = _postgres_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL. {reason}")
        pytest.skip(reason)
    schema = f"tansiq_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    store, _ = initialise(Settings(database_url=rendered, secret_key=SECRET))
    store.dispose()
    yield rendered
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "tansiq.db"
    store, _ = initialise(Settings(database_url=f"sqlite:///{path}", secret_key=SECRET))
    store.dispose()
    return path


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    store, _ = initialise(Settings(database_url=url, secret_key=SECRET))
    store.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        target = tmp_path / "tansiq.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_schema_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, secret_key=SECRET)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store(settings.effective_database_url)
    yield s
    s.dispose()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@dataclass
class Actor:
    username: str
    user_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(store: Store):
    """make_user(role, agency, clearance): a user created in the store, with a token."""

    def make(
        role: str = "dispatcher",
        agency: str = "public_security",
        clearance: str = "secret",
        username: str | None = None,
    ) -> Actor:
        from tansiq.access.directory import Directory

        name = username or f"{role}.{agency}.{uuid.uuid4().hex[:6]}"
        with store.write() as uow:
            user = User(
                username=name,
                password_hash=_HASH,
                role=Role(role).value,
                agency_id=Directory(uow.session).agency_id(agency),
                clearance=int(Clearance.parse(clearance)),
            )
            uow.session.add(user)
            uow.session.flush()
            user_id = user.id
        token, _ = issue_token(
            SECRET, user_id=user_id, token_version=0, lifetime=timedelta(hours=1)
        )
        return Actor(name, user_id, token)

    return make


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """A real uvicorn server on a free port in a thread; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_ping_interval=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
