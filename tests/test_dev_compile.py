"""``./dev`` writes the bytecode of its environment once per install, and bikemap's own when changed.

Without ``.pyc`` files every start compiles every module it imports again (uv writes none, and
``PYTHONDONTWRITEBYTECODE=1`` stops Python writing them): docs/operations.md, "Start-up and
restarts". The script runs for real here, on an environment of its own (``BIKEMAP_VENV``) with a
stand-in for uv that installs nothing and a stand-in ``bikemap`` that only says it ran.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or not Path("/usr/bin/tilemaker").exists(),
    reason="./dev needs bash, and tilemaker already installed (else it would install it with apt)",
)


@pytest.fixture
def env(tmp_path):
    """A virtual environment with one package, a stand-in uv on PATH that logs its calls, a stand-in bikemap."""
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(home)
    site = Path(
        subprocess.run(
            [home / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "fakepkg").mkdir()
    (site / "fakepkg" / "__init__.py").write_text("VALUE = 1\n")
    (home / "bin" / "bikemap").write_text("#!/bin/sh\necho bikemap ran\n")
    (home / "bin" / "bikemap").chmod(0o755)
    tools = tmp_path / "tools"
    tools.mkdir()
    log = tmp_path / "uv.log"
    (tools / "uv").write_text(f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" = --version ] && echo "uv 0.0.0"\nexit 0\n')
    (tools / "uv").chmod(0o755)
    environ = {
        **os.environ,
        "BIKEMAP_VENV": str(home),
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    environ.pop("PYTHONOPTIMIZE", None)
    environ.pop("BIKEMAP_INSTALLER", None)
    return home, site, log, environ


def _dev_start(environ) -> str:
    out = subprocess.run(
        [str(ROOT / "dev"), "start"], env=environ, capture_output=True, text=True, timeout=300, check=True
    )
    assert "bikemap ran" in out.stdout
    return out.stderr


def _pyc(source: Path, level: int = 0) -> Path:
    return Path(importlib.util.cache_from_source(str(source), optimization=level or ""))


def _installs(log: Path) -> int:
    return sum(line.startswith("pip install") for line in log.read_text().splitlines()) if log.exists() else 0


def test_dev_compiles_after_an_install_and_not_again(env):
    home, site, log, environ = env
    module = site / "fakepkg" / "__init__.py"
    said = _dev_start(environ)
    assert _installs(log) == 1 and "compiling the installed packages' bytecode" in said
    assert _pyc(module).exists()
    assert _pyc(ROOT / "routes" / "__init__.py").exists()  # bikemap's own modules too
    # nothing installed since: the packages are not compiled again (a .pyc removed by hand stays removed)
    _pyc(module).unlink()
    said = _dev_start(environ)
    assert _installs(log) == 1 and "compiling" not in said and not _pyc(module).exists()


def test_an_environment_installed_before_is_compiled_once_without_installing(env):
    home, site, log, environ = env
    _dev_start(environ)
    for stamp in home.glob(".bikemap-compiled-*"):  # as an environment made before ./dev compiled
        stamp.unlink()
    _pyc(site / "fakepkg" / "__init__.py").unlink()
    said = _dev_start(environ)
    assert _installs(log) == 1 and "compiling" in said
    assert _pyc(site / "fakepkg" / "__init__.py").exists()


def test_the_optimisation_level_of_the_server_is_compiled(env):
    home, site, log, environ = env
    said = _dev_start({**environ, "PYTHONOPTIMIZE": "1"})
    assert "optimisation level 1" in said
    assert _pyc(site / "fakepkg" / "__init__.py", level=1).exists()
    assert not _pyc(site / "fakepkg" / "__init__.py").exists()  # the level the server runs at, only
