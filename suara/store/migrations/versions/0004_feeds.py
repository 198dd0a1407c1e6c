"""feed cursors (and the merge of the alerts and outbox branches)

Revision ID: 0004_feeds
Revises: 0003_alerts, 0003_outbox
Create Date: 2026-11-24 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_feeds"
down_revision = ("0003_alerts", "0003_outbox")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("fact", sa.String(length=40), nullable=False),
        sa.Column("position", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "fact"),
    )


def downgrade() -> None:
    op.drop_table("feed_cursors")
