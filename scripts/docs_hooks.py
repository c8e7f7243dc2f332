"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The API reference page renders the OpenAPI document that the app serves at
``/api/openapi.json``. It is generated here at every build, from the code, so the page
cannot drift from the API: each blueprint of `webapp.blueprint_modules()` documents its own paths
(``OPENAPI_PATHS``), and `webapp.openapi.build` makes the document from them exactly as
the factory does for the ``/api/openapi.json`` view (``tests/test_docs.py`` checks both are the
same document). The network is not loaded: the document does not depend on it, and a
cold build of the demo network would add about 15 s to every docs build.

The document is written to ``.cache/docs/openapi.json`` for the OpenAPI plugin
(``[OAD(...)]`` in docs/api.md) and published in the site as ``openapi.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Where the generated document is written for the ``[OAD(...)]`` tag of docs/api.md.
OPENAPI_FILE = ROOT / ".cache" / "docs" / "openapi.json"


def api_document() -> dict[str, Any]:
    """The OpenAPI document of every blueprint the app registers, as ``/api/openapi.json`` serves it.

    Built as the factory builds it (`webapp.openapi.build` over `webapp.blueprint_modules()`), with no network.
    """
    from flask import Flask

    import webapp
    from webapp.openapi import build

    app = Flask("bikemap-docs")
    for view in webapp.blueprint_modules():
        app.register_blueprint(view.bp)
    return build(app)


def _text() -> str:
    return json.dumps(api_document(), indent=2, ensure_ascii=False) + "\n"


def on_pre_build(config: Any, **kwargs: Any) -> None:
    """Write the document before any page is rendered."""
    OPENAPI_FILE.parent.mkdir(parents=True, exist_ok=True)
    text = _text()
    if not OPENAPI_FILE.exists() or OPENAPI_FILE.read_text(encoding="utf-8") != text:
        OPENAPI_FILE.write_text(text, encoding="utf-8")


def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    """Publish the document beside the pages, so docs/api.md can link to it."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "openapi.json", content=OPENAPI_FILE.read_text(encoding="utf-8")))
    return files
