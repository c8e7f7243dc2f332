"""The record of staff account changes (``account_changes``): who changed which account, what, when.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("account", sa.String(80), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_changes")),
    )
    op.create_index(op.f("ix_account_changes_changed_at"), "account_changes", ["changed_at"])
    op.create_index(op.f("ix_account_changes_account"), "account_changes", ["account"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_changes_account"), "account_changes")
    op.drop_index(op.f("ix_account_changes_changed_at"), "account_changes")
    op.drop_table("account_changes")
