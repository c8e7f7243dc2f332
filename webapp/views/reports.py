"""Blueprint ``reports``: the staff queue of road reports (``/admin/reports``) and its JSON API (``/api/reports``).

Visitors send reports through Open311 (`webapp.views.open311`). Here staff (editors)
confirm one as a hazard or closure on the nearest street (routing obeys it from the
next request), merge duplicates, reject with a note, or close one. The page works
without JavaScript; ``static/admin.js`` draws the reports on a small map. Every action
goes through `webapp.storage.reports` (history with who and when, version guard), the
same for the page and the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for

from routes.errors import InvalidValueError

from ..auth import require
from ..errors import ConflictError, InvalidFieldsError, NotFoundError, StaleVersionError
from ..http import if_match_version, json_body, query
from ..i18n import get_lang
from ..network import get_network
from ..open311 import service_name, staff_item
from ..openapi import LOCK_ERRORS, path_id, staff_errors
from ..staff_pages import form_int, localise, map_config, page, require_page, t, template_globals
from ..storage import get_session
from ..storage.models import REPORT_STATUSES, Report
from ..storage.reports import (
    REPORTS,
    SERVICE_CODES,
    close_report,
    confirm_report,
    list_reports,
    merge_report,
    reject_report,
)

__all__ = ["OPENAPI_PATHS", "OPENAPI_SCHEMAS", "bp"]

bp = Blueprint("reports", __name__)
bp.context_processor(template_globals)

#: Rows the queue page shows at once (newest first); the rest are counted.
PAGE_ROWS = 200


@bp.before_request
def _limit_body() -> None:
    if request.max_content_length is None:
        key = "STAFF_MAX_BYTES" if request.path.startswith("/api/") else "ADMIN_MAX_BYTES"
        request.max_content_length = current_app.config[key]


def _reason(row: Report, lang: str) -> str:
    text = t("admin_report_reason", type=service_name(row.service_code, lang), id=row.id)
    if row.description:
        text += ": " + row.description[:300]
    return text


def _act(action: str, report_id: int, data: dict[str, Any], *, user: str, expected: int | None, lang: str) -> Report:
    """Run one staff action on a report (the page's and the API's)."""
    session = get_session()
    if action == "confirm":
        row = REPORTS.get(session, report_id)
        return confirm_report(
            session,
            get_network(),
            report_id,
            kind=data.get("kind"),  # type: ignore[arg-type]
            reason=_reason(row, lang),
            note=data.get("note"),
            user=user,
            expected=expected,
        )
    if action == "merge":
        return merge_report(session, report_id, data.get("into"), note=data.get("note"), user=user, expected=expected)
    if action == "reject":
        return reject_report(session, report_id, note=data.get("note"), user=user, expected=expected)
    return close_report(session, report_id, note=data.get("note"), user=user, expected=expected)


_ACTIONS = ("confirm", "merge", "reject", "close")


# ----------------------------------------------------------------------------- the page


def _filters() -> tuple[str, str]:
    code = request.args.get("type", "")
    status = request.args.get("status", "")
    return (code if code in SERVICE_CODES else ""), (status if status in REPORT_STATUSES else "")


def _map_data(rows: list[Report]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r.id,
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": {
                    "name": f"{r.id} · {service_name(r.service_code, get_lang())}",
                    "status": r.status,
                    "label": t(f"admin_report_status_{r.status}"),
                    "url": f"#report-{r.id}",
                },
            }
            for r in rows
        ],
    }


def _queue_page(status: int = 200, message: str | None = None, bad: bool = False):
    code, state = _filters()
    rows = list_reports(
        get_session(), statuses=(state,) if state else None, codes=(code,) if code else None, limit=PAGE_ROWS + 1
    )
    more = len(rows) > PAGE_ROWS
    rows = rows[:PAGE_ROWS]
    return page(
        "admin/reports.html",
        status,
        rows=rows,
        more=more,
        codes=SERVICE_CODES,
        statuses=REPORT_STATUSES,
        type=code,
        state=state,
        message=message or (t("admin_report_saved") if request.args.get("saved") else None),
        bad=bad,
        service_name=service_name,
        map_data=_map_data(rows),
        map_config=map_config("report"),
    )


@bp.get("/admin/reports")
def queue():
    require_page("editor")
    return _queue_page()


@bp.post("/admin/reports/<int:report_id>/<action>")
def act(report_id: int, action: str):
    user = require_page("editor")
    if action not in _ACTIONS:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    data: dict[str, Any] = {k: request.form.get(k) for k in ("kind", "note")}
    data["into"] = form_int(request.form.get("into"))
    try:
        _act(action, report_id, data, user=user.name, expected=form_int(request.form.get("version")), lang=get_lang())
    except NotFoundError:
        return page("admin/message.html", 404, title=t("admin_not_found"), message=t("admin_not_found"))
    except (ConflictError, StaleVersionError):
        return _queue_page(409, t("admin_report_conflict"), bad=True)
    except InvalidFieldsError as exc:
        return _queue_page(422, "; ".join(localise(exc.fields).values()), bad=True)
    code, state = _filters()
    back: dict[str, Any] = {k: v for k, v in (("type", code), ("status", state)) if v}
    return redirect(url_for("reports.queue", saved=1, **back) + f"#report-{report_id}")


# ----------------------------------------------------------------------------- the staff API


def _record(row: Report, status: int = 200) -> Response:
    resp = jsonify(staff_item(row))
    resp.status_code = status
    resp.headers["ETag"] = row.etag
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/reports")
def api_reports():
    q = query({"status", "service_code"})
    require("editor")
    state, code = q.get("status", ""), q.get("service_code", "")
    if state and state not in REPORT_STATUSES:
        raise InvalidValueError(f"status must be one of {', '.join(REPORT_STATUSES)}")
    if code and code not in SERVICE_CODES:
        raise InvalidValueError(f"service_code must be one of {', '.join(SERVICE_CODES)}")
    rows = list_reports(get_session(), statuses=(state,) if state else None, codes=(code,) if code else None)
    resp = jsonify({"reports": [staff_item(r) for r in rows]})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/reports/<int:report_id>")
def api_report(report_id: int):
    query(set())
    require("editor")
    return _record(REPORTS.get(get_session(), report_id))


@bp.get("/api/reports/<int:report_id>/history")
def api_report_history(report_id: int):
    query(set())
    require("editor")
    session = get_session()
    REPORTS.get(session, report_id)
    changes = REPORTS.changes(REPORTS.history(session, report_id))
    resp = jsonify({"report_id": report_id, "changes": changes})
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _api_action(action: str, report_id: int) -> Response:
    query(set())
    user = require("editor")
    data = json_body()
    expected = if_match_version(report_id, "report") if request.headers.get("If-Match") else None
    return _record(_act(action, report_id, data, user=user.name, expected=expected, lang="en"))


@bp.post("/api/reports/<int:report_id>/confirm")
def api_confirm(report_id: int):
    return _api_action("confirm", report_id)


@bp.post("/api/reports/<int:report_id>/merge")
def api_merge(report_id: int):
    return _api_action("merge", report_id)


@bp.post("/api/reports/<int:report_id>/reject")
def api_reject(report_id: int):
    return _api_action("reject", report_id)


@bp.post("/api/reports/<int:report_id>/close")
def api_close(report_id: int):
    return _api_action("close", report_id)


# ----------------------------------------------------------------------------- OpenAPI

_ITEM = {"application/json": {"schema": {"$ref": "#/components/schemas/StaffReport"}}}
_ERRS = {**staff_errors("No such report"), **LOCK_ERRORS}
_IF_MATCH_OPTIONAL = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "the ETag of the version you saw (optional)",
}
_CONFLICT = {"409": {"description": "The report's status does not allow this action (Conflict)"}}
_INVALID = {"422": {"description": "A value breaks a rule (InvalidFields, with fields)"}}


def _action(summary: str, op_id: str, body: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "operationId": op_id,
            "parameters": [*path_id("report_id"), _IF_MATCH_OPTIONAL],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": body, **({"required": required} if required else {})}
                    }
                },
            },
            "responses": {
                "200": {"description": "The report now", **{"content": _ITEM}},
                **_ERRS,
                **_CONFLICT,
                **_INVALID,
            },
        }
    }


_NOTE = {"note": {"type": "string", "maxLength": 1000}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/reports": {
        "get": {
            "summary": "Every road report, newest first, with the reporter's email (editor)",
            "operationId": "staffReports",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(REPORT_STATUSES)}},
                {"name": "service_code", "in": "query", "schema": {"type": "string", "enum": list(SERVICE_CODES)}},
            ],
            "responses": {
                "200": {
                    "description": "The reports",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["reports"],
                                "properties": {
                                    "reports": {"type": "array", "items": {"$ref": "#/components/schemas/StaffReport"}}
                                },
                            }
                        }
                    },
                },
                **staff_errors("No such path"),
            },
        }
    },
    "/api/reports/{report_id}": {
        "get": {
            "summary": "One road report (editor)",
            "operationId": "staffReport",
            "parameters": path_id("report_id"),
            "responses": {"200": {"description": "The report", "content": _ITEM}, **staff_errors("No such report")},
        }
    },
    "/api/reports/{report_id}/history": {
        "get": {
            "summary": "Every change of a report: who, when, before and after (editor)",
            "operationId": "reportHistory",
            "parameters": path_id("report_id"),
            "responses": {"200": {"description": "The changes"}, **staff_errors("No such report")},
        }
    },
    "/api/reports/{report_id}/confirm": _action(
        "Confirm a report as a hazard or closure on the nearest street; routing obeys it from the next request",
        "confirmReport",
        {"kind": {"type": "string", "enum": ["hazard", "closure"]}, **_NOTE},
        ["kind"],
    ),
    "/api/reports/{report_id}/merge": _action(
        "Merge a report into another (a duplicate)", "mergeReport", {"into": {"type": "integer"}, **_NOTE}, ["into"]
    ),
    "/api/reports/{report_id}/reject": _action("Reject a report with a note", "rejectReport", _NOTE, ["note"]),
    "/api/reports/{report_id}/close": _action(
        "Close a report (the problem is over); its closure ends too", "closeReport", _NOTE, []
    ),
}

OPENAPI_SCHEMAS: dict[str, Any] = {
    "StaffReport": {
        "allOf": [
            {"$ref": "#/components/schemas/Open311Request"},
            {
                "type": "object",
                "required": ["id", "version"],
                "properties": {
                    "id": {"type": "integer"},
                    "email": {"type": "string", "nullable": True},
                    "closure_id": {"type": "integer", "nullable": True},
                    "version": {"type": "integer"},
                    "updated_by": {"type": "string"},
                },
            },
        ]
    }
}
