"""delivery receipts of survey channels and publishable widget keys

Revision ID: 0005_receipts
Revises: 0004_feeds
Create Date: 2026-11-24 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_receipts"
down_revision = "0004_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id", "status", "provider_id"),
    )
    op.create_index("ix_delivery_receipts_workspace_id", "delivery_receipts", ["workspace_id"])
    op.create_index("ix_delivery_receipts_message_id", "delivery_receipts", ["message_id"])
    op.create_index("ix_delivery_receipts_delivery_id", "delivery_receipts", ["delivery_id"])
    op.create_index("ix_delivery_receipts_provider", "delivery_receipts", ["channel", "provider_id"])
    op.create_table(
        "widget_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("surveys", sa.JSON(), nullable=False),
        sa.Column("origins", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_widget_keys_workspace_id", "widget_keys", ["workspace_id"])


def downgrade() -> None:
    op.drop_table("widget_keys")
    op.drop_table("delivery_receipts")
