"""Thematic synthesis: findings sources, segments, code bank, themes, quotes, CERQual.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}"),
        nullable=nullable,
    )


def _when(name: str = "created_at", *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "synthesis_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("synthesis_sources", "study_id", "studies", nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_synthesis_sources"),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("segments", "source_id", "synthesis_sources", nullable=False),
        _fk("segments", "study_id", "studies", nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer()),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("in_scope", sa.Boolean(), nullable=False),
        sa.Column("section", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_segments"),
    )
    op.create_index("ix_segments_study", "segments", ["study_id", "position"])
    op.create_table(
        "segment_flag_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("segment_flag_events", "segment_id", "segments", nullable=False),
        sa.Column("field", sa.String(10), nullable=False),
        sa.Column("value", sa.String(10), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_segment_flag_events"),
    )
    op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("memo", sa.Text()),
        _fk("codes", "parent_id", "codes"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_codes"),
    )
    op.create_table(
        "code_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("code_events", "code_id", "codes", nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_code_events"),
    )
    op.create_index("ix_code_events_code", "code_events", ["code_id", "id"])
    op.create_table(
        "code_applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("code_applications", "segment_id", "segments", nullable=False),
        _fk("code_applications", "code_id", "codes", nullable=False),
        sa.Column("coder", sa.String(20), nullable=False),
        sa.Column("span_start", sa.Integer()),
        sa.Column("span_end", sa.Integer()),
        _when(),
        _when("removed_at", nullable=True),
        sa.Column("removed_reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_code_applications"),
    )
    op.create_index("ix_code_applications_segment", "code_applications", ["segment_id"])
    op.create_index("ix_code_applications_code", "code_applications", ["code_id"])
    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("label", sa.String(20)),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _fk("themes", "parent_id", "themes"),
        sa.Column("reported_studies", sa.JSON()),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_themes"),
    )
    op.create_table(
        "theme_codes",
        _fk("theme_codes", "theme_id", "themes", nullable=False),
        _fk("theme_codes", "code_id", "codes", nullable=False),
        sa.PrimaryKeyConstraint("theme_id", "code_id", name="pk_theme_codes"),
    )
    op.create_table(
        "theme_quotes",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("theme_quotes", "theme_id", "themes", nullable=False),
        _fk("theme_quotes", "study_id", "studies", nullable=False),
        _fk("theme_quotes", "segment_id", "segments"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer()),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_theme_quotes"),
    )
    op.create_table(
        "cerqual_findings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("label", sa.String(20)),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("theme_ids", sa.JSON(), nullable=False),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_cerqual_findings"),
    )
    op.create_table(
        "cerqual_judgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        _fk("cerqual_judgements", "finding_id", "cerqual_findings", nullable=False),
        sa.Column("component", sa.String(30), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        _when(),
        sa.PrimaryKeyConstraint("id", name="pk_cerqual_judgements"),
    )
    op.create_index("ix_cerqual_judgements_finding", "cerqual_judgements", ["finding_id", "id"])


def downgrade() -> None:
    for table in (
        "cerqual_judgements",
        "cerqual_findings",
        "theme_quotes",
        "theme_codes",
        "themes",
        "code_applications",
        "code_events",
        "codes",
        "segment_flag_events",
        "segments",
        "synthesis_sources",
    ):
        op.drop_table(table)
