"""Helpers shared by the benchmark scripts: a throw-away database, a `tansiq serve` process,
tokens and percentiles.

Everything here talks to 127.0.0.1 only and cleans up after itself (temporary directory,
PostgreSQL schema, server process), also when a benchmark fails half-way.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_BASE_URL = os.environ.get(
    "TANSIQ_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BENCH_USER = "bench.dispatcher"
# The server's default log level is "info", which writes one access-log line per request; the
# benchmarks default to "warning" so they measure the service rather than the terminal.
DEFAULT_LOG_LEVEL = "warning"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip()
    except OSError:
        return ""


def git_revision() -> str:
    return _git("rev-parse", "--short", "HEAD") or "?"


def code_under_test() -> str:
    """Which `tansiq` the server runs: the repository's tree (clean or with uncommitted edits)
    or a copy put first on PYTHONPATH (how a pinned commit is measured while others edit)."""
    spec = importlib.util.find_spec("tansiq")
    origin = Path(spec.origin).resolve().parent if spec and spec.origin else None
    repo_pkg = Path(__file__).resolve().parent.parent / "tansiq"
    if origin != repo_pkg:
        return "copy on PYTHONPATH"
    dirty = _git("status", "--porcelain", "--", str(repo_pkg))
    return "working tree, uncommitted changes" if dirty else "working tree, clean"


@dataclass
class Database:
    """A fresh, initialised Tansiq database and the environment that selects it."""

    kind: str  # "sqlite" or "postgres"
    data_dir: Path
    url: str
    env: dict[str, str]
    schema: str | None = None
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))


def _tansiq(env: dict[str, str], *args: str, timeout: float = 120) -> None:
    # The package's own CLI, so the database is set up exactly as an operator would.
    subprocess.run(
        [sys.executable, "-m", "tansiq", *args],
        env=env,
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
        # `-m` puts the working directory first on sys.path; run from the data directory so
        # the `tansiq` imported is the installed one or the copy on PYTHONPATH.
        cwd=env["TANSIQ_DATA_DIR"],
    )


def _base_env(data_dir: Path, log_level: str) -> dict[str, str]:
    # Drop any TANSIQ_* the caller's shell has, so only what we set selects the database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANSIQ_")}
    env["TANSIQ_DATA_DIR"] = str(data_dir)
    env["TANSIQ_LOG_LEVEL"] = log_level
    return env


@contextlib.contextmanager
def database(kind: str, log_level: str = DEFAULT_LOG_LEVEL) -> Iterator[Database]:
    """`tansiq init` on a new SQLite file or PostgreSQL schema, one dispatcher; removed after."""
    data_dir = Path(tempfile.mkdtemp(prefix="tansiq-bench-"))
    env = _base_env(data_dir, log_level)
    schema: str | None = None
    admin = None
    try:
        if kind == "postgres":
            schema = f"tansiq_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            admin = create_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = (
                make_url(PG_BASE_URL)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
            env["TANSIQ_DATABASE_URL"] = url
        elif kind == "sqlite":
            url = f"sqlite:///{data_dir / 'tansiq.db'}"
        else:
            raise ValueError(f"unknown database kind {kind!r}")
        db = Database(kind, data_dir, url, env, schema)
        _tansiq(env, "init")
        user_env = {**env, "BENCH_PASSWORD": db.password}
        _tansiq(
            user_env,
            "user",
            "add",
            BENCH_USER,
            "--role",
            "dispatcher",
            "--agency",
            "public_security",
            "--clearance",
            "secret",
            "--password-env",
            "BENCH_PASSWORD",
        )
        yield db
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes] | None


@contextlib.contextmanager
def serve(db: Database, startup_timeout: float = 60) -> Iterator[Server]:
    """`tansiq serve` on a free port as a child process; stopped with SIGINT (like Ctrl-C)."""
    port = free_port()
    log = (db.data_dir / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tansiq", "serve", "--port", str(port)],
        env=db.env,
        cwd=db.data_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy in time")
            time.sleep(0.2)
        yield Server(url, proc)
    finally:
        stop_process(proc)
        log.close()


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def login(base_url: str, username: str, password: str) -> str:
    r = httpx.post(
        f"{base_url}/api/v1/auth/token",
        data={"username": username, "password": password},
        timeout=30,
    )
    r.raise_for_status()
    token: str = r.json()["access_token"]
    return token


def server_pid_cpu(proc: subprocess.Popen[bytes] | None) -> float | None:
    """CPU seconds (user + system) the server used so far, its worker processes included (a
    worker's time counts while it runs, not only once it has exited); None if unknown."""
    if proc is None:
        return None
    try:
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry.name) == proc.pid or int(fields[1]) == proc.pid:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
