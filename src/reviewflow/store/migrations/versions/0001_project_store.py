"""Project store: search log, imports and records.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "searches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("method", sa.String(40), nullable=False, server_default="database"),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("platform", sa.Text()),
        sa.Column("searched_with", sa.Text()),
        sa.Column("date_searched", sa.String(10)),
        sa.Column("searcher", sa.Text()),
        sa.Column("query", sa.Text()),
        sa.Column("limits", sa.Text()),
        sa.Column("records_returned", sa.Integer()),
        sa.Column("file_name", sa.Text()),
        sa.Column("file_format", sa.String(40)),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column(
            "update_of",
            sa.Integer(),
            sa.ForeignKey("searches.id", name="fk_searches_update_of_searches"),
        ),
        sa.Column("notes", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_searches"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "search_id",
            sa.Integer(),
            sa.ForeignKey("searches.id", name="fk_imports_search_id_searches"),
        ),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("encoding", sa.String(40)),
        sa.Column("records_read", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_index("ix_imports_sha256", "imports", ["file_sha256"])
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "import_id",
            sa.Integer(),
            sa.ForeignKey("imports.id", name="fk_records_import_id_imports", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.Text()),
        sa.Column("source_line", sa.Integer()),
        sa.Column("title", sa.Text()),
        sa.Column("abstract", sa.Text()),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("year", sa.Integer()),
        sa.Column("source_title", sa.Text()),
        sa.Column("volume", sa.Text()),
        sa.Column("issue", sa.Text()),
        sa.Column("pages", sa.Text()),
        sa.Column("doi", sa.Text()),
        sa.Column("pmid", sa.Text()),
        sa.Column("issn", sa.Text()),
        sa.Column("isbn", sa.Text()),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("language", sa.Text()),
        sa.Column("publication_type", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("accession_number", sa.Text()),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
    )
    op.create_index("ix_records_import", "records", ["import_id"])
    op.create_index("ix_records_doi", "records", ["doi"])


def downgrade() -> None:
    op.drop_table("records")
    op.drop_table("imports")
    op.drop_table("searches")
