"""A cost budget for expensive requests, so one client's flood cannot starve everyone else.

Expensive requests are routes with `MANY_VIAS` or more via points, bike-share trips, GPS tracks to match,
reachability and tours (`is_expensive`).

The settings (``COST_SLOTS``, ``COST_QUEUE``, ``COST_WAIT_S``, ``COST_TIME_S``) are in
`webapp.config`. Each expensive request:

- needs one of ``COST_SLOTS`` slots of the process (default 1: the searches hold Python's
  GIL, so two at once are no faster than one after the other). At most ``COST_QUEUE``
  more wait for a slot, each at most ``COST_WAIT_S`` seconds; any other is answered at
  once ``503 {"error": {"code": "Busy", ...}}`` with ``Retry-After``. So expensive work
  holds at most ``COST_SLOTS + COST_QUEUE`` of the server's threads and the others stay
  free for cheap requests (``bikemap serve`` runs 8).
- runs under a time budget of ``COST_TIME_S`` seconds (`routes.budget`): the engine checks
  it between legs, matrix rows and searches and answers ``422 {"error": {"code":
  "TooExpensive", ...}}`` when it is spent, instead of running on.

Before both, each client address may start at most ``COST_LIMIT_CLIENT`` expensive requests
(default 60 per minute), counted in the login throttle's Flask-Limiter storage
(`webapp.auth.client_wait_s`; Redis when ``REDIS_URL`` is set, so instances share it); more
answer ``429 {"error": {"code": "TooManyRequests", ...}}`` with ``Retry-After``. Cheap requests
(a route with few vias, stations, pages) are never counted or queued here.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app, g, request

from routes.budget import time_budget

from .auth import client_wait_s
from .errors import error_response

__all__ = ["MANY_VIAS", "init_app", "is_expensive"]

#: A route with this many via points or more is expensive (each via is one more search).
MANY_VIAS = 4


def is_expensive() -> bool:
    """Whether the current request is expensive work (see the module docstring)."""
    if request.endpoint in ("tour.api_tour", "routing_extras.api_match", "routing_extras.api_reach"):
        return True  # a tour's matrix, a search per GPS point, a search over all a rider reaches
    if request.endpoint == "route.api_route":
        if (request.args.get("mode") or "bike") != "bike":
            return True
        return request.args.get("via", "").count(";") + 1 >= MANY_VIAS if request.args.get("via") else False
    return False


class _Gate:
    """``slots`` running at once, ``queue`` more waiting at most ``wait`` seconds each."""

    def __init__(self, slots: int, queue: int, wait: float):
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0
        self.queue, self.wait = queue, wait

    def enter(self) -> bool:
        if self._slots.acquire(blocking=False):
            return True
        with self._lock:
            if self._waiting >= self.queue:
                return False
            self._waiting += 1
        try:
            return self._slots.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1

    def leave(self) -> None:
        self._slots.release()


def _before() -> Any:
    if not is_expensive():
        return None
    wait = client_wait_s("expensive")
    if wait:
        resp = error_response(
            "TooManyRequests",
            "too many long computations (routes with many via points, tours, bike-share trips, reach, "
            f"GPS tracks) from your address; try again in {wait} s",
            429,
        )
        resp.headers["Retry-After"] = str(wait)
        return resp
    gate: _Gate = current_app.extensions["bikemap.cost_gate"]
    if not gate.enter():
        resp = error_response(
            "Busy",
            "the server is busy with other long computations (routes with many via points, tours, "
            "bike-share trips); try again in a few seconds",
            503,
        )
        resp.headers["Retry-After"] = "5"
        return resp
    g.cost_gate = gate
    budget = time_budget(float(current_app.config["COST_TIME_S"]))
    budget.__enter__()
    g.cost_budget = budget
    return None


def _after(_exc: BaseException | None = None) -> None:
    budget = g.pop("cost_budget", None)
    if budget is not None:
        budget.__exit__(None, None, None)
    gate = g.pop("cost_gate", None)
    if gate is not None:
        gate.leave()


def init_app(app: Flask) -> None:
    app.extensions["bikemap.cost_gate"] = _Gate(
        int(app.config["COST_SLOTS"]), int(app.config["COST_QUEUE"]), float(app.config["COST_WAIT_S"])
    )
    app.before_request(_before)
    app.teardown_request(_after)
