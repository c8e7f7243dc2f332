"""One error handler for the whole app: every failure is JSON, never a traceback.

A `routes.errors.BikemapError` keeps its machine ``code``; HTTP errors (404,
405...) use their name. The body is always::

    {"error": {"code": "NoRoute", "message": "no route from ... to ..."}}
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from routes.errors import BikemapError

__all__ = ["InvalidQueryError", "STATUS", "error_response", "init_app"]

log = logging.getLogger(__name__)


class InvalidQueryError(BikemapError, ValueError):
    """A request with a missing, repeated or unknown query parameter."""

    code = "InvalidQuery"


#: HTTP status of each error code (anything else a BikemapError carries: 400).
STATUS: dict[str, int] = {
    "InvalidQuery": 400,
    "InvalidValue": 400,
    "TooBig": 400,
    "SourceError": 400,
    "NoSegment": 422,
    "NoRoute": 422,
    "InvalidText": 422,
    "InvalidNumber": 422,
    "TooExpensive": 422,
}


def error_response(code: str, message: str, status: int, **extra: str):
    resp = jsonify({"error": {"code": code, "message": message, **extra}})
    resp.status_code = status
    return resp


def _bikemap_error(exc: BikemapError):
    # which point is off the network (OffNetworkError.point), and facts beside the message (``details``:
    # how far it is), for the page
    extra = {k: v for k, v in (exc.details or {}).items() if k not in ("code", "message")}
    point = getattr(exc, "point", None)
    if point:
        extra["point"] = point
    return error_response(exc.code, str(exc), STATUS.get(exc.code, 400), **extra)


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:  # redirects keep their own response (Location)
        return exc.get_response()
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
