"""The serving process's C heap: fewer malloc arenas, and freed memory handed back (issue #19).

Two things grow a ``bikemap serve`` process that no Python object accounts for, both glibc's
allocator keeping memory the program has already freed:

- **one arena per thread.** glibc gives each new thread that allocates its own heap (up to 8
  per core), and memory freed in an arena stays with it. Waitress answers on 8 threads, and a
  route allocates and frees a few MB of C memory (RoutingKit's query labels, GEOS, NumPy), so
  after some routes every thread holds its own high-water mark: about 20 MB more after 40
  routes on ``scale_200k`` than with 2 arenas (``MALLOC_ARENA_MAX=2``, same run).
- **freed pages in the middle of the heap.** A one-off piece of C work (GEOS's concave hull of
  the extract's outline for the map page, RoutingKit building the hierarchy) leaves free
  chunks below live ones; glibc returns only the top of the heap by itself. ``malloc_trim``
  returns every free page: 25 MB after the map page is built on ``scale_200k``. Requests leave
  such chunks too (about 10 MB after 40 routes), so `init_app` returns them after a response
  has been sent, at most once a second (a trim takes 1-2 ms): what jemalloc's and tcmalloc's
  background decay do, which glibc's allocator does not.

All are no-ops where the C library is not glibc (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = ["init_app", "limit_arenas", "release_freed"]

#: ``mallopt`` parameter number of ``M_ARENA_MAX`` (glibc's malloc.h).
_M_ARENA_MAX = -8
#: Arenas kept by `limit_arenas`: the main one and one for all other threads.
ARENAS = 2
#: Seconds at least between two `release_freed` after responses (`init_app`).
RELEASE_EVERY_S = 1.0

_lock = threading.Lock()
_last = [0.0]


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018 (glibc only: AttributeError elsewhere)
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except (OSError, AttributeError, TypeError):
        return None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let the threads share ``arenas`` malloc arenas (before the server's threads start). True if set."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, arenas))


def release_freed() -> bool:
    """Return the C heap's free pages to the system (``malloc_trim(0)``). True if any were returned."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))


def init_app(app: Flask) -> None:
    """Return the C heap's free pages after responses, at most once every `RELEASE_EVERY_S` seconds.

    It runs when the server closes the response (``call_on_close``), so after the body is sent:
    no request waits for it.
    """
    if _glibc() is None:
        return

    @app.after_request
    def _release_later(resp: Response) -> Response:
        resp.call_on_close(_release_now_and_then)
        return resp


def _release_now_and_then() -> None:
    now = time.monotonic()
    if now - _last[0] < RELEASE_EVERY_S or not _lock.acquire(blocking=False):
        return
    try:
        _last[0] = now
        release_freed()
    finally:
        _lock.release()
