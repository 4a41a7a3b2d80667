"""Every row a person's action makes records who made it: ``created_by`` on the tables
that had no user column (searches, imports, dedup runs, studies, reports, synthesis
sources, codes, themes and their codes and quotes, CERQual findings, extraction forms).

Existing rows keep NULL: they were made before reviewflow recorded its users.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The tables given a ``created_by`` column, in schema order.
TABLES = (
    "searches",
    "imports",
    "dedup_runs",
    "studies",
    "reports",
    "synthesis_sources",
    "codes",
    "themes",
    "theme_codes",
    "theme_quotes",
    "cerqual_findings",
    "extraction_forms",
)


def upgrade() -> None:
    # Batch mode: SQLite adds a nullable column in place (no table copy); PostgreSQL
    # runs a plain ALTER TABLE ... ADD COLUMN.
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("created_by", sa.String(20), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("created_by")
