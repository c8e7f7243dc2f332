"""``kill -9`` of the production server during a staff import, 20 times (scripts/crash_import.py).

Each kill must leave the SQLite file passing ``integrity_check`` and
``foreign_key_check``, holding every row of the import (and its history) or none.
The servers are forked from one process that imported the app (``zygote=True``),
so 20 iterations take about 30 s; ``python scripts/crash_import.py`` runs
``bikemap serve`` itself each time.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "crash_import.py"


def _script():
    spec = importlib.util.spec_from_file_location("crash_import", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_import"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs POSIX signals (kill -9)")
def test_kill_during_import_leaves_all_or_nothing(tmp_path, demo_net):
    lines: list[str] = []
    result = _script().run(iterations=20, rows=600, seed=7, folder=tmp_path, echo=lines.append, zygote=True)
    report = "\n".join(lines)
    assert result["reference_rows"] == 600, report  # the import before the crashes is still whole
    outcomes = result["outcomes"]
    assert len(outcomes) == 20
    for o in outcomes:
        assert o.integrity_ok and o.foreign_keys_ok, report
        assert o.destinations in (0, 600) and o.history == o.destinations, report
        if o.status == 200:
            assert o.destinations == 600, report
    assert result["passed"] == 20, report
