"""the last theme fit of each workspace: how many enriched items it saw and when, for the re-fit policy

Revision ID: 0010_theme_runs
Revises: 0009_themes
Create Date: 2026-11-26 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_theme_runs"
down_revision = "0009_themes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_theme_runs",
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("text_theme_runs")
