"""gzip for text responses (page, scripts, styles, JSON), when the browser accepts it.

Waitress sends bodies as they are, and a phone on a slow mobile connection feels
every kilobyte: the map page and its scripts shrink to about a third. Static
files are compressed once and kept (keyed by path and ETag). A body a view
builds once and serves many times (the map page, its Folium script) is made a
`Packed` once (`packed`: the bytes, their gzip and an ETag) and answered by
`cached_response`, never compressed again. Other dynamic responses (routes
differ) are compressed each time at a fast level. Set ``COMPRESS = False`` to
turn it off (e.g. behind a proxy that compresses).
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass

from flask import Flask, Response, current_app, request

__all__ = ["COMPRESSIBLE", "Packed", "cached_response", "init_app", "packed"]

#: Mimetypes worth compressing.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "application/gpx+xml",
        "application/xml",
        "image/svg+xml",
    }
)
MIN_SIZE = 1024

_static_cache: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def _accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS", True)

    @app.after_request
    def _gzip(resp):
        if (
            not app.config.get("COMPRESS")
            or resp.status_code != 200
            or resp.mimetype not in COMPRESSIBLE
            or any(key.lower() == "content-encoding" for key, _ in resp.headers)  # `in` raises inside when absent
            or not _accepts_gzip()
        ):
            return resp
        resp.headers.add("Vary", "Accept-Encoding")
        static = request.endpoint == "static"
        key = (request.path, resp.headers.get("ETag", "")) if static else None
        body = _static_cache.get(key) if key else None
        if body is None:
            resp.direct_passthrough = False  # static files: read the file into the response
            data = resp.get_data()
            if len(data) < MIN_SIZE:
                return resp
            body = gzip.compress(data, compresslevel=6 if static else 4)
            if key:
                with _lock:
                    _static_cache[key] = body
        resp.set_data(body)
        resp.headers["Content-Encoding"] = "gzip"
        if resp.headers.get("ETag"):  # another representation of the same file: a weak validator
            resp.set_etag(resp.get_etag()[0], weak=True)
        return resp


@dataclass(frozen=True)
class Packed:
    """A response body built once: its bytes, their gzip (compressed once) and its ETag."""

    body: bytes
    gzipped: bytes
    mimetype: str
    etag: str  # of the plain bytes; the gzip'd representation is "<etag>-gz"


def packed(body: bytes, mimetype: str) -> Packed:
    """``body`` compressed once (level 9: it is served many times), with a content ETag."""
    etag = hashlib.sha256(body).hexdigest()[:32]
    return Packed(body=body, gzipped=gzip.compress(body, compresslevel=9), mimetype=mimetype, etag=etag)


def cached_response(p: Packed, *, cache_control: str) -> Response:
    """``p`` as a response: 304 when the browser has it (``If-None-Match``), gzip'd when it accepts gzip."""
    gz = bool(current_app.config.get("COMPRESS")) and _accepts_gzip()
    etag = f"{p.etag}-gz" if gz else p.etag
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding, Accept-Language"}
    if request.if_none_match.contains(etag):
        resp = Response(status=304, headers=headers)
    else:
        resp = Response(p.gzipped if gz else p.body, mimetype=p.mimetype, headers=headers)
        if gz:
            resp.headers["Content-Encoding"] = "gzip"
    resp.set_etag(etag)
    return resp
