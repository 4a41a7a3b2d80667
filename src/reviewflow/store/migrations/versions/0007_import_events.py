"""Import events: the history of linking imports to searches and removing mistaken imports.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("search_id", sa.Integer()),
        sa.Column("previous_search_id", sa.Integer()),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("reviewer", sa.String(20)),
        sa.Column("account", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_import_events"),
    )
    op.create_index("ix_import_events_import", "import_events", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_import_events_import", table_name="import_events")
    op.drop_table("import_events")
