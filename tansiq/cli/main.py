"""Entry point of the `tansiq` command."""

from __future__ import annotations

import logging
import os

import typer
import uvicorn
from rich.console import Console

from tansiq.cli import accounts, analytics, audit
from tansiq.config import Settings

app = typer.Typer(
    help="Tansiq (تنسيق): joint operations platform. Settings come from TANSIQ_* variables; "
    "TANSIQ_DATABASE_URL selects the database (SQLite in ./var by default).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(accounts.users, name="user")
app.add_typer(accounts.agencies, name="agency")
app.add_typer(analytics.app, name="analytics")
app.add_typer(audit.app, name="audit")
console = Console()


@app.command()
def init() -> None:
    """Create or upgrade the database schema and seed reference data (safe to repeat)."""
    from tansiq.install import initialise

    settings = Settings()
    with console.status("Migrating and seeding…"):
        store, added = initialise(settings)
        store.dispose()
    console.print(f"[green]Database ready[/] ({store.dialect}); {added} reference rows added.")


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to bind (TANSIQ_HOST, default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (TANSIQ_PORT, default 8000)"),
) -> None:
    """Serve the API and live feed until Ctrl-C."""
    settings = Settings()
    run_server(settings, host or settings.host, port or settings.port)


@app.command()
def demo() -> None:
    """Initialise, seed demo accounts and units, and serve with a live scenario around Kuwait City.

    The administrator is `admin`; its password is TANSIQ_DEMO_PASSWORD when set, otherwise one is
    generated once, kept in the data directory, and printed at every start.
    """
    from tansiq.demo.accounts import print_accounts, seed_demo
    from tansiq.demo.scenario import Scenario
    from tansiq.install import initialise

    settings = Settings()
    with console.status("Preparing the database…"):
        store, _ = initialise(settings)
    password = seed_demo(store, settings, console)
    store.dispose()
    print_accounts(console, store_url=settings.effective_database_url, password=password)
    scenario = Scenario(tick_seconds=settings.demo_tick_seconds)
    run_server(settings, settings.host, settings.port, background=[scenario.start])


def run_server(
    settings: Settings, host: str, port: int, background: list[object] | None = None
) -> None:
    from tansiq.app import create_app

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    application = create_app(settings, background=background)  # type: ignore[arg-type]
    console.print(f"Serving on [bold]http://{host}:{port}[/] — Ctrl-C stops.")
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=False,
        server_header=False,
        ws_max_size=65536,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TANSIQ_LOG_LEVEL", "info")
    app()
