"""Road closures and hazards: stored versioned, and turned into routing costs.

Routing (``/api/route``, ``/api/tour``, bike share) reads `closure_edge_cost_for`;
staff add and remove closures through `add_closure` and `end_closure`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from . import get_db
from .models import Closure, ClosureHistory, utcnow
from .versioned import Versioned

__all__ = [
    "CLOSURES",
    "active_closures",
    "add_closure",
    "all_closures",
    "closure_edge_cost_for",
    "on_street",
    "public_closures",
    "end_closure",
]

#: How closures are versioned ("removed" is their deleted flag).
CLOSURES = Versioned(
    Closure,
    ClosureHistory,
    key="closure_id",
    noun="closure",
    editable=("kind", "reason", "geometry", "ends_at"),
    deleted="removed",
)


def _active(now):
    """The WHERE clause of the closures that count at ``now`` (not removed, not yet ended)."""
    return (Closure.removed.is_(False), (Closure.ends_at.is_(None)) | (Closure.ends_at > now))


def active_closures(session: Session) -> list[Closure]:
    return list(session.scalars(select(Closure).where(*_active(utcnow())).order_by(Closure.id)))


def all_closures(session: Session, *, newest_first: bool = False, removed: bool = True) -> list[Closure]:
    stmt = select(Closure).order_by(Closure.id.desc() if newest_first else Closure.id)
    if not removed:
        stmt = stmt.where(Closure.removed.is_(False))
    return list(session.scalars(stmt))


def public_closures(session: Session) -> dict[str, Any]:
    """Active closures and hazards as a FeatureCollection (no staff names)."""
    feats = []
    for c in active_closures(session):
        f = c.to_feature()
        f["properties"].pop("created_by", None)
        feats.append(f)
    return {"type": "FeatureCollection", "features": feats}


def add_closure(session: Session, values: dict[str, Any], *, user: str) -> Closure:
    """Store checked closure values (`webapp.storage.validation.clean_closure`) as version 1."""
    row = Closure(**values, created_by=user, created_at=utcnow())
    return CLOSURES.add(session, row, user=user)


def end_closure(session: Session, closure_id: int, *, user: str, expected: int | None = None) -> Closure:
    """End a closure now (kept with its history). ``expected``: the version the caller saw, if it says."""
    from .reports import close_reports_of_closure  # reports build on closures; ending one closes its reports

    row = CLOSURES.get(session, closure_id)
    row = CLOSURES.update(
        session, row, row.version if expected is None else expected, {"removed": True}, user=user, action="delete"
    )
    close_reports_of_closure(session, closure_id, user=user)
    return row


def on_street(net, geometry: dict[str, Any]) -> bool:
    """Whether a closure's geometry lies on a street of ``net`` (something routable within 15 m)."""
    from routes.closures import segments_of_geometry

    return bool(segments_of_geometry(net, geometry))


_cost_lock = threading.Lock()
#: Ids, versions and ends of the active closures, the statement made once (``now`` bound per request).
_ACTIVE_KEYS = (
    select(Closure.id, Closure.version, Closure.ends_at).where(*_active(bindparam("now"))).order_by(Closure.id)
)


def _active_keys(session: Callable[[], Session]) -> tuple[tuple[int, int], ...]:
    """Ids and versions of the active closures: read from the database only when it may have changed.

    Remembered per serving thread with the database's change token (`webapp.storage.changes`:
    SQLite's ``data_version``, which any commit of any instance on the file changes) and
    until the first of those closures ends; without a token (PostgreSQL) every call asks.
    """
    db = get_db()
    token, now = db.changes.token(), utcnow()
    memo = db.changes.memo() if token is not None else None
    seen = memo.get("closures") if memo is not None else None
    if seen is not None and seen[0] == token and (seen[1] is None or now < seen[1]):
        return seen[2]
    rows = session().execute(_ACTIVE_KEYS, {"now": now}).all()
    keys = tuple((int(i), int(v)) for i, v, _ in rows)
    if memo is not None:
        ends = [e for _, _, e in rows if e is not None]
        memo["closures"] = (token, min(ends) if ends else None, keys)
    return keys


def closure_edge_cost_for(session: Session | Callable[[], Session], net, profile: str):
    """The ``edge_cost`` array for routing on ``net`` with ``profile`` under the active closures.

    None when no closure or hazard is active. Cached per set of active closures
    (their ids and versions), so a new, removed or expired closure counts on the
    next request; while the database is unchanged (`_active_keys`) no query is made.
    ``session``: a session, or a function that opens one when needed (`webapp.storage.get_session`).
    """
    from routes.closures import closure_edge_cost

    opener = session if callable(session) else lambda: session
    keys = _active_keys(opener)
    if not keys:
        return None
    key = (id(net), profile, keys)
    cache: OrderedDict = current_app.extensions.setdefault("bikemap.closure_costs", OrderedDict())
    with _cost_lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    rows = opener().scalars(select(Closure).where(Closure.id.in_([k[0] for k in keys])).order_by(Closure.id))
    closures = [{"kind": r.kind, "geometry": r.geometry} for r in rows]
    cost = closure_edge_cost(net.router(profile), closures)
    with _cost_lock:
        cache[key] = cost
        while len(cache) > 16:
            cache.popitem(last=False)
    return cost
