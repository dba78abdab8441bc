"""The long fuzz run: every operation of the OpenAPI document, many examples, stateful sequences.

Starts a throw-away Tansiq server on 127.0.0.1 (SQLite by default, or a fresh schema on the
PostgreSQL server with --database postgres), signs in as an admin with secret clearance, seeds
records, and lets schemathesis run its phases (examples, coverage, fuzzing, stateful) until they
finish or --max-seconds pass. Checks: no 5xx, and every response as the document declares it
(status code, content type, headers, body schema).

    .venv/bin/python benchmarks/fuzz_long.py --max-seconds 600 --database sqlite
    .venv/bin/python benchmarks/fuzz_long.py --max-seconds 600 --database postgres

Prints the run's figures and its distinct findings; the last line is one JSON object. Exits 1
when anything was found.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tansiq.access.directory import Directory  # noqa: E402
from tansiq.access.models import Clearance, Role, User  # noqa: E402
from tansiq.access.security import hash_password  # noqa: E402
from tansiq.app import create_app  # noqa: E402
from tansiq.config import Settings  # noqa: E402
from tansiq.install import initialise  # noqa: E402
from tansiq.store.db import Store  # noqa: E402
from tests.security.fuzzing import (  # noqa: E402
    FUZZ_ADMIN,
    admin_token_factory,
    load_schema,
    run,
    seed,
)

PG_URL = os.environ.get(
    "TANSIQ_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'fuzz.db'}"
        return
    schema = f"tansiq_fuzz_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def server(settings: Settings) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="critical")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(15)


def make_admin(store: Store) -> int:
    with store.write() as uow:
        user = User(
            username=FUZZ_ADMIN,
            password_hash=hash_password(uuid.uuid4().hex),
            role=Role.ADMIN.value,
            agency_id=Directory(uow.session).agency_id("systems_information"),
            clearance=int(Clearance.SECRET),
        )
        uow.session.add(user)
        uow.session.flush()
        return user.id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--max-seconds", type=int, default=600, help="time budget for the whole run"
    )
    parser.add_argument("--max-examples", type=int, default=500, help="per operation and phase")
    parser.add_argument("--stateful-steps", type=int, default=20, help="0 turns stateful off")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--show", type=int, default=60, help="distinct findings to print")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="tansiq-fuzz-") as tmp,
        database(args.database, Path(tmp)) as url,
    ):
        secret = uuid.uuid4().hex * 2
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key=secret)
        store, _ = initialise(settings)
        try:
            token = admin_token_factory(store, secret, make_admin(store))
            with server(settings) as base_url:
                seeded = seed(base_url, token())
                schema = load_schema(
                    base_url,
                    token,
                    seeded,
                    max_examples=args.max_examples,
                    seed_value=args.seed,
                    coverage=True,
                    stateful_steps=args.stateful_steps or None,
                    max_seconds=args.max_seconds,
                    continue_on_failure=True,
                )
                operations = sum(1 for _ in schema.get_all_operations())
                last = [time.monotonic()]

                def progress(event: object) -> None:
                    if time.monotonic() - last[0] > 30:
                        last[0] = time.monotonic()
                        elapsed = time.monotonic() - started
                        print(f"... {elapsed:.0f} s", file=sys.stderr, flush=True)

                report = run(schema, on_event=progress)
        finally:
            store.dispose()

    elapsed = time.monotonic() - started
    summary = report.summary()
    print(f"database:          {args.database}")
    print(f"operations:        {operations}")
    print(f"cases run:         {report.cases}")
    print(f"responses:         {report.responses}")
    print(f"server errors:     {report.server_errors}")
    print(f"schema violations: {report.schema_violations}")
    print(f"engine errors:     {len(report.errors)}")
    print(f"stopped because:   {report.stop_reason}")
    print(f"seconds:           {elapsed:.1f}")
    if report.failed():
        print("\nfindings (distinct check, operation, status):")
        print(report.describe(args.show))
    result = {
        "benchmark": "fuzz_long",
        "database": args.database,
        "operations": operations,
        "max_examples": args.max_examples,
        "stateful_steps": args.stateful_steps,
        "max_seconds": args.max_seconds,
        "seed": args.seed,
        "seconds": round(elapsed, 1),
        "python": platform.python_version(),
        **summary,
    }
    print(json.dumps(result, sort_keys=True))
    return 1 if report.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
