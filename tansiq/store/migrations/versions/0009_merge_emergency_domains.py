"""join the public-alerts and emergencies/shelters branches into one history

Revision ID: 0009
Revises: 0005, 0008
Create Date: 2026-11-22 22:20:00.000000

The two domains were built side by side from revision 0004; from here on there is one head
again, so the next migration has one parent to name.
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0005", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
