"""Content-Security-Policy with a per-request nonce.

Folium writes inline ``<script>`` and ``<style>`` blocks; every inline script
we send carries ``nonce="{{ csp_nonce() }}"`` so the policy needs no
'unsafe-inline' for scripts. The policy text is the ``CSP`` setting.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, g

__all__ = ["csp_nonce", "init_app", "tiles_origin"]


def csp_nonce() -> str:
    """The nonce of the current request (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def tiles_origin(url: str) -> str:
    """CSP source of a tile URL template: ``https://{s}.tile.x.org/..`` -> ``https://*.tile.x.org``."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = re.sub(r"\{[a-z]+\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}" if parts.scheme and host else ""


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        policy = app.config.get("CSP")
        if policy and resp.mimetype == "text/html":
            tiles = tiles_origin(app.config.get("TILES_URL") or "")
            resp.headers["Content-Security-Policy"] = policy.format(
                nonce=csp_nonce(), tiles=tiles
            ).replace("  ", " ")
        return resp
