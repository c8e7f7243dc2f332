"""Compact adjacency arrays (CSR) of a directed graph, without numba.

Kept apart from `routes._search` so that building a router (and the graph with turn
restrictions, `routes._turns`) does not load numba: the compiled searches are loaded by
the first search that needs them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["csr", "edge_ends", "index_type"]


def index_type(count: int) -> type[np.signedinteger]:
    """The integer type for ids below ``count``: 32 bits where they fit, half the memory of 64 (issue #19)."""
    return np.int32 if count < 2**31 else np.int64


def edge_ends(network) -> tuple[np.ndarray, np.ndarray]:
    """Tail and head junction of every directed edge: ``2 * s`` along segment ``s``, ``2 * s + 1`` against it."""
    src = np.empty(2 * network.n_segments, dtype=index_type(network.n_nodes))
    dst = np.empty_like(src)
    src[0::2], src[1::2] = network.seg_u, network.seg_v
    dst[0::2], dst[1::2] = network.seg_v, network.seg_u
    return src, dst


def csr(n: int, a: np.ndarray, b: np.ndarray, ids: np.ndarray):
    """Compact adjacency of arcs ``a[i] -> b[i]`` named ``ids[i]``: (ptr, neighbour, id), grouped by ``a``.

    32-bit arrays where the node and arc counts fit (`index_type`).
    """
    order = np.argsort(a, kind="stable")
    ptr = np.zeros(n + 1, dtype=index_type(len(a) + 1))
    np.cumsum(np.bincount(a, minlength=n), out=ptr[1:])
    node = index_type(n + 1)
    return ptr, b[order].astype(node), ids[order].astype(index_type(int(ids.max(initial=0)) + 1))
