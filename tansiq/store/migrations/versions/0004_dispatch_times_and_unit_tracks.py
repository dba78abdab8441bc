"""dispatch times and unit tracks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:49:05.211719
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tansiq.store.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_positions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("heading", sa.Double(), nullable=True),
        sa.Column("speed", sa.Double(), nullable=True),
        sa.Column("road_network", sa.Integer(), nullable=True),
        sa.Column("road_edge", sa.Integer(), nullable=True),
        sa.Column("road_fraction", sa.Double(), nullable=True),
        sa.Column("road_offset_m", sa.Double(), nullable=True),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["users.id"],
            name=op.f("fk_unit_positions_reported_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_unit_positions_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_positions")),
    )
    with op.batch_alter_table("unit_positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_positions_at"), ["at"], unique=False)
        batch_op.create_index("ix_unit_positions_unit_at", ["unit_id", "at"], unique=False)

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("predicted_eta_s", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("eta_method", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("en_route_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("on_scene_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("on_scene_at")
        batch_op.drop_column("en_route_at")
        batch_op.drop_column("eta_method")
        batch_op.drop_column("predicted_eta_s")

    with op.batch_alter_table("unit_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_positions_unit_at")
        batch_op.drop_index(batch_op.f("ix_unit_positions_at"))

    op.drop_table("unit_positions")
