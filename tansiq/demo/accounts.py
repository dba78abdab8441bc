"""Demo accounts: `admin`, and one user per role in every agency, sharing one password."""

from __future__ import annotations

import secrets

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from tansiq.access.directory import Directory
from tansiq.access.models import Agency, Clearance, Role, User
from tansiq.access.security import hash_password, verify_password
from tansiq.config import Settings
from tansiq.demo.units import seed_units
from tansiq.store.db import Store

ROLE_CLEARANCE = {
    Role.ADMIN: Clearance.SECRET,
    Role.SUPERVISOR: Clearance.SECRET,
    Role.DISPATCHER: Clearance.CONFIDENTIAL,
    Role.LIAISON: Clearance.CONFIDENTIAL,
    Role.ANALYST: Clearance.CONFIDENTIAL,
    Role.FIELD_UNIT: Clearance.RESTRICTED,
    Role.VIEWER: Clearance.RESTRICTED,
}


def demo_password(settings: Settings) -> str:
    """TANSIQ_DEMO_PASSWORD, or one generated on first start and kept (mode 600) for the next."""
    if settings.demo_password:
        return settings.demo_password
    path = settings.data_dir / "demo-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password)
    return password


def demo_username(role: Role, agency_code: str) -> str:
    return f"{role.value.replace('_', '-')}.{agency_code.replace('_', '-')}"


def seed_demo(store: Store, settings: Settings, console: Console) -> str:
    """Create missing demo users and units; (re)set their password to the demo password."""
    password = demo_password(settings)
    with store.write() as uow:
        session = uow.session
        directory = Directory(session)
        agencies = list(session.execute(select(Agency).order_by(Agency.id)).scalars())
        existing = {u.username: u for u in session.execute(select(User)).scalars()}
        wanted = [("admin", Role.ADMIN, directory.agency_id("systems_information"))]
        wanted += [(demo_username(role, a.code), role, a.id) for a in agencies for role in Role]
        # All demo users share one hash of the one password: verify it once per distinct hash,
        # not once per user, so a restart stays quick.
        hashed = hash_password(password)
        verified = {
            h for h in {u.password_hash for u in existing.values()} if verify_password(h, password)
        }
        with console.status(f"Preparing {len(wanted)} demo accounts…"):
            for username, role, agency_id in wanted:
                user = existing.get(username)
                if user is None:
                    session.add(
                        User(
                            username=username,
                            role=role.value,
                            agency_id=agency_id,
                            clearance=int(ROLE_CLEARANCE[role]),
                            password_hash=hashed,
                            display_name=username,
                        )
                    )
                elif user.password_hash not in verified:
                    user.password_hash = hashed
                    user.token_version += 1
        session.flush()
        added = seed_units(uow)
    if added:
        console.print(f"{added} demo units registered.")
    # Imported here: the emergency domains import the account helpers of this module.
    from tansiq.demo.emergency import seed_emergency

    if seed_emergency(store):
        console.print("Demo emergency declared: heavy rain, two shelters, one published alert.")
    return password


def print_accounts(console: Console, *, store_url: str, password: str) -> None:
    table = Table(title="Demo accounts — الحسابات التجريبية", show_lines=False)
    table.add_column("username pattern")
    table.add_column("clearance")
    table.add_row("admin", "secret")
    for role in Role:
        table.add_row(demo_username(role, "<agency>"), ROLE_CLEARANCE[role].label)
    console.print(table)
    console.print(
        "<agency> is an agency code with '-' for '_', e.g. dispatcher.traffic, "
        "supervisor.joint-ops-room, field-unit.public-security (list: tansiq agency list)."
    )
    console.print(f"Password for every demo account: [bold]{password}[/]")
    console.print(f"Database: {store_url}")
