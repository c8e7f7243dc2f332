"""Blueprint ``open311``: public road reports through Open311 GeoReport v2 (``/open311/v2/``).

Visitors post a report (no account) and follow it through the token of their status
link; everyone reads the confirmed and closed ones. Staff review them at
``/admin/reports`` (`webapp.views.reports`). Errors have Open311's shape, a list of
``{code, description}``, with bikemap's ``error_code`` beside (`webapp.errors`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request, send_file, url_for

from routes.errors import InvalidValueError

from ..auth import client_wait_s, current_staff
from ..errors import NotFoundError, TooManyRequestsError, WebError, error_response
from ..http import json_body, network_bounds, query, query_lang
from ..i18n import load_strings
from ..network import get_network
from ..open311 import open311_item, services
from ..photos import MEDIA_TYPE, media_path, save_photo
from ..storage import get_session
from ..storage.models import Report
from ..storage.reports import PUBLIC_STATUSES, SERVICE_CODES, find_by_token, list_reports, public_report, submit_report
from ..storage.validation import clean_report

__all__ = ["OPENAPI_PATHS", "OPENAPI_SCHEMAS", "bp"]

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

#: Query parameters Open311 clients send that mean nothing here (one jurisdiction, no API keys).
_TOLERATED = {"jurisdiction_id", "api_key"}
#: Room for the text fields of a report beside its photo.
_FIELDS_BYTES = 64 * 1024


@bp.before_request
def _limit_body() -> None:
    if request.max_content_length is None:
        request.max_content_length = current_app.config["REPORT_PHOTO_MAX_BYTES"] + _FIELDS_BYTES


def _json(obj: Any, status: int = 200, cache: str = "no-cache"):
    resp = jsonify(obj)
    resp.status_code = status
    resp.headers["Cache-Control"] = cache
    return resp


@bp.get("/services.json")
def api_services():
    lang = query_lang(query({"lang"} | _TOLERATED))
    return _json(services(lang), cache="public, max-age=3600")


def _date(q: dict[str, str], key: str) -> datetime | None:
    text = q.get(key, "").strip()
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValueError(f"{key} must be an ISO 8601 date or date-time, got {text[:40]!r}") from None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _list(q: dict[str, str], key: str) -> list[str]:
    return [v.strip() for v in q.get(key, "").split(",") if v.strip()]


@bp.get("/requests.json")
def api_requests():
    """The public reports (confirmed: Open311 ``open``; closed), newest first."""
    allowed = {"lang", "service_code", "status", "start_date", "end_date", "service_request_id"}
    q = query(allowed | _TOLERATED)
    lang = query_lang(q)
    codes = _list(q, "service_code")
    if any(c not in SERVICE_CODES for c in codes):
        raise InvalidValueError(f"service_code must be among {', '.join(SERVICE_CODES)}")
    wanted = _list(q, "status")
    if any(s not in ("open", "closed") for s in wanted):
        raise InvalidValueError("status must be open or closed (or both, comma-separated)")
    statuses = tuple(s for s in PUBLIC_STATUSES if not wanted or ("open" if s == "confirmed" else "closed") in wanted)
    ids_text = _list(q, "service_request_id")
    if len(ids_text) > 100 or not all(i.isdigit() and len(i) < 10 for i in ids_text):
        raise InvalidValueError("service_request_id must be up to 100 report numbers, comma-separated")
    rows = list_reports(
        get_session(),
        statuses=statuses,
        codes=tuple(codes) or None,
        ids=tuple(int(i) for i in ids_text) or None,
        start=_date(q, "start_date"),
        end=_date(q, "end_date"),
    )
    return _json([open311_item(r, lang) for r in rows])


@bp.get("/requests/<int:report_id>.json")
def api_request(report_id: int):
    lang = query_lang(query({"lang"} | _TOLERATED))
    return _json([open311_item(public_report(get_session(), report_id), lang)])


@bp.post("/requests.json")
def api_report():
    """Store a visitor's report: counted against the client's limit before the body is read."""
    lang = query_lang(query({"lang"} | _TOLERATED))
    wait = client_wait_s("report", "REPORT_LIMIT_CLIENT")
    if wait:
        resp = error_response(
            TooManyRequestsError.code, f"too many reports from your address; try again in {wait} s", 429
        )
        resp.headers["Retry-After"] = str(wait)
        return resp
    photo = None
    if request.is_json:
        data = json_body()
    else:
        data = {k: request.form.get(k) for k in ("service_code", "lat", "long", "description", "email")}
        upload = request.files.get("media")
        photo = upload.read() if upload is not None and (upload.filename or upload.content_length) else None
    net = get_network()
    values = clean_report(
        data,
        codes=SERVICE_CODES,
        bounds=network_bounds(),
        area=net.name,
        max_description=current_app.config["REPORT_DESCRIPTION_MAX"],
    )
    if photo:
        values["media"] = save_photo(photo)
    row, token = submit_report(get_session(), values)
    answer = {
        "service_request_id": str(row.id),
        "token": token,
        "service_notice": load_strings(lang).get("report_notice", _NOTICE),
        "account_id": None,
        "status_url": url_for("open311.status", token=token),
    }
    return _json([answer], 201, cache="no-store")


_NOTICE = "Thank you. Staff review every report; the status link shows what happens to it."


@bp.get("/status/<token>.json")
def status(token: str):
    """The reporter's own report, whatever its status (the token is the secret of the status link)."""
    lang = query_lang(query({"lang"} | _TOLERATED))
    row = find_by_token(get_session(), token)
    item = open311_item(row, lang)
    item["merged_into"] = str(row.merged_into) if row.merged_into else None
    return _json(item, cache="no-store")


@bp.get("/media/<name>")
def media(name: str):
    """A report's photo: of a public report, or to staff."""
    query(set())
    path = media_path(name)
    row = get_session().query(Report).filter(Report.media == name).first()
    public = row is not None and not row.deleted and row.status in PUBLIC_STATUSES
    if not public:
        try:
            staff = current_staff()
        except WebError:
            staff = None
        if row is None or staff is None or not staff.can("editor"):
            raise NotFoundError("no such photo")
    resp = send_file(path, mimetype=MEDIA_TYPE, max_age=0, conditional=True, etag=True)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return resp


# ----------------------------------------------------------------------------- OpenAPI

_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Open311Error"}}}


def _err(description: str, codes: list[str], **more: Any) -> dict[str, Any]:
    return {"description": f"{description} (error_code: {', '.join(codes)})", "content": _ERR, **more}


_COMMON_ERRS = {
    "400": _err("A bad query parameter or body", ["InvalidQuery", "InvalidValue", "InvalidJSON", "InvalidFile"]),
    "500": _err("A bug in bikemap (logged; no detail is sent)", ["InternalError"]),
}
_LANG = {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["en", "id"], "default": "en"}}
_JURISDICTION = {"name": "jurisdiction_id", "in": "query", "schema": {"type": "string"}, "description": "ignored"}
_LIST = {"type": "array", "items": {"$ref": "#/components/schemas/Open311Request"}}
_FIELDS = {
    "service_code": {"type": "string", "enum": list(SERVICE_CODES)},
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "long": {"type": "number", "minimum": -180, "maximum": 180},
    "description": {"type": "string", "maxLength": 1000},
    "email": {"type": "string", "format": "email", "description": "for staff only; never shown"},
}
_FORM = {"type": "object", "required": ["service_code", "lat", "long"], "properties": _FIELDS}

OPENAPI_PATHS: dict[str, Any] = {
    "/open311/v2/services.json": {
        "get": {
            "summary": "Open311: the types of road report",
            "operationId": "open311Services",
            "tags": ["Open311"],
            "parameters": [_LANG, _JURISDICTION],
            "responses": {
                "200": {
                    "description": "The report types",
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Open311Service"}}
                        }
                    },
                },
                **_COMMON_ERRS,
            },
        }
    },
    "/open311/v2/requests.json": {
        "get": {
            "summary": "Open311: public road reports (confirmed: status open; closed), newest first",
            "operationId": "open311Requests",
            "tags": ["Open311"],
            "parameters": [
                _LANG,
                _JURISDICTION,
                {
                    "name": "service_code",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "codes, comma-separated",
                },
                {
                    "name": "status",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["open", "closed", "open,closed"]},
                },
                {"name": "start_date", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {"name": "end_date", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {
                    "name": "service_request_id",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "ids, comma-separated",
                },
            ],
            "responses": {
                "200": {"description": "Public reports", "content": {"application/json": {"schema": _LIST}}},
                **_COMMON_ERRS,
            },
        },
        "post": {
            "summary": "Open311: report a road problem (no account; one photo as the form file 'media')",
            "operationId": "open311CreateRequest",
            "tags": ["Open311"],
            "parameters": [_LANG, _JURISDICTION],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": _FORM},
                    "multipart/form-data": {
                        "schema": {**_FORM, "properties": {**_FIELDS, "media": {"type": "string", "format": "binary"}}}
                    },
                    "application/json": {"schema": _FORM},
                },
            },
            "responses": {
                "201": {
                    "description": "Stored; the token is the secret of the reporter's status link (answered once)",
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Open311Created"}}
                        }
                    },
                },
                **_COMMON_ERRS,
                "413": _err("The photo or the body is over the limit", ["RequestEntityTooLarge"]),
                "422": _err(
                    "A field breaks a rule (fields), or the point is outside the network's area (area)",
                    ["InvalidFields", "OutsideArea", "InvalidText", "InvalidNumber"],
                ),
                "429": _err(
                    "Too many reports from this address",
                    ["TooManyRequests"],
                    headers={"Retry-After": {"required": True, "schema": {"type": "integer"}}},
                ),
            },
        },
    },
    "/open311/v2/requests/{report_id}.json": {
        "get": {
            "summary": "Open311: one public report (a list of one)",
            "operationId": "open311Request",
            "tags": ["Open311"],
            "parameters": [
                {"name": "report_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                _LANG,
                _JURISDICTION,
            ],
            "responses": {
                "200": {"description": "The report", "content": {"application/json": {"schema": _LIST}}},
                "404": _err("No such public report", ["NotFound"]),
                **_COMMON_ERRS,
            },
        }
    },
    "/open311/v2/status/{token}.json": {
        "get": {
            "summary": "The reporter's own report by its status-link token, whatever its status",
            "operationId": "open311Status",
            "tags": ["Open311"],
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}},
                _LANG,
                _JURISDICTION,
            ],
            "responses": {
                "200": {
                    "description": "The report",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Open311Request"}}},
                },
                "404": _err("No report has this token", ["NotFound"]),
                **_COMMON_ERRS,
            },
        }
    },
    "/open311/v2/media/{name}": {
        "get": {
            "summary": "A report's photo (of a public report; staff see every one)",
            "operationId": "open311Media",
            "tags": ["Open311"],
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "security": [{}, {"bearerToken": []}],
            "responses": {
                "200": {
                    "description": "The re-encoded photo",
                    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                },
                "404": _err("No such photo, or not public", ["NotFound"]),
                **_COMMON_ERRS,
            },
        }
    },
}

_REQUEST_ITEM = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime", "lat", "long"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": {"type": "string"},
        "service_code": {"type": "string", "enum": list(SERVICE_CODES)},
        "service_name": {"type": "string"},
        "description": {"type": "string"},
        "agency_responsible": {"type": "string"},
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": "string", "format": "date-time", "nullable": True},
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "media_url": {"type": "string", "nullable": True},
        "detailed_status": {"type": "string", "enum": ["open", "confirmed", "rejected", "merged", "closed"]},
        "kind": {"type": "string", "enum": ["hazard", "closure"], "nullable": True},
        "merged_into": {"type": "string", "nullable": True},
    },
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "Open311Service": {
        "type": "object",
        "required": ["service_code", "service_name", "metadata", "type"],
        "properties": {
            "service_code": {"type": "string"},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
    },
    "Open311Request": _REQUEST_ITEM,
    "Open311Created": {
        "type": "object",
        "required": ["service_request_id", "token", "status_url"],
        "properties": {
            "service_request_id": {"type": "string"},
            "token": {"type": "string"},
            "service_notice": {"type": "string"},
            "account_id": {"type": "string", "nullable": True},
            "status_url": {"type": "string"},
        },
    },
    "Open311Error": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["code", "description", "error_code"],
            "properties": {
                "code": {"type": "integer"},
                "description": {"type": "string"},
                "error_code": {"type": "string"},
                "fields": {"type": "object"},
                "area": {"type": "object"},
            },
        },
    },
}
