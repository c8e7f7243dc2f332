"""``python -m webapp.cli``: the ``bikemap`` command."""

import sys

from . import main

sys.exit(main())
