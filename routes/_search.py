"""Compiled shortest-path searches on compact (CSR) graphs.

Hand-written rather than taken from a library because no maintained Python
package offers a bidirectional Dijkstra that starts from *several* seeds with
initial costs (a point snapped into the middle of a street reaches both of its
ends at a partial cost) and stops as soon as the two searches meet; SciPy's
``csgraph.dijkstra`` always settles the whole graph. Compiled with numba.
"""

from __future__ import annotations

import heapq

import numpy as np
from numba import njit

from ._csr import csr  # re-exported: the arrays the searches walk
from ._once import compiled_once

__all__ = [
    "TreeWorkspace",
    "Workspace",
    "bidirectional",
    "bidirectional_ws",
    "csr",
    "edge_starts",
    "one_to_many",
    "one_to_many_ws",
]


class Workspace:
    """Distance labels of one thread's searches, valid only where their stamp equals the search's version.

    Reused from search to search, so a search costs what it settles, not the
    size of the network: nothing is cleared between searches, the version
    number simply moves on (versioned labels).
    """

    def __init__(self, n: int):
        self.df = np.empty(n)
        self.db = np.empty(n)
        self.f_pred = np.empty(n, np.int64)
        self.b_pred = np.empty(n, np.int64)
        self.vf = np.zeros(n, np.int64)
        self.vb = np.zeros(n, np.int64)
        self.version = 0

    def next_version(self) -> int:
        self.version += 1
        return self.version


def bidirectional(n, f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge, edge_cost, src_nodes, src_costs, dst_nodes, dst_costs):
    """Bidirectional Dijkstra from seed nodes to seed nodes, on a fresh workspace.

    Returns ``(best, meet, f_pred, b_pred)``: the cost, the node where the two
    searches meet (-1 when unreachable), and per node the directed edge it was
    reached by in the forward search (``f_pred``) or leaves by in the backward
    search (``b_pred``), -1 at seeds. Only the entries on the searches' trees are
    meaningful. `Router.node_path` reuses a per-thread `Workspace` instead.
    """
    ws = Workspace(n)
    best, meet = bidirectional_once(
        f_ptr,
        f_adj,
        f_edge,
        b_ptr,
        b_adj,
        b_edge,
        edge_cost,
        src_nodes,
        src_costs,
        dst_nodes,
        dst_costs,
        ws.df,
        ws.db,
        ws.f_pred,
        ws.b_pred,
        ws.vf,
        ws.vb,
        ws.next_version(),
    )
    return best, meet, ws.f_pred, ws.b_pred


@njit(cache=True)
def bidirectional_ws(
    f_ptr,
    f_adj,
    f_edge,
    b_ptr,
    b_adj,
    b_edge,
    edge_cost,
    src_nodes,
    src_costs,
    dst_nodes,
    dst_costs,
    df,
    db,
    f_pred,
    b_pred,
    vf,
    vb,
    ver,
):
    """`bidirectional` on versioned labels: ``df[u]`` counts only where ``vf[u] == ver``."""
    inf = np.inf
    hf = [(0.0, np.int64(0))]
    hb = [(0.0, np.int64(0))]
    hf.pop()
    hb.pop()
    for i in range(len(src_nodes)):
        s = src_nodes[i]
        if src_costs[i] < inf and (vf[s] != ver or src_costs[i] < df[s]):
            vf[s] = ver
            df[s] = src_costs[i]
            f_pred[s] = -1
            heapq.heappush(hf, (src_costs[i], np.int64(s)))
    for i in range(len(dst_nodes)):
        t = dst_nodes[i]
        if dst_costs[i] < inf and (vb[t] != ver or dst_costs[i] < db[t]):
            vb[t] = ver
            db[t] = dst_costs[i]
            b_pred[t] = -1
            heapq.heappush(hb, (dst_costs[i], np.int64(t)))
    best = inf
    meet = -1
    for i in range(len(src_nodes)):
        s = src_nodes[i]
        if vf[s] == ver and vb[s] == ver and df[s] + db[s] < best:
            best = df[s] + db[s]
            meet = s
    while len(hf) > 0 or len(hb) > 0:
        tf = hf[0][0] if len(hf) > 0 else inf
        tb = hb[0][0] if len(hb) > 0 else inf
        if tf + tb >= best:
            break
        if tf <= tb:
            d, u = heapq.heappop(hf)
            if d > df[u]:
                continue
            for k in range(f_ptr[u], f_ptr[u + 1]):
                w = f_adj[k]
                e = f_edge[k]
                nd = d + edge_cost[e]
                if nd < inf and (vf[w] != ver or nd < df[w]):
                    vf[w] = ver
                    df[w] = nd
                    f_pred[w] = e
                    heapq.heappush(hf, (nd, np.int64(w)))
                    if vb[w] == ver and nd + db[w] < best:
                        best = nd + db[w]
                        meet = w
        else:
            d, u = heapq.heappop(hb)
            if d > db[u]:
                continue
            for k in range(b_ptr[u], b_ptr[u + 1]):
                w = b_adj[k]
                e = b_edge[k]
                nd = d + edge_cost[e]
                if nd < inf and (vb[w] != ver or nd < db[w]):
                    vb[w] = ver
                    db[w] = nd
                    b_pred[w] = e
                    heapq.heappush(hb, (nd, np.int64(w)))
                    if vf[w] == ver and nd + df[w] < best:
                        best = nd + df[w]
                        meet = w
    return best, meet


@njit(cache=True)
def one_to_many(n, ptr, adj, edge, edge_cost, src_nodes, src_costs, targets, limit):
    """Dijkstra from seeds until every target is settled (or ``limit`` is passed).

    Returns ``(dist, pred)`` over all nodes: cost, and the directed edge each
    node was reached by (-1 at seeds and unreached nodes). With the backward
    CSR this is a many-to-one search.
    """
    inf = np.inf
    dist = np.full(n, inf)
    pred = np.full(n, -1, np.int64)
    done = np.zeros(n, np.bool_)
    is_target = np.zeros(n, np.bool_)
    remaining = 0
    for t in targets:
        if not is_target[t]:
            is_target[t] = True
            remaining += 1
    h = [(0.0, np.int64(0))]
    h.pop()
    for i in range(len(src_nodes)):
        s = src_nodes[i]
        if src_costs[i] < dist[s]:
            dist[s] = src_costs[i]
            heapq.heappush(h, (src_costs[i], np.int64(s)))
    while len(h) > 0:
        d, u = heapq.heappop(h)
        if d > dist[u] or done[u]:
            continue
        if d > limit:
            break
        done[u] = True
        if is_target[u]:
            remaining -= 1
            if remaining == 0:
                break
        for k in range(ptr[u], ptr[u + 1]):
            w = adj[k]
            nd = d + edge_cost[edge[k]]
            if nd < dist[w]:
                dist[w] = nd
                pred[w] = edge[k]
                heapq.heappush(h, (nd, np.int64(w)))
    return dist, pred


class TreeWorkspace:
    """Labels of one thread's one-to-many searches (`one_to_many_ws`), versioned like `Workspace`.

    ``dist[u]``, ``pred[u]`` and ``acc[u]`` count only where ``label[u] == version``;
    ``settled`` and ``target`` are stamped the same way, so nothing of the network's size is
    cleared or allocated per search.
    """

    def __init__(self, n: int):
        self.dist = np.empty(n)
        self.pred = np.empty(n, np.int64)
        self.acc = np.empty(n)
        self.label = np.zeros(n, np.int64)
        self.settled = np.zeros(n, np.int64)
        self.target = np.zeros(n, np.int64)
        self.version = 0

    def next_version(self) -> int:
        self.version += 1
        return self.version

    def search(self, ptr, adj, edge, edge_cost, seeds, seed_costs, targets, limit, edge_val=None, seed_vals=None):
        """`one_to_many_ws` on these labels under a new version (then ``self.version``); returns
        the nodes it labelled. ``edge_val``/``seed_vals``: a value summed along each cheapest
        path into ``acc`` (none by default)."""
        return one_to_many_once(
            ptr,
            adj,
            edge,
            edge_cost,
            np.asarray(seeds, np.int64),
            np.asarray(seed_costs, np.float64),
            np.asarray(targets, np.int64),
            float(limit),
            self.dist,
            self.pred,
            self.label,
            self.settled,
            self.target,
            self.next_version(),
            _NO_VALUES if edge_val is None else edge_val,
            _NO_VALUES if seed_vals is None else np.asarray(seed_vals, np.float64),
            self.acc,
        )


_NO_VALUES = np.zeros(0)


@njit(cache=True)
def one_to_many_ws(
    ptr,
    adj,
    edge,
    edge_cost,
    src_nodes,
    src_costs,
    targets,
    limit,
    dist,
    pred,
    label,
    settled,
    target,
    ver,
    edge_val,
    src_vals,
    acc,
):
    """`one_to_many` on versioned labels: returns the nodes it labelled, in the order it first reached them.

    Their ``dist`` and ``pred`` are the answer (every other node: unreached); the same
    pops, relaxations and ties as `one_to_many`, so the same costs and tree. Unless
    ``edge_val`` is empty, ``acc[u]`` sums it along the tree path to ``u`` from the
    seed's ``src_vals`` (a duration beside the cost searched on): final where ``u`` is settled.
    """
    summing = len(edge_val) > 0
    inf = np.inf
    touched = np.empty(max(16, 4 * len(src_nodes)), np.int64)
    k = 0
    remaining = 0
    for t in targets:
        if target[t] != ver:
            target[t] = ver
            remaining += 1
    h = [(0.0, np.int64(0))]
    h.pop()
    for i in range(len(src_nodes)):
        s = src_nodes[i]
        if label[s] != ver:
            label[s] = ver
            dist[s] = inf
            pred[s] = -1
            if k == len(touched):
                touched = np.concatenate((touched, np.empty(len(touched), np.int64)))
            touched[k] = s
            k += 1
        if src_costs[i] < dist[s]:
            dist[s] = src_costs[i]
            if summing:
                acc[s] = src_vals[i]
            heapq.heappush(h, (src_costs[i], np.int64(s)))
    while len(h) > 0:
        d, u = heapq.heappop(h)
        if d > dist[u] or settled[u] == ver:
            continue
        if d > limit:
            break
        settled[u] = ver
        if target[u] == ver:
            remaining -= 1
            if remaining == 0:
                break
        for j in range(ptr[u], ptr[u + 1]):
            w = adj[j]
            nd = d + edge_cost[edge[j]]
            if label[w] != ver:
                if not nd < inf:
                    continue
                label[w] = ver
                dist[w] = nd
                pred[w] = edge[j]
                if summing:
                    acc[w] = acc[u] + edge_val[edge[j]]
                if k == len(touched):
                    touched = np.concatenate((touched, np.empty(len(touched), np.int64)))
                touched[k] = w
                k += 1
                heapq.heappush(h, (nd, np.int64(w)))
            elif nd < dist[w]:
                dist[w] = nd
                pred[w] = edge[j]
                if summing:
                    acc[w] = acc[u] + edge_val[edge[j]]
                heapq.heappush(h, (nd, np.int64(w)))
    return touched[:k]


@njit(cache=True)
def edge_starts(nodes, dist, limit, f_ptr, f_edge, arc_edge, extra, m, times, stamp, ver):
    """Stamp the start time of every directed edge leaving a node reached within ``limit``; the segments touched."""
    segs = np.empty(16, np.int64)
    k = 0
    for i in range(len(nodes)):
        u = nodes[i]
        t = dist[u]
        if not t <= limit:
            continue  # labelled but beyond the limit (every node within it was settled: its time is final)
        for j in range(f_ptr[u], f_ptr[u + 1]):
            a = f_edge[j]
            e = a
            s = t
            if a >= m:  # an arc of a junction's copy: its turn may add a push
                e = arc_edge[a]
                s = t + extra[a - m]
            if not s <= limit:
                continue
            if stamp[e] != ver:
                if stamp[e ^ 1] != ver:  # the segment's first edge reached
                    if k == len(segs):
                        segs = np.concatenate((segs, np.empty(len(segs), np.int64)))
                    segs[k] = e // 2
                    k += 1
                stamp[e] = ver
                times[e] = s
            elif s < times[e]:
                times[e] = s
    return segs[:k]


# called from Python: a process's first call compiles them, or loads what another compiled, under a lock the
# machine's processes share (`routes._once`); compiled code calls the functions above directly
bidirectional_once = compiled_once(bidirectional_ws)
one_to_many_once = compiled_once(one_to_many_ws)
