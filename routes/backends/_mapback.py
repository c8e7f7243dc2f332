"""An engine's answer as bikemap pieces: the junctions its route passes, in order, onto segments.

OSRM names the junctions by OSM node id, Valhalla by position along its route's shape;
from there both go the same way: the first junction at an end of the start's segment,
the last at an end of the destination's, and between each two consecutive junctions the
rideable segment joining them whose length is nearest the engine's own metres.
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from ..routing import Piece, Snap, direct_piece

__all__ = ["pieces_along", "segment_between", "segment_pairs"]


def segment_pairs(net: Network) -> dict[tuple[int, int], list[int]]:
    """The segments joining each pair of junctions (smaller index first)."""
    pairs: dict[tuple[int, int], list[int]] = {}
    for s, (u, v) in enumerate(zip(net.seg_u.tolist(), net.seg_v.tolist(), strict=True)):
        pairs.setdefault((min(u, v), max(u, v)), []).append(s)
    return pairs


def pieces_along(
    net: Network,
    pairs: dict[tuple[int, int], list[int]],
    a: Snap,
    b: Snap,
    junctions: list[tuple[int, float]],
    distance: float,
    cost: np.ndarray,
) -> list[Piece] | None:
    """The pieces of a leg from ``a`` to ``b`` through ``junctions``; None when they do not fit the network.

    ``junctions``: (node index, metres along the engine's route), in order, no node twice in a
    row; ``distance``: the engine's length of the whole leg (metres).
    """
    direct = direct_piece(a, b, cost)
    if direct is not None and abs(direct.share * net.seg_length[a.seg] - distance) <= 1.0 + 0.01 * distance:
        return [direct]
    ends_a = (int(net.seg_u[a.seg]), int(net.seg_v[a.seg]))
    ends_b = (int(net.seg_u[b.seg]), int(net.seg_v[b.seg]))
    i = next((k for k, (n, _) in enumerate(junctions) if n in ends_a), None)
    k_end = next((k for k in range(len(junctions) - 1, -1, -1) if junctions[k][0] in ends_b), None)
    if i is None or k_end is None:
        return None
    if i + 1 < len(junctions) and {junctions[i][0], junctions[i + 1][0]} == set(ends_a):
        i += 1  # the engine's route began behind the start, at the segment's other end
    if k_end - 1 >= i and {junctions[k_end - 1][0], junctions[k_end][0]} == set(ends_b):
        k_end -= 1
    if k_end < i:
        return None
    first = Piece(a.seg, a.frac, 0.0 if junctions[i][0] == ends_a[0] else 1.0)
    last = Piece(b.seg, 0.0 if junctions[k_end][0] == ends_b[0] else 1.0, b.frac)
    middle = []
    for (x, mx), (y, my) in zip(junctions[i:k_end], junctions[i + 1 : k_end + 1], strict=True):
        piece = segment_between(net, pairs, x, y, my - mx, cost)
        if piece is None:
            return None
        middle.append(piece)
    return [first, *middle, last]


def segment_between(
    net: Network, pairs: dict[tuple[int, int], list[int]], x: int, y: int, metres: float, cost: np.ndarray
) -> Piece | None:
    """The rideable segment from junction ``x`` to ``y`` whose length is nearest ``metres``."""
    best: tuple[float, Piece] | None = None
    for s in pairs.get((min(x, y), max(x, y)), []):
        piece = Piece(s, 0.0, 1.0) if int(net.seg_u[s]) == x else Piece(s, 1.0, 0.0)
        if not np.isfinite(cost[piece.edge]):
            continue
        miss = abs(float(net.seg_length[s]) - metres)
        if best is None or miss < best[0]:
            best = (miss, piece)
    return None if best is None else best[1]
