"""A real `tansiq serve` process on a database of its own, for the crash and reconnect tests and
the long reliability benchmark.

Everything talks to 127.0.0.1 only. A `fresh_database` is removed when its block ends (SQLite
file in a temporary directory, or a PostgreSQL schema that is dropped); a `ServerProcess` is
SIGKILLed at the end of its block if it is still alive, also when a test fails half-way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tansiq.access.directory import Directory
from tansiq.access.models import Clearance, Role, User
from tansiq.access.security import hash_password, issue_token
from tansiq.config import Settings
from tansiq.install import initialise
from tansiq.store.db import Store

PG_URL = os.environ.get(
    "TANSIQ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "reliability-signing-key-" + "r" * 32
PASSWORD = "reliability password, never used to sign in"


def postgres_unreachable(url: str = PG_URL) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {exc}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Database:
    kind: str  # "sqlite" or "postgres"
    url: str
    data_dir: Path

    def store(self) -> Store:
        return Store(self.url)


@contextlib.contextmanager
def fresh_database(kind: str, data_dir: Path, pg_url: str = PG_URL) -> Iterator[Database]:
    """A migrated, seeded database: a SQLite file in `data_dir`, or a new PostgreSQL schema."""
    data_dir.mkdir(parents=True, exist_ok=True)
    admin = None
    schema = None
    try:
        if kind == "sqlite":
            url = f"sqlite:///{data_dir / 'tansiq.db'}"
        elif kind == "postgres":
            schema = f"tansiq_rel_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = (
                make_url(pg_url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        else:
            raise ValueError(f"unknown database kind {kind!r}")
        store, _ = initialise(Settings(database_url=url, data_dir=data_dir, secret_key=SECRET))
        store.dispose()
        yield Database(kind, url, data_dir)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


@dataclass(frozen=True)
class Person:
    """A user of the running server, with a bearer token that outlives restarts."""

    username: str
    user_id: int
    role: str
    agency: str
    agency_id: int
    clearance: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def add_people(db: Database, specs: list[tuple[str, str, str, str]]) -> list[Person]:
    """Create users (username, role, agency, clearance) and sign tokens for them.

    Tokens are signed with the server's key (TANSIQ_SECRET_KEY), as a sign-in would, so nothing
    here waits on the password hash of a busy machine; they stay valid across restarts.
    """
    store = db.store()
    people = []
    try:
        with store.write() as uow:
            directory = Directory(uow.session)
            rows = []
            for username, role, agency, clearance in specs:
                user = User(
                    username=username,
                    password_hash=_password_hash(),
                    role=Role(role).value,
                    agency_id=directory.agency_id(agency),
                    clearance=int(Clearance.parse(clearance)),
                )
                uow.session.add(user)
                rows.append((user, agency))
            uow.session.flush()
            created = [
                (u.username, u.id, u.role, agency, u.agency_id, u.clearance) for u, agency in rows
            ]
    finally:
        store.dispose()
    for name, user_id, user_role, code, agency_id, level in created:
        token, _ = issue_token(
            SECRET, user_id=user_id, token_version=0, lifetime=timedelta(hours=6)
        )
        people.append(Person(name, user_id, user_role, code, agency_id, level, token))
    return people


class ServerProcess:
    """`tansiq serve` as a child process on a fixed port, so clients reconnect to one address."""

    def __init__(self, db: Database, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_path = db.data_dir / "server.log"
        # Only what we set selects the database and the signing key.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANSIQ_")}
        env.update(
            TANSIQ_DATA_DIR=str(db.data_dir),
            TANSIQ_SECRET_KEY=SECRET,
            TANSIQ_LOG_LEVEL="warning",
            TANSIQ_HOST="127.0.0.1",
        )
        if db.kind == "postgres":
            env["TANSIQ_DATABASE_URL"] = db.url
        self.env = env

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/feed"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 120) -> float:
        """Start and wait until /health answers; returns the seconds it took."""
        assert not self.alive, "server already running"
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tansiq", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.db.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        deadline = began + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"server did not become healthy:\n{self.log_tail()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is flushed; the operating system only."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """A graceful stop (SIGINT, like Ctrl-C); SIGKILL if it does not end in time."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `tansiq <args>` on this server's database, as an operator would."""
        return subprocess.run(
            [sys.executable, "-m", "tansiq", *args],
            env=self.env,
            cwd=self.db.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
