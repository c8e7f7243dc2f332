"""Alembic environment of the destination database.

Run programmatically by `webapp.storage.engine.upgrade` (a connection is passed in
``config.attributes["connection"]``), or from the shell in the repository root:
``BIKEMAP_DATABASE_URL=postgresql+psycopg://... alembic upgrade head``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from webapp.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("db")
        or os.environ.get("BIKEMAP_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
        or "sqlite:///instance/bikemap.sqlite3"
    )


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table copies for ALTER
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from webapp.storage.engine import normalise_url

    engine = create_engine(normalise_url(_url()))
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
