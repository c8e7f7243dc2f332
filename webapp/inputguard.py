"""One check at the door for values no table can store: every request's JSON, form and query.

Refused with 422 (``{"error": {"code": "InvalidText" | "InvalidNumber", ...}}``), before any
view sees them:

- text with a lone UTF-16 surrogate (``"\\ud800"`` is legal JSON, but not Unicode: it cannot
  be encoded as UTF-8, so a stored one breaks every page and export that shows it);
- integers outside the 64-bit range of the database's integer columns (a 400-digit id);
- ``NaN`` and ``Infinity`` (Python's JSON reader accepts them; JSON does not).

JSON nested deeper than `MAX_DEPTH` is refused with 400. (NUL characters, which PostgreSQL
text cannot hold, are refused field by field in `webapp.storage.validation`, with the field named.)
Files parsed by a view (imports) pass through `problem` row by row. The check walks a value
without recursion.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import Flask, Request

from routes.errors import InvalidValueError

from .errors import TooDeepError, UnstorableNumberError, UnstorableTextError

__all__ = ["MAX_DEPTH", "UnstorableNumberError", "UnstorableTextError", "check_value", "init_app", "problem"]

#: Deepest JSON nesting accepted in a request body (a GeoJSON polygon needs 4 or 5).
MAX_DEPTH = 64
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_BAD_CHARS = re.compile("[\ud800-\udfff]")


def problem(value: Any, where: str = "body") -> InvalidValueError | None:
    """The error for the first unstorable piece of ``value`` (dicts, lists, text, numbers), else None."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            m = _BAD_CHARS.search(item)
            if m:
                return UnstorableTextError(
                    f"{path} contains a lone surrogate (U+{ord(m.group()):04X}); send valid Unicode text"
                )
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                return UnstorableNumberError(f"{path} is an integer outside the 64-bit range")
        elif isinstance(item, float):
            if not math.isfinite(item):
                return UnstorableNumberError(f"{path} must be a finite number, not {item!r}")
        elif isinstance(item, dict):
            if depth >= MAX_DEPTH:
                return TooDeepError(f"{path} is nested deeper than {MAX_DEPTH} levels")
            for key, sub in item.items():
                key_problem = problem(key, f"a key in {path}") if isinstance(key, str) else None
                if key_problem:
                    return key_problem
                stack.append((sub, f"{path}.{key}" if isinstance(key, str) and len(key) < 40 else path, depth + 1))
        elif isinstance(item, (list, tuple)):
            if depth >= MAX_DEPTH:
                return TooDeepError(f"{path} is nested deeper than {MAX_DEPTH} levels")
            stack.extend((sub, f"{path}[{i}]", depth + 1) for i, sub in enumerate(item))
    return None


def check_value(value: Any, where: str = "body") -> Any:
    """Raise the error of `problem` for ``value``; return ``value`` when it can be stored."""
    err = problem(value, where)
    if err is not None:
        raise err
    return value


class _GuardedRequest(Request):
    """Mixed into the app's request class: the JSON body and form fields are checked when a view reads them.

    Checked on reading (not in a ``before_request`` hook), so a view's own body-size limit,
    set before it reads, still applies.
    """

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise TooDeepError(f"the JSON body is nested deeper than {MAX_DEPTH} levels") from None
        return check_value(data, "body")

    def _load_form_data(self) -> None:
        super()._load_form_data()
        check_value({k: self.form.getlist(k) for k in self.form}, "form")


def _check_query() -> None:
    from flask import request

    # a query holds only text: the walk of `problem` (and its message) only when some text is bad
    for key, values in request.args.lists():
        if _BAD_CHARS.search(key) or any(_BAD_CHARS.search(v) for v in values):
            check_value({k: request.args.getlist(k) for k in request.args}, "query")


def init_app(app: Flask) -> None:
    """Check every request at the door; call after `webapp.security.init_app`, before the blueprints."""
    if not issubclass(app.request_class, _GuardedRequest):  # on top of webapp.security's request class
        app.request_class = type("GuardedRequest", (_GuardedRequest, app.request_class), {})
    # ids in URLs: `webapp.security.DatabaseIdConverter` (beyond a database integer: 404)
    app.before_request(_check_query)
