"""The ``bikemap`` command: the library's commands (`routes.cli`) plus the web app's.

``bikemap serve`` (`webapp.cli.serve`), ``bikemap user`` (`webapp.cli.users`) and
``bikemap db`` (`webapp.cli.db`) are added here, so the library never names the
web package; ``bikemap tour`` and ``bikemap destinations`` get ``--db`` and the
database's destination ids (`webapp.cli.tours`). ``[project.scripts]`` points at `main`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from routes.cli import main as run

from . import db, serve, tours, users

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, extra=[serve.register, users.register, db.register, tours.register])


if __name__ == "__main__":
    sys.exit(main())
