"""`tansiq alerts`: import CAP 1.2 alerts from files (a meteorological service's warning, say).

What a file is checked for, and what it becomes, is what the API's import does; the import is
made by the system on behalf of the configured agency (TANSIQ_CAP_IMPORT_AGENCY). Errors are
printed in English and Arabic and exit with status 2.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="Public alerts (CAP 1.2): import from files.", no_args_is_help=True)
console = Console(soft_wrap=True)  # one line per file, however long its path
err = Console(stderr=True, soft_wrap=True)


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="CAP 1.2 XML documents", exists=True)],
) -> None:
    """Import each FILE; one already imported (same sender, identifier and sent) is skipped."""
    from tansiq.alerts.importer import import_bytes
    from tansiq.alerts.settings import AlertSettings
    from tansiq.audit import context as audit_context
    from tansiq.config import Settings
    from tansiq.errors import Problem
    from tansiq.store.db import Store

    settings = AlertSettings()
    store = Store(Settings().effective_database_url)
    failed = False
    try:
        with audit_context.acting_as(None, client=f"cli:{getpass.getuser()}"):
            for file in files:
                data = file.read_bytes()[: settings.max_document_bytes + 1]
                try:
                    result = import_bytes(store, None, data, f"file:{file.name}", settings)
                except Problem as exc:
                    err.print(f"[red]{file}: {exc.detail('en')}[/]\n{exc.detail('ar')}")
                    failed = True
                    continue
                what = "imported" if result.created else "already imported, skipped"
                emergency = (
                    f"; draft emergency {result.emergency_id}" if result.emergency_id else ""
                )
                console.print(f"{file}: {result.sender} {result.identifier} {what}{emergency}")
    finally:
        store.dispose()
    if failed:
        raise typer.Exit(2)
