"""A time budget for one computation, checked by the engine between its steps.

The searches themselves are compiled (numba) and cannot be interrupted, so the
engine calls `check_budget` between steps: each leg of a route, each row of a
tour's cost matrix. The caller (the web app, per request) opens a budget with
`time_budget`; without one, `check_budget` does nothing, so scripts and the
command line run as long as they need.

Examples
--------
>>> from routes.budget import check_budget, time_budget
>>> with time_budget(60.0):
...     check_budget("a leg")  # well within the minute: nothing happens
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import TooExpensiveError

__all__ = ["check_budget", "time_budget"]

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("bikemap_time_budget", default=None)


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Give the computations inside the block ``seconds`` of wall time in all (None: no limit)."""
    token = _deadline.set(None if seconds is None else (time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_budget(what: str = "the request") -> None:
    """Raise `routes.errors.TooExpensiveError` when the current budget is spent."""
    budget = _deadline.get()
    if budget is not None and time.monotonic() > budget[0]:
        raise TooExpensiveError(
            f"{what} needs more than the {budget[1]:g} s of work one request may use; "
            "ask for less (fewer via points or stops, a shorter tour)"
        )
