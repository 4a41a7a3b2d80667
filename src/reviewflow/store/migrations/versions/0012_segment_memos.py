"""Memos on findings segments, append-only: the latest per segment is current.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_memos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "segment_id",
            sa.Integer(),
            sa.ForeignKey("segments.id", name="fk_segment_memos_segment_id_segments"),
            nullable=False,
        ),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segment_memos"),
    )
    op.create_index("ix_segment_memos_segment", "segment_memos", ["segment_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_segment_memos_segment", "segment_memos")
    op.drop_table("segment_memos")
