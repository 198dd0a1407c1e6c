"""close-the-loop cases: case columns, rules, triggers, the case thread, teams and SLA targets

Revision ID: 0006_cases
Revises: 0004_feeds
Create Date: 2026-11-25 10:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_cases"
down_revision = "0004_feeds"
branch_labels = None
depends_on = None

CASE_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("open_key", sa.String(length=420), nullable=True),
    sa.Column("rule", sa.String(length=100), nullable=True),
    sa.Column("team_id", sa.Integer(), nullable=True),
    sa.Column("touchpoint", sa.String(length=200), nullable=True),
    sa.Column("score", sa.Float(), nullable=True),
    sa.Column("score_kind", sa.String(length=20), nullable=True),
    sa.Column("customer_email", sa.String(length=320), nullable=True),
    sa.Column("tags", sa.JSON(), nullable=True),
    sa.Column("root_cause", sa.String(length=200), nullable=True),
    sa.Column("resolution_note", sa.Text(), nullable=True),
    sa.Column("first_due_at", sa.DateTime(), nullable=True),
    sa.Column("resolve_due_at", sa.DateTime(), nullable=True),
    sa.Column("first_contact_at", sa.DateTime(), nullable=True),
    sa.Column("resolved_at", sa.DateTime(), nullable=True),
    sa.Column("closed_at", sa.DateTime(), nullable=True),
    sa.Column("first_breached_at", sa.DateTime(), nullable=True),
    sa.Column("resolve_breached_at", sa.DateTime(), nullable=True),
]


def upgrade() -> None:
    for column in CASE_COLUMNS:
        op.add_column("cases", column)
    # NULLs are distinct in a unique index on SQLite and PostgreSQL alike: only open cases collide.
    op.create_index("uq_cases_open_key", "cases", ["workspace_id", "open_key"], unique=True)
    op.create_index("ix_cases_workspace_status", "cases", ["workspace_id", "status"], unique=False)
    op.create_table(
        "case_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_index(op.f("ix_case_rules_workspace_id"), "case_rules", ["workspace_id"], unique=False)
    op.create_table(
        "case_triggers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("fact", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "source_key"),
    )
    op.create_index(op.f("ix_case_triggers_workspace_id"), "case_triggers", ["workspace_id"], unique=False)
    op.create_index(op.f("ix_case_triggers_case_id"), "case_triggers", ["case_id"], unique=False)
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=True),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_messages.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_case_events_workspace_id"), "case_events", ["workspace_id"], unique=False)
    op.create_index("ix_case_events_case_id_id", "case_events", ["case_id", "id"], unique=False)
    op.create_table(
        "case_teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("touchpoints", sa.JSON(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("manager_email", sa.String(length=320), nullable=True),
        sa.Column("dealt", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_index(op.f("ix_case_teams_workspace_id"), "case_teams", ["workspace_id"], unique=False)
    op.create_table(
        "case_sla_targets",
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("first_contact_hours", sa.Float(), nullable=False),
        sa.Column("resolution_hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("workspace_id", "priority"),
    )


def downgrade() -> None:
    op.drop_table("case_sla_targets")
    op.drop_index(op.f("ix_case_teams_workspace_id"), table_name="case_teams")
    op.drop_table("case_teams")
    op.drop_index("ix_case_events_case_id_id", table_name="case_events")
    op.drop_index(op.f("ix_case_events_workspace_id"), table_name="case_events")
    op.drop_table("case_events")
    op.drop_index(op.f("ix_case_triggers_case_id"), table_name="case_triggers")
    op.drop_index(op.f("ix_case_triggers_workspace_id"), table_name="case_triggers")
    op.drop_table("case_triggers")
    op.drop_index(op.f("ix_case_rules_workspace_id"), table_name="case_rules")
    op.drop_table("case_rules")
    op.drop_index("ix_cases_workspace_status", table_name="cases")
    op.drop_index("uq_cases_open_key", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for column in reversed(CASE_COLUMNS):
            batch.drop_column(column.name)
