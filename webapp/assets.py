"""Folium's CDN scripts and stylesheets, served from our own static files.

Folium (and its plugins) put ``<script src="https://cdn...">`` and
``<link href="https://cdn...">`` tags in the page header. `localize_header`
replaces every one with the pinned copy under ``webapp/static/vendor`` (see
its README) so the map works without internet, and drops the two we do not
use (Bootstrap 3 glyphicons, and Folium's marker-rotation CSS). A CDN URL this
table does not know is also dropped, with a warning: the page never loads
anything from another origin.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

__all__ = ["VENDOR", "localize_header"]

log = logging.getLogger(__name__)

#: What each CDN file (matched by the end of its URL) becomes: a path under static/,
#: or None to drop it.
VENDOR: dict[str, str | None] = {
    "/leaflet.js": "vendor/leaflet/leaflet.js",
    "/leaflet.css": "vendor/leaflet/leaflet.css",
    "/jquery-3.7.1.min.js": "vendor/jquery/jquery.min.js",
    "/bootstrap.bundle.min.js": "vendor/bootstrap/bootstrap.bundle.min.js",
    "/bootstrap.min.css": "vendor/bootstrap/bootstrap.min.css",
    "/bootstrap-glyphicons.css": None,
    "/all.min.css": "vendor/fontawesome/css/all.min.css",
    "/leaflet.awesome-markers.js": "vendor/awesome-markers/leaflet.awesome-markers.min.js",
    "/leaflet.awesome-markers.css": "vendor/awesome-markers/leaflet.awesome-markers.css",
    "/leaflet.awesome.rotate.min.css": None,
    "/L.Control.Locate.min.js": "vendor/locatecontrol/L.Control.Locate.min.js",
    "/L.Control.Locate.min.css": "vendor/locatecontrol/L.Control.Locate.min.css",
}

_TAG = re.compile(
    r'<script src="(?P<js>https?://[^"]+)"></script>|<link rel="stylesheet" href="(?P<css>https?://[^"]+)"\s*/?>'
)
_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>', re.S)


def _local(url: str) -> str | None:
    for tail, path in VENDOR.items():
        if url.endswith(tail):
            return path
    log.warning("dropping %s: no local copy (add it to webapp.assets.VENDOR)", url)
    return None


def localize_header(header: str, static_url: Callable[[str], str]) -> str:
    """Folium header HTML with every CDN link pointing at our static files."""

    def swap(m: re.Match) -> str:
        url = m.group("js") or m.group("css")
        path = _local(url)
        if path is None:
            return ""
        if m.group("js"):
            return f'<script src="{static_url(path)}"></script>'
        return f'<link rel="stylesheet" href="{static_url(path)}"/>'

    return _VIEWPORT.sub("", _TAG.sub(swap, header))
