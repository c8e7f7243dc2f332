"""Security headers (Content-Security-Policy with a per-request nonce) and cookies behind TLS.

Folium writes inline ``<script>`` and ``<style>`` blocks; every inline script
we send carries ``nonce="{{ csp_nonce() }}"`` so the policy needs no
'unsafe-inline' for scripts. The policy text is the ``CSP`` setting; it is
sent on every response (pages, JSON, errors, static files), with
``X-Content-Type-Options: nosniff``, ``Referrer-Policy`` (``REFERRER_POLICY``)
``X-Frame-Options`` (``FRAME_OPTIONS``; the CSP's frame-ancestors says the same) and a
``Permissions-Policy`` (geolocation for "show my location" only); on https also
``Strict-Transport-Security`` (``HSTS_SECONDS``, default one year; 0 turns it off).

Behind a TLS-terminating proxy set ``PROXY_FIX`` to the number of proxies in
front of the app (``BIKEMAP_PROXY_FIX=1``): werkzeug's ProxyFix then trusts
that many ``X-Forwarded-For``/``-Proto``/``-Host`` values, so ``request.is_secure``
is true for https visitors. The session cookie gets ``Secure`` whenever the
request is https (or always with ``SESSION_COOKIE_SECURE = True``), and is
always ``HttpOnly`` and ``SameSite=Lax``.
"""

from __future__ import annotations

import functools
import re
import secrets
from urllib.parse import urlsplit

import flask
from flask import Flask, g, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.wsgi import LimitedStream

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


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in URLs: ids beyond a 32-bit database integer match no route (404), not a 500."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > 2**31 - 1:
            raise NotFound(f"no such id: {value[:20]}")
        return number


class Request(flask.Request):
    """Flask's request, whose body limit also holds for a body streamed without a length.

    A server that passes a chunked body on as a stream (``wsgi.input_terminated``:
    werkzeug's, gunicorn's) gives no Content-Length; werkzeug then stops reading
    at ``max_content_length`` without saying whether more was sent, so a too
    large file would be cut and read as if complete. Here one more byte is read
    from the stream: if there is one, the body is too large (413).
    (waitress reads a chunked body whole and sets Content-Length itself.)
    """

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False):  # type: ignore[override]
        data = super().get_data(cache, as_text, parse_form_data)  # type: ignore[call-overload]
        limit = self.max_content_length
        stream = self.stream
        if (
            limit is not None
            and self.content_length is None
            and isinstance(stream, LimitedStream)
            and stream.is_exhausted
            and self.environ["wsgi.input"].read(1)
        ):
            raise RequestEntityTooLarge()
        return data


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply for Python is invalid JSON (ValueError),
    not a RecursionError (a 500): ``[[[[...]]]]`` fits easily in a 256 KB body."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session whose cookie is ``Secure`` on every https request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))

    def open_session(self, app: Flask, request):  # type: ignore[no-untyped-def]
        """As Flask's, without building the cookie's signer for a request that has no cookie (the JSON API's)."""
        cookies, name = request.cookies, self.get_cookie_name(app)
        # `in` first: werkzeug's `get` of a missing key makes and catches an exception (a few us)
        if app.secret_key and not (name in cookies and cookies.get(name)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:  # type: ignore[no-untyped-def]
        """As Flask's: nothing to write for a session that stayed empty and untouched."""
        if session or session.modified:
            super().save_session(app, session, response)
        elif session.accessed:  # what Flask's does then (Flask-Login looks into every session)
            response.vary.add("Cookie")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.url_map.converters["int"] = DatabaseIdConverter
    app.request_class = Request
    provider = JSONProvider(app)
    provider.sort_keys = getattr(app.json, "sort_keys", provider.sort_keys)
    provider.ensure_ascii = getattr(app.json, "ensure_ascii", provider.ensure_ascii)
    app.json = provider
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):  # Flask's default is None (no attribute): Lax unless set
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.session_interface = SessionInterface()
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to wrap the WSGI app
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    @app.after_request
    def _headers(resp):
        # what `Headers.setdefault` does, with one look at the headers a response already has: werkzeug's
        # looks three times per header and makes and catches an exception for a missing one (issue #17)
        headers = resp.headers
        present = {key.lower() for key, _ in headers}
        defaults = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", app.config.get("REFERRER_POLICY") or "same-origin"),
            ("X-Frame-Options", app.config.get("FRAME_OPTIONS") or "SAMEORIGIN"),
            ("Permissions-Policy", "camera=(), microphone=(), payment=(), geolocation=(self)"),
        ]
        if request.is_secure and app.config.get("HSTS_SECONDS"):  # https only: browsers ignore it over http
            defaults.append(("Strict-Transport-Security", f"max-age={int(app.config['HSTS_SECONDS'])}"))
        for key, value in defaults:
            if key.lower() not in present:
                headers.add(key, value)
        policy = app.config.get("CSP")
        if policy:
            template = _csp_template(policy, app.config.get("TILES_URL") or "")
            resp.headers["Content-Security-Policy"] = template.replace("\0", csp_nonce())
        return resp


@functools.lru_cache(maxsize=8)
def _csp_template(policy: str, tiles_url: str) -> str:
    """The ``CSP`` setting filled in but for the nonce (a NUL in its place): made once, not per response."""
    return policy.format(nonce="\0", tiles=tiles_origin(tiles_url)).replace("  ", " ")
