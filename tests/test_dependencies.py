"""Every third-party module the project imports is declared in pyproject.toml.

A package installed by hand on one machine once hid a missing dependency (defusedxml): the tests
passed there and failed on a fresh machine. This test reads every module's imports from its syntax
tree, maps each imported top-level name to the distributions that provide it
(`importlib.metadata.packages_distributions`), and checks that one of them is declared where the
module may use it: the library and the web app only in ``dependencies``; the tests also in the
``test`` extra; the scripts also in the ``test`` and ``bench`` extras.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Folders of the checkout and the requirement groups their modules may import from.
ALLOWED = {
    "routes": ("dependencies",),
    "webapp": ("dependencies",),
    "tests": ("dependencies", "test"),
    "scripts": ("dependencies", "test", "bench"),
}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"dependencies": project.get("dependencies", []), **project.get("optional-dependencies", {})}
    return {
        group: {_normalise(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in reqs} for group, reqs in groups.items()
    }


def _local_names() -> set[str]:
    """Top-level names that are the project's own: its packages and the modules beside the tests and scripts."""
    names = {"routes", "webapp", "tests", "scripts", "conftest"}
    for folder in ("tests", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            names.add(path.stem)
        names.update(p.name for p in (ROOT / folder).rglob("*") if p.is_dir())
    return names


def imported_names(path: Path) -> set[str]:
    """Top-level names of the absolute imports in one source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def undeclared_imports() -> list[str]:
    """``"file: name (from dist)"`` for every third-party import not declared for its folder."""
    declared = _declared()
    providers = packages_distributions()
    local = _local_names() | set(sys.stdlib_module_names) | {"__future__"}
    problems = []
    for folder, groups in ALLOWED.items():
        allowed = set().union(*(declared.get(g, set()) for g in groups))
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            for name in sorted(imported_names(path) - local):
                dists = {_normalise(d) for d in providers.get(name, [])}
                if not dists & allowed:
                    where = ", ".join(sorted(dists)) or "no installed distribution"
                    problems.append(f"{path.relative_to(ROOT)}: {name} ({where}; allowed: {', '.join(groups)})")
    return problems


def test_every_third_party_import_is_declared():
    problems = undeclared_imports()
    assert not problems, "undeclared imports:\n" + "\n".join(problems)


def test_the_check_finds_an_undeclared_import(tmp_path, monkeypatch):
    """The check is not vacuous: a module importing a package nobody declared is reported."""
    (tmp_path / "routes").mkdir()
    (tmp_path / "routes" / "x.py").write_text("import yaml\nfrom numpy import array\nimport json\n")
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["numpy>=1"]\n')
    for folder in ("webapp", "tests", "scripts"):
        (tmp_path / folder).mkdir()
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    problems = undeclared_imports()
    if not packages_distributions().get("yaml"):
        pytest.skip("PyYAML is not installed here, so 'yaml' maps to no distribution")
    assert problems == ["routes/x.py: yaml (pyyaml; allowed: dependencies)"]
