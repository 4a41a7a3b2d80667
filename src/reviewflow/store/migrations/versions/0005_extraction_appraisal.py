"""Extraction and appraisal: form versions, extraction events and values, appraisals.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _when() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def _study(table: str) -> sa.Column:
    return sa.Column(
        "study_id",
        sa.Integer(),
        sa.ForeignKey("studies.id", name=f"fk_{table}_study_id_studies"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "extraction_forms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text()),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_extraction_forms"),
        sa.UniqueConstraint("form_id", "version", name="uq_extraction_forms_form_id_version"),
    )
    op.create_table(
        "extraction_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _study("extraction_events"),
        sa.Column("form_id", sa.String(100), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("reviewer", sa.String(20), nullable=False),
        sa.Column("of_reviewer", sa.String(20)),
        sa.Column("pilot", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("source", sa.Text()),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_extraction_events"),
    )
    op.create_index("ix_extraction_events_study", "extraction_events", ["study_id", "id"])
    op.create_table(
        "extraction_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey(
                "extraction_events.id",
                name="fk_extraction_values_event_id_extraction_events",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("value", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_extraction_values"),
    )
    op.create_index("ix_extraction_values_event", "extraction_values", ["event_id"])
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), primary_key=True),
        _study("appraisals"),
        sa.Column("checklist_id", sa.String(100), nullable=False),
        sa.Column("checklist_version", sa.String(40)),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("appraiser", sa.String(20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("resolutions", sa.JSON()),
        sa.Column("source", sa.Text()),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_appraisals"),
    )
    op.create_index("ix_appraisals_study", "appraisals", ["study_id", "id"])


def downgrade() -> None:
    for table in ("appraisals", "extraction_values", "extraction_events", "extraction_forms"):
        op.drop_table(table)
