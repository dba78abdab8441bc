"""`tansiq kpi`: response-time percentiles from the server's own database."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import orjson
import typer
from rich.console import Console
from rich.table import Table

from tansiq.config import Settings
from tansiq.dispatch import kpis
from tansiq.dispatch.schemas import KpiReport
from tansiq.errors import Problem
from tansiq.store.db import Store

console = Console()
err = Console(stderr=True)
KUWAIT = ZoneInfo("Asia/Kuwait")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _day_start(value: str, option: str) -> datetime:
    """A date is that day's midnight in Kuwait; a date-time must say its zone."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), KUWAIT)
        moment = datetime.fromisoformat(value)
    except ValueError:
        err.print(
            f"[red]{option} {value!r}: not a date (YYYY-MM-DD) or a date-time "
            f"(YYYY-MM-DDTHH:MM+03:00).[/] / القيمة ليست تاريخاً أو تاريخاً ووقتاً."
        )
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        err.print(
            f"[red]{option} {value!r}: a date-time must include its time zone, e.g. +03:00.[/] "
            "/ يجب أن يتضمن الوقت المنطقة الزمنية."
        )
        raise typer.Exit(2)
    return moment


def kpi(
    start: str = typer.Option(
        None, "--from", help="first day (Kuwait time) or date-time; default 30 days ago"
    ),
    end: str = typer.Option(
        None, "--to", help="day after the last (Kuwait time) or date-time; default now"
    ),
    by: list[kpis.Dimension] = typer.Option([], "--by", help="group by (repeat for several)"),
    agency: list[str] = typer.Option([], help="only these agencies' incidents"),
    type_: list[str] = typer.Option([], "--type", help="only these incident types"),
    priority: list[int] = typer.Option([], min=1, max=4, help="only these priorities"),
    area: list[str] = typer.Option([], help="only these areas"),
    fmt: Format = typer.Option(Format.TABLE, "--format"),
) -> None:
    """Call-to-dispatch, dispatch-to-arrival and total response times (p50/p90, seconds)
    of the incidents reported in the period, over every incident in the database."""
    stop = _day_start(end, "--to") if end else datetime.now(KUWAIT)
    begin = _day_start(start, "--from") if start else stop - timedelta(days=30)
    store = Store(Settings().effective_database_url)
    try:
        with store.read() as session:
            result = kpis.report(
                session,
                None,
                begin,
                stop,
                by=list(dict.fromkeys(by)),
                agency=agency,
                type_=type_,
                priority=priority,
                area=area,
            )
    except Problem as problem:
        err.print(f"[red]{problem.detail('en')}[/] / {problem.detail('ar')}")
        for e in problem.errors or []:
            err.print(f"  {'.'.join(map(str, e['loc']))}: {e['msg']} / {e['msg_ar']}")
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    if fmt is Format.JSON:
        sys.stdout.write(orjson.dumps(result.model_dump(mode="json")).decode() + "\n")
        return
    rows = kpis.as_rows(result)
    columns = [d.value for d in result_dims(result)] + [
        c for c in (rows[0] if rows else {}) if c not in result.by
    ]
    if fmt is Format.CSV:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns or ["incidents"])
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(title=f"Response times, {begin:%Y-%m-%d %H:%M} – {stop:%Y-%m-%d %H:%M} (s)")
    for column in columns:
        table.add_column(
            column, justify="left" if column in result.by else "right", overflow="fold"
        )
    for row in rows:
        table.add_row(*("—" if row[c] is None else str(row[c]) for c in columns))
    console.print(table)
    if not rows:
        console.print("No incidents were reported in this period. / لا بلاغات في هذه الفترة.")


def result_dims(result: KpiReport) -> list[kpis.Dimension]:
    return [kpis.Dimension(d) for d in result.by]
