"""Entry point of the `tansiq` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

import typer
import uvicorn
from rich.console import Console

from tansiq.cli import accounts, alerts, analytics, audit, kpi, roads
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
app.add_typer(roads.app, name="roads")
app.add_typer(alerts.app, name="alerts")
app.command(name="kpi")(kpi.kpi)
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
    console.print(f"Serving on [bold]http://{host}:{port}[/] — Ctrl-C stops.")
    if settings.workers > 1 and not background:
        from tansiq.cli.workers import run_workers

        console.print(f"{settings.workers} server processes.")
        run_workers(settings, host, port, settings.workers)
        return
    serve_on(settings, host, port, background=background)


def serve_on(
    settings: Settings,
    host: str,
    port: int,
    background: list[object] | None = None,
    sockets: list[Any] | None = None,
) -> None:
    """One server process: on its own port, or on `sockets` its parent bound (workers)."""
    from tansiq.app import create_app

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    application = create_app(settings, background=background)  # type: ignore[arg-type]
    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level=settings.log_level,
        proxy_headers=False,
        server_header=False,
        ws_max_size=65536,
        # Feed messages are small JSON sent to many subscribers: compressing each one for each
        # subscriber cost about a fifth of the fan-out CPU in docs/benchmarks.md.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
    # uvicorn re-raises the Ctrl-C it handled once shutdown is complete; a clean stop exits 0.
    with contextlib.suppress(KeyboardInterrupt):
        FeedAwareServer(config, application).run(sockets=sockets)


class FeedAwareServer(uvicorn.Server):
    """Tells open feeds the server is stopping (feed.closed, server_shutdown) before uvicorn
    closes their connections, so clients know to reconnect with since= rather than guess."""

    def __init__(self, config: uvicorn.Config, application: Any) -> None:
        super().__init__(config)
        self.application = application

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        hub = getattr(self.application.state, "hub", None)
        if hub is not None:
            hub.close_all("server_shutdown")
            await asyncio.sleep(0.3)  # let each connection send its closing message
        await super().shutdown(sockets)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("TANSIQ_LOG_LEVEL", "info")
    app()
