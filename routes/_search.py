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

__all__ = ["bidirectional", "one_to_many"]


@njit(cache=True)
def bidirectional(n, f_ptr, f_adj, f_edge, b_ptr, b_adj, b_edge, edge_cost, src_nodes, src_costs, dst_nodes, dst_costs):
    """Bidirectional Dijkstra from seed nodes to seed nodes.

    Returns ``(best, meet, f_pred, b_pred)``: the cost, the node where the two
    searches meet (-1 when unreachable), and per node the directed edge it was
    reached by in the forward search (``f_pred``) or leaves by in the backward
    search (``b_pred``), -1 at seeds.
    """
    inf = np.inf
    df = np.full(n, inf)
    db = np.full(n, inf)
    f_pred = np.full(n, -1, np.int64)
    b_pred = np.full(n, -1, np.int64)
    hf = [(0.0, np.int64(0))]
    hb = [(0.0, np.int64(0))]
    hf.pop()
    hb.pop()
    for i in range(len(src_nodes)):
        s = src_nodes[i]
        if src_costs[i] < df[s]:
            df[s] = src_costs[i]
            heapq.heappush(hf, (src_costs[i], np.int64(s)))
    for i in range(len(dst_nodes)):
        t = dst_nodes[i]
        if dst_costs[i] < db[t]:
            db[t] = dst_costs[i]
            heapq.heappush(hb, (dst_costs[i], np.int64(t)))
    best = inf
    meet = -1
    for i in range(len(src_nodes)):
        s = src_nodes[i]
        if df[s] + db[s] < best:
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
                if nd < df[w]:
                    df[w] = nd
                    f_pred[w] = e
                    heapq.heappush(hf, (nd, w))
                    if db[w] < inf and nd + db[w] < best:
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
                if nd < db[w]:
                    db[w] = nd
                    b_pred[w] = e
                    heapq.heappush(hb, (nd, w))
                    if df[w] < inf and nd + df[w] < best:
                        best = nd + df[w]
                        meet = w
    return best, meet, f_pred, b_pred


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
                heapq.heappush(h, (nd, w))
    return dist, pred
