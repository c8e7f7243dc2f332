"""``bikemap tour`` and ``bikemap destinations`` with the web app's database: one destination id everywhere.

The library's commands (`routes.cli_tour`) know only the network, so their destination ids are
OSM references (``osm:node/123``). The ``bikemap`` entry point of the web package gives both
commands a ``--db URL`` option and plans with the destinations of the database instead, as
``/api/tour`` does: the ids are the ones ``/api/destinations`` gives (``--stops 57,12``), names and
visit times are the staff's, unpublished rows are left out.

The database is ``--db``, else ``BIKEMAP_DATABASE_URL``, else the web app's SQLite file in its
instance folder when that file exists. A database without destinations, or none at all, leaves
the library's behaviour (OSM ids of the network). A database seeded for another area is refused
with one line, as ``bikemap serve`` refuses it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

__all__ = ["register", "stored_destinations"]


def stored_destinations(args: argparse.Namespace, net) -> list[dict[str, Any]] | None:
    """The published destinations of the database for ``net`` (database ids), None without any."""
    from ..storage import check_area
    from ..storage.engine import normalise_url, open_database
    from ..storage.layer import tour_destinations
    from .users import database_url

    if args.db or os.environ.get("BIKEMAP_DATABASE_URL"):
        url = normalise_url(database_url(args.db))
    else:  # the web app's instance file, only when the app has made one
        from flask import Flask

        path = Path(Flask("webapp").instance_path) / "bikemap.sqlite3"
        if not path.is_file():
            return None
        url = f"sqlite:///{path}"
    db = open_database(url)
    try:
        with db.session() as session:
            check_area(session, net, db.url)
            session.rollback()  # a command that reads: the area is recorded by the app, not here
            found = tour_destinations(session, lang=getattr(args, "lang", "en") or "en")
    finally:
        db.engine.dispose()
    return found or None


def register(sub) -> None:
    """Give the library's ``tour`` and ``destinations`` commands the database (``--db``)."""
    for name in ("tour", "destinations"):
        parser = sub.choices[name]
        parser.add_argument(
            "--db",
            metavar="URL",
            help="take the destinations and their ids from this database (default: BIKEMAP_DATABASE_URL, "
            "else the web app's SQLite file when it exists); without one, OSM ids of the network",
        )
        parser.set_defaults(load_destinations=stored_destinations)
