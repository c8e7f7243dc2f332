"""The ``bikemap`` command: the library's commands (`routes.cli`) plus the web app's.

``bikemap serve`` (`webapp.cli.serve`), ``bikemap user`` (`webapp.cli.users`) and
``bikemap db`` (`webapp.cli.db`) are added here, so the library never names the
web package; ``bikemap tour`` and ``bikemap destinations`` get ``--db`` and the
database's destination ids (`webapp.cli.tours`). ``[project.scripts]`` points at `main`.

NumPy's BLAS (OpenBLAS) is given one thread unless ``OPENBLAS_NUM_THREADS`` says otherwise, set
here because it must be before NumPy is first imported: nothing bikemap does is a matrix product
big enough to share, and the pool cost every start 0.1-0.3 s of CPU (its threads made at
import, then spinning after each small product), and a server's workers CPU each other's
requests could use (docs/operations.md).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from routes.cli import main as run  # noqa: E402 (after the BLAS setting)

from . import db, serve, tours, users  # noqa: E402

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    return run(argv, extra=[serve.register, users.register, db.register, tours.register])


if __name__ == "__main__":
    sys.exit(main())
