"""Deduplication: runs, append-only link events, review queue, decisions of people.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _record_fk(column: str, table: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey("records.id", name=f"fk_{table}_{column}_records", ondelete="CASCADE"),
        nullable=nullable,
    )


def _run_fk(table: str) -> sa.Column:
    return sa.Column(
        "run_id", sa.Integer(), sa.ForeignKey("dedup_runs.id", name=f"fk_{table}_run_id_dedup_runs")
    )


def upgrade() -> None:
    op.create_table(
        "dedup_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("records_considered", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dedup_runs"),
    )
    op.create_table(
        "duplicate_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        _record_fk("record_id", "duplicate_links"),
        _record_fk("canonical_id", "duplicate_links", nullable=True),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("rule", sa.Text()),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        _run_fk("duplicate_links"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_duplicate_links"),
    )
    op.create_index("ix_duplicate_links_record", "duplicate_links", ["record_id", "id"])
    op.create_table(
        "dedup_pairs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _record_fk("record_a", "dedup_pairs"),
        _record_fk("record_b", "dedup_pairs"),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("queued", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.Text()),
        sa.Column("scores", sa.JSON(), nullable=False),
        _run_fk("dedup_pairs"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dedup_pairs"),
    )
    op.create_index("ix_dedup_pairs_ab", "dedup_pairs", ["record_a", "record_b"])
    op.create_table(
        "dedup_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _record_fk("record_a", "dedup_decisions"),
        _record_fk("record_b", "dedup_decisions"),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dedup_decisions"),
    )
    op.create_index("ix_dedup_decisions_ab", "dedup_decisions", ["record_a", "record_b"])


def downgrade() -> None:
    op.drop_table("dedup_decisions")
    op.drop_table("dedup_pairs")
    op.drop_table("duplicate_links")
    op.drop_table("dedup_runs")
