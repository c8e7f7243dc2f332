"""The routing graph with turn restrictions: a junction split only where a turn is banned.

A node-based graph cannot say "not from this street onto that one". The usual
answer, an edge-based (turn-expanded) graph, has a node per directed edge: three
to four times the nodes everywhere, for a few dozen restricted junctions. Here
only the restricted ones change (the "local expansion" OSRM and GraphHopper
describe for via-node restrictions):

- each directed edge ``a`` that has a banned turn at its end ``v`` arrives at a
  *copy* of ``v`` of its own instead of ``v``;
- the copy gets one arc per edge leaving ``v``, except the way back along ``a``
  (no U-turn at the copy, unless it is a dead end), each with that edge's cost;
  a banned turn's arc costs the pushed turn (profile ``turn_push_m``) or nothing
  may use it (an infinite cost);
- every other edge, and ``v`` itself with all its turns, stays as it was.

The result is again a node-based graph (``n + copies`` nodes; arcs are the
``2 * n_segments`` directed edges, same ids, then the copies' arcs), so the
contraction hierarchy (`routes._cch`) and the reference search
(`routes._search`) run on it unchanged. Arcs map back to directed edges
(``arc_edge``) and nodes to junctions (``junction``) for everything a route
shows: geometry, directions, GPX.
"""

from __future__ import annotations

import math

import numpy as np

from ._csr import csr
from .restrictions import TurnBans, _by_node

__all__ = ["TurnGraph"]


class TurnGraph:
    """The node-based routing graph with the restricted junctions split (see the module's text)."""

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray, bans: TurnBans, order: np.ndarray):
        m = len(src)
        restricted = np.unique(bans.a)
        k = len(restricted)
        self.n_junctions, self.n = n, n + k
        self.junction = np.concatenate([np.arange(n, dtype=np.int64), dst[restricted]])
        entry = dst.astype(np.int64, copy=True)
        entry[restricted] = n + np.arange(k)
        ban_of = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(bans.a, bans.b, strict=True))}
        outs = _by_node(n, src)
        xs: list[int] = []
        xe: list[int] = []
        xban: list[int] = []
        for i, a in enumerate(restricted.tolist()):
            leave = [e for e in outs(int(dst[a])) if e != a ^ 1] or [a ^ 1]  # a dead end: back the way it came
            for e in leave:
                xs.append(n + i)
                xe.append(e)
                xban.append(ban_of.get((a, e), -1))
        x_edge = np.asarray(xe, np.int64)
        self.arc_src = np.concatenate([src, np.asarray(xs, np.int64)])
        self.arc_dst = np.concatenate([entry, entry[x_edge]])
        self.arc_edge = np.concatenate([np.arange(m, dtype=np.int64), x_edge])
        self.x_ban = np.asarray(xban, np.int64)
        self.bans = bans
        self.n_edges = m
        every = np.arange(len(self.arc_src), dtype=np.int64)
        self.f_ptr, self.f_adj, self.f_edge = csr(self.n, self.arc_src, self.arc_dst, every)
        self.b_ptr, self.b_adj, self.b_edge = csr(self.n, self.arc_dst, self.arc_src, every)
        # each copy ranks just below its junction: contracting it adds the shortcuts the junction's would
        rank = np.empty(n, np.int64)
        rank[np.asarray(order, np.int64)] = np.arange(n)
        key = np.concatenate([rank * 2 + 1, rank[self.junction[n:]] * 2])
        self.order = np.argsort(key, kind="stable").astype(np.int32)
        self._copies: dict[int, list[int]] = {}
        for c, v in enumerate(self.junction[n:].tolist()):
            self._copies.setdefault(v, []).append(n + c)
        self.split = frozenset(self._copies)  # the junctions that have copies
        # the banned turns as (from edge * n_edges + onto edge), sorted, and each one's copy arc
        banned = np.flatnonzero(self.x_ban >= 0)
        codes = bans.a[self.x_ban[banned]] * m + x_edge[banned]
        order = np.argsort(codes)
        self._ban_codes, self._ban_arcs = codes[order], banned[order]
        self._bans_from = np.zeros(m, bool)
        self._bans_from[bans.a] = True
        self._leave: dict[int, list[int]] = {}  # per directed edge, the copies' arcs that ride it
        for j, e in enumerate(xe):
            self._leave.setdefault(e, []).append(m + j)

    def extra(self, penalty: float, *, bound: bool = True) -> np.ndarray:
        """Per copy arc, the cost added to its edge's: 0, ``penalty`` for a pushed banned turn, inf if banned.

        ``bound=False`` (walking): no turn is banned, every copy arc adds 0.
        """
        out = np.zeros(len(self.x_ban))
        if not bound:
            return out
        banned = self.x_ban >= 0
        push = np.zeros(len(self.x_ban), bool)
        push[banned] = self.bans.push[self.x_ban[banned]]
        out[banned] = math.inf
        if math.isfinite(penalty):
            out[push] = penalty
        return out

    def arc_cost(self, edge_cost: np.ndarray, extra: np.ndarray) -> np.ndarray:
        """Every arc's cost: its directed edge's (``edge_cost``), plus ``extra`` on the copies' arcs."""
        return np.concatenate([edge_cost, edge_cost[self.arc_edge[self.n_edges :]] + extra])

    def arrivals(self, nodes: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Target seeds at junctions, with every copy of them: arriving by any street counts."""
        copies = self._copies
        if len(nodes) == 1 and int(nodes[0]) not in copies or not any(v in copies for v in nodes.tolist()):
            return nodes, costs
        more = [(c, x) for v, x in zip(nodes.tolist(), costs.tolist(), strict=True) for c in copies.get(v, ())]
        return (
            np.concatenate([nodes, np.asarray([c for c, _ in more], np.int64)]),
            np.concatenate([costs, np.asarray([x for _, x in more], np.float64)]),
        )

    def copies(self, junction: int) -> list[int]:
        """The copies of a junction (none unless a turn is banned there)."""
        return self._copies.get(junction, [])

    def entry(self, edge: int) -> int:
        """The node an arrival along directed ``edge`` reaches (its junction, or the copy for it)."""
        return int(self.arc_dst[edge])

    def departures(self, edge: int, extra: np.ndarray) -> list[tuple[int, float]]:
        """The nodes from which ``edge`` may be ridden, with what the turn onto it adds (0 or a pushed turn)."""
        out = [(int(self.arc_src[edge]), 0.0)]
        for arc in self._leave.get(edge, ()):
            add = float(extra[arc - self.n_edges])
            if math.isfinite(add):
                out.append((int(self.arc_src[arc]), add))
        return out

    def banned_turns(self, edges: np.ndarray, leg: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Banned turns along a path of directed edges: positions ``k`` (the turn from ``edges[k - 1]``
        onto ``edges[k]``; with ``leg``, only within one leg) and the index of each one's copy arc."""
        none = np.zeros(0, np.int64)
        if len(edges) < 2:
            return none, none
        k = np.flatnonzero(self._bans_from[edges[:-1]])  # edges with a banned turn at their end: rare
        if not len(k):
            return none, none
        code = edges[k] * self.n_edges + edges[k + 1]
        at = np.minimum(np.searchsorted(self._ban_codes, code), len(self._ban_codes) - 1)
        hit = self._ban_codes[at] == code
        if leg is not None:
            hit &= leg[k] == leg[k + 1]
        return k[hit] + 1, self._ban_arcs[at[hit]]

    def penalty(self, edges: np.ndarray, extra: np.ndarray, leg: np.ndarray | None = None) -> float:
        """What the turns along a path of directed edges add (inf if it makes a banned, unpushed turn)."""
        _, j = self.banned_turns(edges, leg)
        return float(extra[j].sum()) if len(j) else 0.0
