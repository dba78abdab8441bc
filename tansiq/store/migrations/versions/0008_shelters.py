"""shelters: registry, households, members, stays

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-22 21:34:09.964921
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tansiq.store.base

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shelters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_ar", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("occupancy", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column(
            "facilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_shelters_capacity_non_negative")),
        sa.CheckConstraint(
            "occupancy + reserved <= capacity", name=op.f("ck_shelters_within_capacity")
        ),
        sa.CheckConstraint(
            "occupancy >= 0 AND reserved >= 0", name=op.f("ck_shelters_counts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_shelters_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_shelters_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_shelters_emergency_id_emergencies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelters")),
    )
    with op.batch_alter_table("shelters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shelters_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shelters_emergency_id"), ["emergency_id"], unique=False
        )
        batch_op.create_index("ix_shelters_status", ["status"], unique=False)

    op.create_table(
        "shelter_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("head_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "needs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("national_id", sa.String(length=32), nullable=True),
        sa.Column("origin_lat", sa.Float(), nullable=True),
        sa.Column("origin_lon", sa.Float(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=True),
        sa.Column("shelter_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("size >= 1", name=op.f("ck_shelter_households_size_positive")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_shelter_households_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_shelter_households_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_shelter_households_emergency_id_emergencies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shelter_id"], ["shelters.id"], name=op.f("fk_shelter_households_shelter_id_shelters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelter_households")),
        sa.UniqueConstraint("reference", name=op.f("uq_shelter_households_reference")),
    )
    with op.batch_alter_table("shelter_households", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shelter_households_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shelter_households_emergency_id"), ["emergency_id"], unique=False
        )
        batch_op.create_index(
            "ix_shelter_households_status_shelter", ["status", "shelter_id"], unique=False
        )

    op.create_table(
        "shelter_household_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("age_band", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["shelter_households.id"],
            name=op.f("fk_shelter_household_members_household_id_shelter_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelter_household_members")),
    )
    with op.batch_alter_table("shelter_household_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shelter_household_members_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "shelter_stays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("shelter_id", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_in_by", sa.Integer(), nullable=True),
        sa.Column("checked_out_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_out_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checked_in_by"], ["users.id"], name=op.f("fk_shelter_stays_checked_in_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["checked_out_by"], ["users.id"], name=op.f("fk_shelter_stays_checked_out_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["shelter_households.id"],
            name=op.f("fk_shelter_stays_household_id_shelter_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shelter_id"], ["shelters.id"], name=op.f("fk_shelter_stays_shelter_id_shelters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shelter_stays")),
    )
    with op.batch_alter_table("shelter_stays", schema=None) as batch_op:
        batch_op.create_index(
            "ix_shelter_stays_shelter", ["shelter_id", "checked_in_at"], unique=False
        )
        batch_op.create_index(
            "uq_shelter_stays_open_household",
            ["household_id"],
            unique=True,
            sqlite_where=sa.text("checked_out_at IS NULL"),
            postgresql_where=sa.text("checked_out_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("shelter_stays", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_shelter_stays_open_household",
            sqlite_where=sa.text("checked_out_at IS NULL"),
            postgresql_where=sa.text("checked_out_at IS NULL"),
        )
        batch_op.drop_index("ix_shelter_stays_shelter")

    op.drop_table("shelter_stays")
    with op.batch_alter_table("shelter_household_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shelter_household_members_household_id"))

    op.drop_table("shelter_household_members")
    with op.batch_alter_table("shelter_households", schema=None) as batch_op:
        batch_op.drop_index("ix_shelter_households_status_shelter")
        batch_op.drop_index(batch_op.f("ix_shelter_households_emergency_id"))
        batch_op.drop_index(batch_op.f("ix_shelter_households_agency_id"))

    op.drop_table("shelter_households")
    with op.batch_alter_table("shelters", schema=None) as batch_op:
        batch_op.drop_index("ix_shelters_status")
        batch_op.drop_index(batch_op.f("ix_shelters_emergency_id"))
        batch_op.drop_index(batch_op.f("ix_shelters_agency_id"))

    op.drop_table("shelters")
