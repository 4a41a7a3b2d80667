"""People and roles, the versioned protocol, and the blob store's index.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("initials", sa.String(20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, server_default=""),
        sa.Column("email", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("initials", name="uq_users_initials"),
    )
    op.create_table(
        "membership_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("by", sa.String(20)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_membership_events"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_membership_events_user_id_users"
        ),
    )
    op.create_index("ix_membership_events_user", "membership_events", ["user_id", "id"])
    op.create_table(
        "protocol_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("changed_by", sa.String(20)),
        sa.Column("account", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_protocol_versions"),
        sa.UniqueConstraint("version", name="uq_protocol_versions_version"),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(100)),
        sa.Column("file_name", sa.Text()),
        sa.Column("created_by", sa.String(20)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )


def downgrade() -> None:
    op.drop_table("blobs")
    op.drop_table("protocol_versions")
    op.drop_index("ix_membership_events_user", table_name="membership_events")
    op.drop_table("membership_events")
    op.drop_table("users")
