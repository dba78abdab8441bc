"""`tansiq audit ...`: verify the chain, export anchors and entries, list entries."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from tansiq.audit import service
from tansiq.audit.verify import anchor, verify_chain
from tansiq.config import Settings
from tansiq.store.db import Store

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
console = Console()


def _store() -> Store:
    return Store(Settings().effective_database_url)


def _read_anchors(path: Path) -> list[tuple[int, str]]:
    anchors = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            anchors.append((int(item["seq"]), str(item["hash"])))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            console.print(f"[red]{path}:{n}: not an anchor line (JSON with seq and hash)[/]")
            raise typer.Exit(2) from None
    return anchors


@app.command()
def verify(
    anchors: Path = typer.Option(
        None, exists=True, dir_okay=False, help="JSON Lines of {seq, hash} exported earlier"
    ),
) -> None:
    """Check every link of the chain; exit 1 and name the first broken link if any."""
    store = _store()
    with console.status("Verifying the audit chain…"), store.read() as session:
        report = verify_chain(session, _read_anchors(anchors) if anchors else None)
    store.dispose()
    if report.ok:
        console.print(
            f"[green]Audit chain intact[/]: {report.checked} entries, head "
            f"{report.head_seq} {report.head_hash}, {report.anchors_checked} anchors."
        )
        return
    console.print(
        f"[red]Audit chain BROKEN at entry {report.broken_at}[/]: {report.reason} "
        f"({report.checked} entries checked before it)."
    )
    raise typer.Exit(1)


@app.command("anchor")
def export_anchor(
    append: Path = typer.Option(
        None, help="Append the anchor to this JSON Lines file (keep it outside the server)"
    ),
) -> None:
    """Print the head of the chain (sequence and hash) as one JSON line."""
    store = _store()
    with store.read() as session:
        line = orjson.dumps(
            {**anchor(session), "taken_at": datetime.now().astimezone().isoformat()}
        )
    store.dispose()
    if append:
        with append.open("ab") as f:
            f.write(line + b"\n")
    sys.stdout.write(line.decode() + "\n")


def _filters(
    actor: str | None,
    action: str | None,
    record_type: str | None,
    record_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> service.AuditFilter:
    def aware(t: datetime | None) -> datetime | None:
        return t.astimezone() if t is not None and t.tzinfo is None else t

    return service.AuditFilter(actor, action, record_type, record_id, aware(since), aware(until))


@app.command("list")
def list_entries(
    actor: str = typer.Option(None),
    action: str = typer.Option(None),
    record_type: str = typer.Option(None),
    record_id: str = typer.Option(None),
    since: datetime = typer.Option(None, help="local time unless a zone is given"),
    until: datetime = typer.Option(None),
    limit: int = typer.Option(50, min=1, max=10_000),
) -> None:
    """The newest matching entries."""
    store = _store()
    with store.read() as session:
        items, _ = service.search(
            session,
            None,
            _filters(actor, action, record_type, record_id, since, until),
            limit=limit,
        )
    store.dispose()
    table = Table("seq", "at (UTC)", "actor", "agency", "action", "record", "client")
    for e in items:
        table.add_row(
            str(e["seq"]),
            e["at"][:19],
            e["actor"],
            e["agency"] or "",
            e["action"],
            f"{e['record_type'] or ''}:{e['record_id'] or ''}",
            e["client"] or "",
        )
    console.print(table)


@app.command()
def export(
    out: Path = typer.Option(..., help="JSON Lines file to write"),
    actor: str = typer.Option(None),
    action: str = typer.Option(None),
    record_type: str = typer.Option(None),
    record_id: str = typer.Option(None),
    since: datetime = typer.Option(None),
    until: datetime = typer.Option(None),
) -> None:
    """Write matching entries, in chain order, as JSON Lines."""
    store = _store()
    count = 0
    with store.read() as session, out.open("wb") as f:
        for entry in service.export(
            session, None, _filters(actor, action, record_type, record_id, since, until)
        ):
            f.write(orjson.dumps(entry) + b"\n")
            count += 1
    store.dispose()
    console.print(f"{count} entries written to {out}")
