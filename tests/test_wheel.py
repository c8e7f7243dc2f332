"""A real wheel works: built from the checkout, installed into a throwaway virtual environment, run elsewhere.

The project's data (profiles, categories, instructions, translations) and the web app's templates,
static files and migrations must travel inside the wheel and be found through the package, not
through a path next to the source tree. The throwaway environment gets bikemap from the wheel and
nothing else of the checkout; its third-party packages are those of the test environment (a
``.pth`` line), so the test needs no download.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("bikemap-*.whl")
    return path


def test_wheel_carries_data_templates_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "routes/data/profiles.toml",
        "routes/data/categories.toml",
        "routes/data/locale/en/LC_MESSAGES/messages.mo",
        "routes/data/locale/id/LC_MESSAGES/messages.mo",
        "webapp/templates/map.html",
        "webapp/storage/migrations/env.py",
        "webapp/storage/migrations/versions/0001_destination_layer.py",
    ):
        assert needed in names, f"{needed} is missing from {wheel.name}"
    assert not any(n.startswith(("tests/", "scripts/")) for n in names)


def test_installed_wheel_plans_a_route_from_another_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the test environment's third-party packages, but not its editable bikemap (.pth files there are not read)
    Path(site, "test-env-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BIKEMAP_DATA_DIR")}
    where = subprocess.run(
        [str(python), "-c", "import routes, routes.settings as s; print(routes.__file__); print(s.data_folder)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    assert all(p.startswith(site) for p in where), where
    route = subprocess.run(
        [str(env_dir / "bin" / "bikemap"), "route", "--source", "demo", "--lang", "id"]
        + ["--from", "60.1699,24.9384", "--to", "60.1618,24.9510"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert route.returncode == 0, route.stderr[-2000:]
    assert "km" in route.stdout and "Tiba di tujuan" in route.stdout, route.stdout[-2000:]
    # the web app's migrations travel too: an installed bikemap creates its database
    db = elsewhere / "bikemap.sqlite3"
    made = subprocess.run(
        [str(python), "-c", f"from webapp.storage.engine import open_database; open_database('sqlite:///{db}')"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    tables = sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert {"destinations", "alembic_version"} <= {name for (name,) in tables}
