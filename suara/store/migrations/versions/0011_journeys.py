"""saved journey specs: a workspace's named journeys (stages of touchpoints) for the journey map

Revision ID: 0011_journeys
Revises: 0004_feeds
Create Date: 2026-11-26 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_journeys"
down_revision = "0004_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_index("ix_journeys_workspace_id", "journeys", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_journeys_workspace_id", table_name="journeys")
    op.drop_table("journeys")
