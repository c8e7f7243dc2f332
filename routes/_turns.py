"""The routing graph with turn restrictions: a junction split only where a turn is banned.

A node-based graph cannot say "not from this street onto that one". The usual
answer, an edge-based (turn-expanded) graph, has a node per directed edge: three
to four times the nodes everywhere, for a few dozen restricted junctions. Here
only the restricted ones change (the "local expansion" OSRM and GraphHopper
describe for turn restrictions, via nodes and via ways alike):

- each banned manoeuvre has a *history*: the directed edge ``a`` it turns from,
  after the ``from`` edge and the via ways' edges for a restriction over via ways
  (`routes.restrictions.TurnBans`); every non-empty prefix of a history is a
  *state*, a copy of the junction its last edge reaches;
- a directed edge that starts a history arrives at that state's copy instead of
  its junction; a copy has one arc per edge leaving its junction, each with that
  edge's cost, leading to the copy of the longest history the ride now ends
  with, or to the plain junction when it ends with none (an Aho-Corasick
  automaton over the histories: a rider on a via way who did not come from the
  ``from`` way is on the plain graph);
- the arc of a banned turn costs the pushed turn (profile ``turn_push_m``) or
  nothing may use it (an infinite cost);
- every other edge, and every junction itself with all its turns, stays as it was.

For a via-node restriction this is one copy of the via junction per ``from``
edge; for one over a via way, one copy of each junction along the via way, for
riders who came from the ``from`` way.

The result is again a node-based graph (``n + copies`` nodes; arcs are the
``2 * n_segments`` directed edges, same ids, then the copies' arcs), so the
contraction hierarchy (`routes._cch`) and the reference search
(`routes._search`) run on it unchanged. Arcs map back to directed edges
(``arc_edge``) and nodes to junctions (``junction``) for everything a route
shows: geometry, directions, GPX.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ._csr import csr, index_type
from .restrictions import TurnBans, _by_node

__all__ = ["Ride", "TurnGraph"]


class Ride(NamedTuple):
    """Where a leg left the rider on the split graph (`TurnGraph.ride_after`).

    ``edge``: the directed edge of the leg's last piece; ``node``: the node of the split graph that
    piece was entered from (a junction's copy carries the ride's history; -1: none); ``mid``: the
    piece ends inside its street (a via point there), not at its end junction. The next leg starts
    from it (`routes.routing.route_legs`), so a via point does not wipe the history a turn
    restriction reads.
    """

    node: int
    edge: int
    mid: bool


class TurnGraph:
    """The node-based routing graph with the restricted junctions split (see the module's text)."""

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray, bans: TurnBans, order: np.ndarray):
        m = len(src)
        paths = bans.paths()
        state: dict[tuple[int, ...], int] = {}  # history prefix -> copy number
        for p in paths:
            for k in range(1, len(p) + 1):
                state.setdefault(p[:k], len(state))
        banned: dict[tuple[int, ...], dict[int, int]] = {}  # history -> {edge it may not turn onto: ban}
        for i, (p, b) in enumerate(zip(paths, bans.b.tolist(), strict=True)):
            banned.setdefault(p, {}).setdefault(b, i)
        keys = list(state)
        k = len(keys)
        #: the longest history: the node a ride reaches depends on its last ``depth`` edges only
        self.depth = max((len(q) for q in keys), default=0)
        self.n_junctions, self.n = n, n + k
        last = np.asarray([q[-1] for q in keys], np.int64)
        self.junction = np.concatenate([np.arange(n, dtype=np.int64), dst[last]])
        entry = dst.astype(np.int64, copy=True)
        firsts = [q[0] for q in keys if len(q) == 1]
        entry[firsts] = [n + state[(e,)] for e in firsts]

        def step(q: tuple[int, ...], e: int) -> int:
            """The node a rider with history ``q`` reaches along ``e``: the longest history it now ends with."""
            h = (*q, e)
            for j in range(len(h)):
                s = state.get(h[j:])
                if s is not None:
                    return n + s
            return int(dst[e])

        def ban(q: tuple[int, ...], e: int) -> int:
            for j in range(len(q)):
                i = banned.get(q[j:], {}).get(e)
                if i is not None:
                    return i
            return -1

        outs = _by_node(n, src)
        xs: list[int] = []
        xe: list[int] = []
        xd: list[int] = []
        xban: list[int] = []
        for c, q in enumerate(keys):
            for e in outs(int(dst[q[-1]])):  # every street leaving the junction, as the junction itself has
                xs.append(n + c)
                xe.append(e)
                xd.append(step(q, e))
                xban.append(ban(q, e))
        x_edge = np.asarray(xe, np.int64)
        node, arc = index_type(self.n), index_type(m + len(xe))  # 32-bit ids where they fit (issue #19)
        self.junction = self.junction.astype(node)
        self.arc_src = np.concatenate([src, np.asarray(xs, np.int64)]).astype(node)
        self.arc_dst = np.concatenate([entry, np.asarray(xd, np.int64)]).astype(node)
        self.arc_edge = np.concatenate([np.arange(m, dtype=np.int64), x_edge]).astype(arc)
        self.x_ban = np.asarray(xban, np.int64)
        self.bans = bans
        self.n_edges = m
        # each copy ranks just below its junction: contracting it adds the shortcuts the junction's would
        rank = np.empty(n, np.int64)
        rank[np.asarray(order, np.int64)] = np.arange(n)
        key = np.concatenate([rank * 2 + 1, rank[self.junction[n:]] * 2])
        self.order = np.argsort(key, kind="stable").astype(np.int32)
        self._copies: dict[int, list[int]] = {}
        for c, v in enumerate(self.junction[n:].tolist()):
            self._copies.setdefault(v, []).append(n + c)
        self.split = frozenset(self._copies)  # the junctions that have copies
        self._starts = np.zeros(m, bool)  # the edges that start a history (leave the plain graph)
        self._starts[firsts] = True
        self._arc_at = {(s, e): j for j, (s, e) in enumerate(zip(xs, xe, strict=True))}  # (copy, edge) -> its arc
        self._leave: dict[int, list[int]] = {}  # per directed edge, the copies' arcs that ride it
        for j, e in enumerate(xe):
            self._leave.setdefault(e, []).append(m + j)

    @functools.cached_property
    def adjacency(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Forward and backward CSR of the arcs: (f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge).

        Made on first use: only the reference search walks it (the contraction hierarchy is made
        from the arcs), so a server whose routes the hierarchy answers never makes it (issue #19).
        """
        every = np.arange(len(self.arc_src), dtype=index_type(len(self.arc_src)))
        return (*csr(self.n, self.arc_src, self.arc_dst, every), *csr(self.n, self.arc_dst, self.arc_src, every))

    f_ptr = property(lambda self: self.adjacency[0])
    f_adj = property(lambda self: self.adjacency[1])
    f_edge = property(lambda self: self.adjacency[2])
    b_ptr = property(lambda self: self.adjacency[3])
    b_adj = property(lambda self: self.adjacency[4])
    b_edge = property(lambda self: self.adjacency[5])

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

    def leave(self, node: int, edge: int, extra: np.ndarray) -> tuple[int, float]:
        """Where riding ``edge`` from ``node`` of this graph leads, and what its turn adds (inf: banned).

        From a junction (or ``node < 0``: a ride with no history), the plain arc; from a copy, its arc.
        """
        if node < self.n_junctions:
            return int(self.arc_dst[edge]), 0.0
        j = self._arc_at.get((node, edge))
        if j is None:  # not a street of the copy's junction: no history carries over
            return int(self.arc_dst[edge]), 0.0
        return int(self.arc_dst[self.n_edges + j]), float(extra[j])

    def departures(self, edge: int, extra: np.ndarray) -> list[tuple[int, float]]:
        """The nodes from which ``edge`` may be ridden, with what the turn onto it adds (0 or a pushed turn)."""
        out = [(int(self.arc_src[edge]), 0.0)]
        for arc in self._leave.get(edge, ()):
            add = float(extra[arc - self.n_edges])
            if math.isfinite(add):
                out.append((int(self.arc_src[arc]), add))
        return out

    def tail(self, ride: Ride | None, edge: int) -> tuple[int, bool]:
        """The node ``edge`` is entered from after ``ride`` (-1: a fresh history), and whether it rides
        on along the ride's own street (inside it: the turn onto it is already made)."""
        if ride is None:
            return -1, False
        if ride.mid:  # inside a street: on along it, or turned round (no junction, no turn)
            return (ride.node, True) if edge == ride.edge else (-1, False)
        here = self.head(ride.node, ride.edge)
        return (here, False) if int(self.junction[here]) == int(self.arc_src[edge]) else (-1, False)

    def head(self, node: int, edge: int) -> int:
        """The node riding ``edge`` from ``node`` reaches (`leave` without the turn's cost)."""
        if node < self.n_junctions:
            return int(self.arc_dst[edge])
        j = self._arc_at.get((node, edge))
        return int(self.arc_dst[edge if j is None else self.n_edges + j])

    def ride_after(self, pieces: Sequence[tuple[int, float]], ride: Ride | None = None) -> Ride | None:
        """Where riding ``pieces`` ((directed edge, fraction it ends at), none empty) from ``ride`` leaves
        the rider.

        A node of this graph is the longest history the edges ridden end with (an Aho-Corasick
        state), so the last ``depth + 1`` pieces, from a fresh start, reach the same two nodes as
        the whole leg: a long leg costs no more than a short one.
        """
        if len(pieces) > self.depth + 1:
            pieces, ride = pieces[-(self.depth + 1) :], None
        for edge, f1 in pieces:
            ride = Ride(self.tail(ride, edge)[0], edge, 0.0 < f1 < 1.0)
        return ride

    def route_turns(self, edge: np.ndarray, f1: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`banned_turns` along a route's pieces (directed edges, the fractions they end at, their
        shares): positions among the pieces and copy arcs, as `routes.routing.route_legs` rides them.
        On along one street past a via point is one ride, turning round inside a street starts a new
        history, and a via point at a junction is a turn there like any other."""
        none = np.zeros(0, np.int64)
        if not self.enters(edge):  # the route never leaves the plain graph (most routes)
            return none, none
        idx = np.flatnonzero(share > 0)
        if len(idx) < 2:
            return none, none
        e = edge[idx]
        end = f1[idx[:-1]]
        mid = (end > 0.0) & (end < 1.0)  # a piece ending inside its street: the last of a leg, at a via point
        on = np.concatenate([[False], mid & (e[1:] == e[:-1])])
        anew = np.concatenate([[False], mid & (e[1:] != e[:-1])])
        keep = ~on
        at, arc = self.banned_turns(e[keep], anew[keep])
        return idx[keep][at], arc

    def enters(self, edges: np.ndarray) -> bool:
        """Whether any of the directed ``edges`` starts a history (leaves the plain graph): rare."""
        return bool(self._starts[edges].any())

    def banned_turns(self, edges: np.ndarray, reset: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Banned turns along a path of directed edges: positions ``k`` (the turn from ``edges[k - 1]``
        onto ``edges[k]``) and the index of each one's copy arc. ``reset``: per position, True where
        the ride starts anew on the plain graph (a rider who turned round in the middle of a street).

        The path is followed through the copies only from an edge that starts a history (rare).
        """
        none = np.zeros(0, np.int64)
        if len(edges) < 2:
            return none, none
        starts = np.flatnonzero(self._starts[edges[:-1]])
        if not len(starts):
            return none, none
        n, m, arc_dst, arc_at = self.n_junctions, self.n_edges, self.arc_dst, self._arc_at
        path = edges.tolist()
        anew = None if reset is None else reset.tolist()
        at, arcs = [], []
        i = int(starts[0])
        node = int(arc_dst[path[i]])  # along the first edge that starts a history, from the plain graph
        i += 1
        while i < len(path):
            e = path[i]
            if node >= n and (anew is None or not anew[i]):
                j = arc_at.get((node, e))
                if j is not None:  # on from a copy
                    if self.x_ban[j] >= 0:
                        at.append(i)
                        arcs.append(j)
                    node = int(arc_dst[m + j])
                    i += 1
                    continue
            elif node < n:  # on the plain graph: on to the next edge that starts a history
                nxt = int(np.searchsorted(starts, i))
                if nxt == len(starts):
                    break
                i = int(starts[nxt])
                e = path[i]
            node = int(arc_dst[e])  # along e from the plain graph (a ride turned round starts there too)
            i += 1
        return np.asarray(at, np.int64), np.asarray(arcs, np.int64)

    def penalty(self, edges: np.ndarray, extra: np.ndarray, reset: np.ndarray | None = None) -> float:
        """What the turns along a path of directed edges add (inf if it makes a banned, unpushed turn)."""
        _, j = self.banned_turns(edges, reset)
        return float(extra[j].sum()) if len(j) else 0.0
