"""Every error of the web layer, and the one table that gives each its HTTP status.

Exceptions carry a machine ``code``, a message and, for some, extra detail
(``fields``, ``rows``); never a status. `STATUS` maps codes to statuses for
every blueprint, so a code means the same thing on every endpoint.

The rule for 400 against 422:

- **400**: the request itself cannot be used as sent: an unknown, missing or
  repeated query parameter, a query value of the wrong form or range, a body that
  is not the JSON or file the endpoint reads (``InvalidQuery``, ``InvalidValue``,
  ``InvalidJSON``, ``InvalidFile``, ``TooBig``...).
- **422**: the request was read, but what it asks cannot be done: a body's fields
  break the rules of stored data (``InvalidFields`` with ``fields``, ``InvalidRows``
  with ``rows``), or no answer exists for well-formed input (``NoRoute``,
  ``NoSegment``).

The answer is JSON (``{"error": {"code", "message", ...}}``; under ``/open311/``
Open311's ``[{"code": STATUS, "description", "error_code": CODE, ...}]``) unless the client
prefers HTML (a browser on a page outside ``/api``): then a short HTML page with
the same status. Content negotiation is `wants_html`.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from routes.errors import BikemapError, InvalidValueError

__all__ = [
    "STATUS",
    "AccountValueError",
    "ConflictError",
    "ForbiddenError",
    "InvalidFieldsError",
    "InvalidFileError",
    "InvalidJSONError",
    "InvalidQueryError",
    "InvalidRowsError",
    "LastAdminError",
    "NotFoundError",
    "OutsideAreaError",
    "PreconditionRequiredError",
    "SettingError",
    "StaleVersionError",
    "TooDeepError",
    "TooLargeError",
    "TooManyRowsError",
    "UnauthorizedError",
    "UnstorableNumberError",
    "UnstorableTextError",
    "error_response",
    "init_app",
    "status_of",
    "wants_html",
]

log = logging.getLogger(__name__)


class WebError(BikemapError):
    """A failure of a web request: ``code``, message and optional extra members of the error body."""

    code = "BadRequest"

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.extra = extra


class InvalidQueryError(WebError, ValueError):
    """A request with a missing, repeated or unknown query parameter."""

    code = "InvalidQuery"


class InvalidJSONError(WebError, ValueError):
    """A body that is not the JSON object the endpoint reads."""

    code = "InvalidJSON"


class InvalidFileError(WebError, ValueError):
    """An uploaded file that cannot be read (encoding, syntax)."""

    code = "InvalidFile"


class InvalidFieldsError(WebError, ValueError):
    """Values that cannot be stored; ``fields`` maps each field to its message."""

    code = "InvalidFields"

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields)


class InvalidRowsError(WebError, ValueError):
    """An import with bad rows (``rows``: number and fields of each); nothing was imported."""

    code = "InvalidRows"


class TooManyRowsError(WebError, ValueError):
    code = "TooManyRows"


class UnauthorizedError(WebError, PermissionError):
    """No valid credentials (answered with ``WWW-Authenticate``)."""

    code = "Unauthorized"


class ForbiddenError(WebError, PermissionError):
    code = "Forbidden"


class CSRFFailedError(WebError, PermissionError):
    code = "CSRF"


class NotFoundError(WebError, LookupError):
    """No such destination, closure, featured route, token or user."""

    code = "NotFound"


class ConflictError(WebError, RuntimeError):
    code = "Conflict"


class LastAdminError(ConflictError):
    """The change would leave no active administrator (demote, disable); ``key``: its UI string."""

    code = "LastAdmin"
    key = "admin_last_admin"


class AccountValueError(InvalidValueError):
    """A staff account value that breaks a rule (name, password, role); ``key``: its UI string."""

    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


class PreconditionRequiredError(WebError, ValueError):
    code = "PreconditionRequired"


class StaleVersionError(WebError, ValueError):
    """Someone saved the record since the version the request was based on (``current``: the row now)."""

    code = "PreconditionFailed"

    def __init__(self, message: str, current: Any = None):
        super().__init__(message)
        self.current = current


class TooManyRequestsError(WebError, RuntimeError):
    code = "TooManyRequests"


class TooLargeError(WebError, ValueError):
    """An upload over a limit of its own (a photo's bytes or pixels); the same code as a body over the limit."""

    code = "RequestEntityTooLarge"


class OutsideAreaError(WebError, ValueError):
    """A point outside the network's area (``area``: its name and bbox)."""

    code = "OutsideArea"


class UnstorableTextError(InvalidValueError):
    """Text with a lone surrogate."""

    code = "InvalidText"


class UnstorableNumberError(InvalidValueError):
    """A number no database column holds: beyond 64-bit integers, NaN or infinite."""

    code = "InvalidNumber"


class TooDeepError(InvalidValueError):
    """JSON nested deeper than `MAX_DEPTH`."""

    code = "InvalidJSON"


class SettingError(BikemapError, ValueError):
    """A setting that cannot be used; the message names the setting (the server does not start)."""

    code = "InvalidSetting"


#: HTTP status of every error code (a code not listed: 400). HTTP errors raised by
#: Flask/werkzeug (404, 405, 413...) keep their own status.
STATUS: dict[str, int] = {
    "BadRequest": 400,
    "InvalidQuery": 400,
    "InvalidValue": 400,
    "InvalidJSON": 400,
    "InvalidFile": 400,
    "TooBig": 400,
    "SourceError": 400,
    "UnknownDestination": 400,
    "BudgetTooSmall": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "CSRF": 403,
    "NotFound": 404,
    "Conflict": 409,
    "LastAdmin": 409,
    "PreconditionFailed": 412,
    "TooManyRows": 413,
    "RequestEntityTooLarge": 413,
    "InvalidFields": 422,
    "InvalidRows": 422,
    "NoSegment": 422,
    "NoRoute": 422,
    "OutsideArea": 422,
    "InvalidText": 422,
    "InvalidNumber": 422,
    "TooExpensive": 422,
    "PreconditionRequired": 428,
    "TooManyRequests": 429,
    "FeedError": 503,
    "Busy": 503,
    "InternalError": 500,
}


def status_of(code: str) -> int:
    return STATUS.get(code, 400)


def wants_html() -> bool:
    """Whether the client prefers an HTML page to JSON (a browser outside ``/api``)."""
    if request.path.startswith(("/api/", "/open311/")) or request.path == "/api":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def error_response(code: str, message: str, status: int | None = None, **extra: Any) -> Response:
    """The error answer (JSON, or a page for browsers) of ``code``; status from `STATUS` unless given."""
    status = status or status_of(code)
    if wants_html():
        body = render_template("error.html", status=status, code=code, message=message)
        resp = Response(body, status=status, mimetype="text/html")
    elif request.path.startswith("/open311/"):  # Open311's shape: a list of {code, description}, our code beside
        resp = jsonify([{"code": status, "description": message, "error_code": code, **extra}])
        resp.status_code = status
    else:
        resp = jsonify({"error": {"code": code, "message": message, **extra}})
        resp.status_code = status
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="bikemap staff"'
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def _bikemap_error(exc: BikemapError):
    extra = dict(getattr(exc, "extra", {}))
    # facts beside the message (``details``: how far an off-network point is), for the page
    extra.update({k: v for k, v in (getattr(exc, "details", None) or {}).items() if k not in ("code", "message")})
    point = getattr(exc, "point", None)  # which point is off the network (OffNetworkError), for the page
    if point:
        extra["point"] = point
    resp = error_response(exc.code, str(exc), **extra)
    current = getattr(exc, "current", None)
    if current is not None and not getattr(current, "deleted", False) and hasattr(current, "etag"):
        resp.headers["ETag"] = current.etag
    return resp


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:  # redirects keep their own response (Location)
        return exc.get_response()
    if exc.response is not None:  # a view's own answer (abort(response))
        return exc.response
    code = (exc.name or "HTTPError").replace(" ", "")
    resp = error_response(code, exc.description or exc.name, exc.code or 400)
    if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def _unexpected(exc: Exception):  # a bug: log it, tell the user nothing internal
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unexpected error")
    return error_response("InternalError", "the server could not answer this request", 500)


def init_app(app: Flask) -> None:
    app.register_error_handler(BikemapError, _bikemap_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
