"""`tansiq roads`: import an OpenStreetMap extract as the road network, and show what is stored.

Heavy libraries (osmium, scipy, numpy) are imported inside the commands so `tansiq --help`
stays quick. Errors are printed in English and Arabic and exit with status 2.
"""

from __future__ import annotations

import getpass
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Road network: import an OpenStreetMap extract, show it.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)


def _store() -> Any:
    from tansiq.audit import context as audit_context
    from tansiq.config import Settings
    from tansiq.store.db import Store

    audit_context.current.set(audit_context.RequestContext(client=f"cli:{getpass.getuser()}"))
    return Store(Settings().effective_database_url)


def _summary_table(summary: dict[str, Any]) -> Table:
    table = Table(show_header=False, box=None)
    for key, value in summary.items():
        table.add_row(key.replace("_", " "), str(value))
    return table


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="OpenStreetMap extract (.osm.pbf)")],
) -> None:
    """Build the drivable network from FILE and replace the stored one in one transaction."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from tansiq.roads.errors import RoadsError
    from tansiq.roads.osm import import_pbf
    from tansiq.roads.storage import save_network

    started = time.perf_counter()
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err
        ) as progress:
            task = progress.add_task(f"Reading {file.name}…")

            def report(step: str, count: int) -> None:
                if step == "ways":
                    progress.update(task, description=f"Reading {file.name}: {count:,} roads")
                else:
                    progress.update(
                        task,
                        description="Splitting at junctions, keeping the "
                        "largest strongly connected part…",
                    )

            network = import_pbf(file, report)
            progress.update(task, description="Compressing and storing…")
            store = _store()
            try:
                version = save_network(store, network)
            finally:
                store.dispose()
    except RoadsError as exc:
        err.print(f"[red]{exc.detail('en')}[/]\n{exc.detail('ar')}")
        raise typer.Exit(2) from exc
    meta = network.meta
    console.print(_summary_table(meta))
    console.print(
        f"[green]Road network {version} stored[/]: {meta['nodes']:,} junctions, "
        f"{meta['edges']:,} directed edges; dropped {meta['dropped_nodes']:,} nodes and "
        f"{meta['dropped_edges']:,} edges outside the largest strongly connected part "
        f"({time.perf_counter() - started:.1f} s)."
    )
    if meta.get("turn_restrictions_ignored"):
        console.print(
            f"{meta['turn_restrictions_ignored']} turn restrictions in the extract are not applied."
        )


@app.command()
def show() -> None:
    """Show the stored road network's summary."""
    from sqlalchemy import select

    from tansiq.roads.models import RoadNetworkRow

    store = _store()
    try:
        with store.read() as session:
            row = session.execute(
                select(RoadNetworkRow.id, RoadNetworkRow.imported_at, RoadNetworkRow.summary)
            ).first()
    finally:
        store.dispose()
    if row is None:
        from tansiq.roads.errors import RoadsError

        exc = RoadsError("roads_not_loaded")
        err.print(f"{exc.detail('en')}\n{exc.detail('ar')}")
        raise typer.Exit(1)
    console.print(f"Road network {row.id}, imported {row.imported_at:%Y-%m-%d %H:%M} UTC")
    console.print(_summary_table(row.summary))
