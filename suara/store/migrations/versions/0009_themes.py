"""text themes, their item assignments, and "you said, we did" announcements

Revision ID: 0009_themes
Revises: 0004_feeds
Create Date: 2026-11-25 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_themes"
down_revision = "0004_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_themes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("theme_id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("phrases", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "theme_id"),
    )
    op.create_index("ix_text_themes_workspace_id", "text_themes", ["workspace_id"])
    op.create_table(
        "text_theme_items",
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("item_kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=300), nullable=False),
        sa.Column("theme_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "item_kind", "item_id", "theme_id"),
    )
    op.create_index("ix_text_theme_items_theme", "text_theme_items", ["workspace_id", "theme_id"])
    op.create_table(
        "text_announcements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_text_announcements_workspace_id", "text_announcements", ["workspace_id"])
    op.create_table(
        "text_announcement_recipients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["announcement_id"], ["text_announcements.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("announcement_id", "customer_id"),
    )
    op.create_index(
        "ix_text_announcement_recipients_announcement_id", "text_announcement_recipients", ["announcement_id"]
    )


def downgrade() -> None:
    op.drop_table("text_announcement_recipients")
    op.drop_table("text_announcements")
    op.drop_table("text_theme_items")
    op.drop_table("text_themes")
