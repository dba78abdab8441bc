"""emergencies: events, affected areas, incident links, timeline, casualties, deployments, campaigns

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-22 21:26:08.843258
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tansiq.store.base

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "emergencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_ar", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=300), nullable=True),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_emergencies_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_emergencies_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergencies")),
    )
    with op.batch_alter_table("emergencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergencies_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_emergencies_source_ref"), ["source_ref"], unique=False)
        batch_op.create_index("ix_emergencies_status_agency", ["status", "agency_id"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("topic_ar", sa.String(length=300), nullable=False),
        sa.Column("audience", sa.String(length=300), nullable=False),
        sa.Column(
            "channels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("areas_geojson", sa.Text(), nullable=True),
        sa.Column("starts_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=True),
        sa.Column(
            "incident_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "messages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_campaigns_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_campaigns_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_campaigns_emergency_id_emergencies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_campaigns_emergency_id"), ["emergency_id"], unique=False
        )
        batch_op.create_index("ix_campaigns_period", ["starts_at", "ends_at"], unique=False)

    op.create_table(
        "deployment_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_deployment_proposals_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_deployment_proposals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_deployment_proposals_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_proposals")),
    )
    with op.batch_alter_table("deployment_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_proposals_emergency_id"), ["emergency_id"], unique=False
        )

    op.create_table(
        "emergency_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("valid_from", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_to", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_emergency_areas_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_areas_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_areas")),
    )
    with op.batch_alter_table("emergency_areas", schema=None) as batch_op:
        batch_op.create_index(
            "ix_emergency_areas_bbox", ["min_lon", "max_lon", "min_lat", "max_lat"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_emergency_areas_emergency_id"), ["emergency_id"], unique=False
        )

    op.create_table(
        "emergency_casualties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("injured", sa.Integer(), nullable=False),
        sa.Column("dead", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("evacuated", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_emergency_casualties_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_casualties_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_casualties")),
    )
    with op.batch_alter_table("emergency_casualties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_emergency_casualties_em_at", ["emergency_id", "reported_at"], unique=False
        )

    op.create_table(
        "emergency_incidents",
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_incidents_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_emergency_incidents_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_emergency_incidents_linked_by_users")
        ),
        sa.PrimaryKeyConstraint("emergency_id", "incident_id", name=op.f("pk_emergency_incidents")),
    )
    with op.batch_alter_table("emergency_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_incidents_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "emergency_shares",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shared_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_emergency_shares_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_shares_record_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shared_by"], ["users.id"], name=op.f("fk_emergency_shares_shared_by_users")
        ),
        sa.PrimaryKeyConstraint("record_id", "agency_id", name=op.f("pk_emergency_shares")),
    )
    with op.batch_alter_table("emergency_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_shares_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "emergency_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_emergency_timeline_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_emergency_timeline_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_timeline")),
    )
    with op.batch_alter_table("emergency_timeline", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emergency_timeline_emergency_id"), ["emergency_id"], unique=False
        )

    op.create_table(
        "campaign_shares",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shared_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_campaign_shares_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_shares_record_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shared_by"], ["users.id"], name=op.f("fk_campaign_shares_shared_by_users")
        ),
        sa.PrimaryKeyConstraint("record_id", "agency_id", name=op.f("pk_campaign_shares")),
    )
    with op.batch_alter_table("campaign_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_shares_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("emergency_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("point_kind", sa.String(length=16), nullable=False),
        sa.Column("point_ref", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=True),
        sa.Column("eta_method", sa.String(length=16), nullable=True),
        sa.Column("deployed_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.Integer(), nullable=True),
        sa.Column("released_at", tansiq.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployed_by"], ["users.id"], name=op.f("fk_deployments_deployed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["emergency_id"],
            ["emergencies.id"],
            name=op.f("fk_deployments_emergency_id_emergencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["deployment_proposals.id"],
            name=op.f("fk_deployments_proposal_id_deployment_proposals"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["released_by"], ["users.id"], name=op.f("fk_deployments_released_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_deployments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployments_emergency_id"), ["emergency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deployments_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(
            "uq_deployments_active_unit",
            ["unit_id"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )


def downgrade() -> None:

    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_deployments_active_unit",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_deployments_unit_id"))
        batch_op.drop_index(batch_op.f("ix_deployments_emergency_id"))

    op.drop_table("deployments")
    with op.batch_alter_table("campaign_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_shares_agency_id"))

    op.drop_table("campaign_shares")
    with op.batch_alter_table("emergency_timeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_timeline_emergency_id"))

    op.drop_table("emergency_timeline")
    with op.batch_alter_table("emergency_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_shares_agency_id"))

    op.drop_table("emergency_shares")
    with op.batch_alter_table("emergency_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_incidents_incident_id"))

    op.drop_table("emergency_incidents")
    with op.batch_alter_table("emergency_casualties", schema=None) as batch_op:
        batch_op.drop_index("ix_emergency_casualties_em_at")

    op.drop_table("emergency_casualties")
    with op.batch_alter_table("emergency_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_areas_emergency_id"))
        batch_op.drop_index("ix_emergency_areas_bbox")

    op.drop_table("emergency_areas")
    with op.batch_alter_table("deployment_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_proposals_emergency_id"))

    op.drop_table("deployment_proposals")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_campaigns_period")
        batch_op.drop_index(batch_op.f("ix_campaigns_emergency_id"))
        batch_op.drop_index(batch_op.f("ix_campaigns_agency_id"))

    op.drop_table("campaigns")
    with op.batch_alter_table("emergencies", schema=None) as batch_op:
        batch_op.drop_index("ix_emergencies_status_agency")
        batch_op.drop_index(batch_op.f("ix_emergencies_source_ref"))
        batch_op.drop_index(batch_op.f("ix_emergencies_agency_id"))

    op.drop_table("emergencies")
