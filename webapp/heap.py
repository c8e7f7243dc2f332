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
  returns every free page: 25 MB after the map page is built on ``scale_200k``.

Both are no-ops where the C library is not glibc (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["limit_arenas", "release_freed"]

#: ``mallopt`` parameter number of ``M_ARENA_MAX`` (glibc's malloc.h).
_M_ARENA_MAX = -8
#: Arenas kept by `limit_arenas`: the main one and one for all other threads.
ARENAS = 2


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
