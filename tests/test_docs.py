"""The documentation site builds with ``mkdocs build --strict``, and its API page is the app's document.

Strict mode turns every warning into a failure: a link to a missing page or a missing anchor
(``validation`` in mkdocs.yml), a page left out of the navigation, a docstring cross-reference
that resolves nowhere (mkdocstrings), an OpenAPI document the plugin cannot read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from docs_hooks import api_document  # noqa: E402


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "/api/route" in api and '/api/featured/<span class="route-param">{featured_id}</span>' in api
    assert (site / "openapi.json").is_file()
    assert "load_network" in (site / "reference" / "sources" / "index.html").read_text(encoding="utf-8")
    assert (site / "img" / "map.png").is_file()


def test_api_page_document_is_the_served_one(client):
    """The hook's document (no network loaded) equals what ``/api/openapi.json`` serves."""
    assert api_document() == client.get("/api/openapi.json").get_json()
