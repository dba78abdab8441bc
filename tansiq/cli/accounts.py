"""`tansiq user ...` and `tansiq agency ...`: administering accounts from the server's shell."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable

import typer
from rich.console import Console
from rich.table import Table

from tansiq.access import service
from tansiq.access.directory import Directory
from tansiq.access.models import AgencyKind, Role, User
from tansiq.access.schemas import AgencyCreate, UserCreate, UserUpdate
from tansiq.audit import context as audit_context
from tansiq.config import Settings
from tansiq.errors import Problem
from tansiq.store.db import Store
from tansiq.store.uow import UnitOfWork

users = typer.Typer(help="Create, list and disable users.", no_args_is_help=True)
agencies = typer.Typer(help="Add and list agencies.", no_args_is_help=True)
console = Console()


def _store() -> Store:
    # Changes made from the server's shell are audited as the operating-system user who ran them.
    audit_context.current.set(audit_context.RequestContext(client=f"cli:{getpass.getuser()}"))
    return Store(Settings().effective_database_url)


def _write(command: Callable[[UnitOfWork], object]) -> None:
    """Run one command in a unit of work; a refusal is printed in both languages (exit 1)."""
    store = _store()
    try:
        with store.write() as uow:
            command(uow)
    except Problem as problem:
        _fail(problem)
    finally:
        store.dispose()


def _fail(problem: Problem) -> None:
    console.print(f"[red]{problem.detail('en')}[/]\n[red]{problem.detail('ar')}[/]")
    raise typer.Exit(1)


@users.command("add")
def user_add(
    username: str,
    role: Role = typer.Option(
        ..., help="admin, supervisor, dispatcher, field_unit, analyst, liaison or viewer"
    ),
    agency: str = typer.Option(..., help="Agency code (see `tansiq agency list`)"),
    clearance: str = typer.Option("restricted", help="public, restricted, confidential, secret"),
    display_name: str = typer.Option("", help="Name shown in the console"),
    password_env: str = typer.Option(
        "", help="Read the password from this environment variable instead of prompting"
    ),
) -> None:
    """Add a user. The password is prompted for (never taken on the command line)."""
    password = (
        os.environ.get(password_env, "")
        if password_env
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    try:
        data = UserCreate(
            username=username,
            password=password,
            role=role,
            agency=agency,
            clearance=clearance,
            display_name=display_name,
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    _write(lambda uow: service.create_user(uow, None, data))
    console.print(f"[green]User {username} added.[/]")


@users.command("list")
def user_list() -> None:
    """List users with their role, agency and clearance."""
    store = _store()
    table = Table("username", "role", "agency", "clearance", "disabled")
    with store.read() as session:
        directory = Directory(session)
        for user in session.query(User).order_by(User.username):
            read = service.user_read(user, directory)
            table.add_row(
                read.username,
                read.role.value,
                read.agency,
                read.clearance,
                "yes" if read.disabled else "",
            )
    store.dispose()
    console.print(table)


@users.command("disable")
def user_disable(username: str) -> None:
    """Disable a user: their tokens stop working and their open feeds are closed."""
    _write(lambda uow: service.update_user(uow, None, username, UserUpdate(disabled=True)))
    console.print(f"[green]User {username} disabled.[/]")


@agencies.command("add")
def agency_add(
    code: str,
    name_en: str = typer.Option(..., help="English name"),
    name_ar: str = typer.Option(..., help="Arabic name"),
    kind: AgencyKind = typer.Option(AgencyKind.SECTOR, help="sector, army, joint_room, partner"),
) -> None:
    """Add an agency (a sector, a partner, ...)."""
    try:
        data = AgencyCreate(code=code, name_en=name_en, name_ar=name_ar, kind=kind)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    _write(lambda uow: service.create_agency(uow, None, data))
    console.print(f"[green]Agency {code} added.[/]")


@agencies.command("list")
def agency_list() -> None:
    """List agencies with their Arabic and English names."""
    store = _store()
    table = Table("code", "English", "العربية", "kind", "active")
    with store.read() as session:
        for a in service.list_agencies(session, include_inactive=True):
            table.add_row(a.code, a.name_en, a.name_ar, a.kind, "yes" if a.active else "no")
    store.dispose()
    console.print(table)
