"""Compact adjacency arrays (CSR) of a directed graph, without numba.

Kept apart from `routes._search` so that building a router (and the graph with turn
restrictions, `routes._turns`) does not load numba: the compiled searches are loaded by
the first search that needs them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["csr"]


def csr(n: int, a: np.ndarray, b: np.ndarray, ids: np.ndarray):
    """Compact adjacency of arcs ``a[i] -> b[i]`` named ``ids[i]``: (ptr, neighbour, id), grouped by ``a``."""
    order = np.argsort(a, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=ptr[1:])
    return ptr, b[order].astype(np.int64), ids[order].astype(np.int64)
