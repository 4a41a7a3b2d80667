"""Screening: append-only decisions and stage events, reports, studies, retrieval events.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(20), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_screening_decisions"),
    )
    op.create_index("ix_screening_decisions_stage", "screening_decisions", ["stage", "item_id"])
    op.create_table(
        "screening_stage_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_screening_stage_events"),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("label", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_studies"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "record_id",
            sa.Integer(),
            sa.ForeignKey("records.id", name="fk_reports_record_id_records", ondelete="CASCADE"),
        ),
        sa.Column(
            "study_id",
            sa.Integer(),
            sa.ForeignKey("studies.id", name="fk_reports_study_id_studies"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reports"),
    )
    op.create_index("ix_reports_record", "reports", ["record_id"])
    op.create_table(
        "retrieval_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey(
                "reports.id", name="fk_retrieval_events_report_id_reports", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("file_name", sa.Text()),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("file_path", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("reviewer", sa.String(20)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_retrieval_events"),
    )
    op.create_index("ix_retrieval_events_report", "retrieval_events", ["report_id", "id"])


def downgrade() -> None:
    op.drop_table("retrieval_events")
    op.drop_table("reports")
    op.drop_table("studies")
    op.drop_table("screening_stage_events")
    op.drop_table("screening_decisions")
