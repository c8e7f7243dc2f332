"""Server-side staff sessions, named and expiring API tokens, versioned closures, the database's area.

- ``staff_sessions``: one row per signed-in browser (logout and password/role
  changes delete rows, so a replayed cookie no longer works);
- ``api_tokens.name`` and ``api_tokens.expires_at``;
- closures get ``version``/``updated_at``/``updated_by`` and a ``closure_history``;
- ``bikemap_meta``: facts about the database (the area it was seeded for);
- ``login_failures`` goes: the login throttle is Flask-Limiter's (memory or Redis).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_staff_sessions_key_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_user_id"), "staff_sessions", ["user_id"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("name", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("closures") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("updated_by", sa.String(80), nullable=False, server_default=""))
    op.execute("UPDATE closures SET updated_at = created_at, updated_by = created_by")
    with op.batch_alter_table("closures") as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
    op.create_table(
        "closure_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closure_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_history")),
    )
    op.create_index(op.f("ix_closure_history_closure_id"), "closure_history", ["closure_id"])
    op.create_table(
        "bikemap_meta",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bikemap_meta")),
    )
    op.drop_table("login_failures")


def downgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.drop_table("bikemap_meta")
    op.drop_table("closure_history")
    with op.batch_alter_table("closures") as batch:
        batch.drop_column("updated_by")
        batch.drop_column("updated_at")
        batch.drop_column("version")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("name")
    op.drop_index(op.f("ix_staff_sessions_user_id"), "staff_sessions")
    op.drop_table("staff_sessions")
