"""public alerts: CAP alerts from draft to publication, and CAP alerts imported from outside

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 21:31:08.633018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tansiq.store.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=160), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("cap_status", sa.String(length=10), nullable=False),
        sa.Column("references_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(length=255), nullable=True),
        sa.Column("sent_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_alerts_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_alerts_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_alerts_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["references_id"], ["alerts.id"], name=op.f("fk_alerts_references_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_alerts_submitted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["alerts.id"], name=op.f("fk_alerts_superseded_by_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("identifier", name=op.f("uq_alerts_identifier")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_agency_state", ["agency_id", "state"], unique=False)
        batch_op.create_index("ix_alerts_state_sent", ["state", "sent_at"], unique=False)

    op.create_table(
        "cap_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("sent", sa.String(length=40), nullable=False),
        sa.Column("sent_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("cap_status", sa.String(length=10), nullable=False),
        sa.Column(
            "summary",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("imported_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("emergency_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_cap_imports_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cap_imports")),
        sa.UniqueConstraint("sender", "identifier", "sent", name="uq_cap_imports_key"),
    )
    with op.batch_alter_table("cap_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cap_imports_imported_at"), ["imported_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("cap_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cap_imports_imported_at"))

    op.drop_table("cap_imports")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_state_sent")
        batch_op.drop_index("ix_alerts_agency_state")

    op.drop_table("alerts")
