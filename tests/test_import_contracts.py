"""The import contracts of pyproject.toml ([tool.importlinter]) hold: `lint-imports` finds no broken one.

- ``routes`` (the library) imports no ``webapp``, ``flask``, ``folium`` or ``sqlalchemy``;
- the views of ``webapp.views`` do not import each other;
- ``webapp.storage`` imports no view.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    return exe


def test_import_contracts_are_kept():
    result = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_view_importing_another_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the package where one view imports another is refused."""
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "webapp", copy / "webapp", ignore=shutil.ignore_patterns("static", "templates"))
    shutil.copytree(ROOT / "routes", copy / "routes", ignore=shutil.ignore_patterns("data"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    stations = copy / "webapp" / "views" / "stations.py"
    stations.write_text(stations.read_text() + "\nfrom . import tour  # noqa\n")
    result = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(copy), "PATH": str(Path(sys.executable).parent)},
    )
    assert result.returncode != 0 and "views do not import each other" in result.stdout
