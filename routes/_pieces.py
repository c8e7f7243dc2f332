"""What a profile's router needs from searches over the whole network, worked out when the network is built.

Two things per profile come from a search of every junction:

- the strongly connected pieces of the streets the profile may use (`strong_pieces`): a point
  snaps onto a big piece rather than onto a footway island (`SMALL_COMPONENT`);
- an upper bound on the cost of its cheapest paths (`cost_bound`), which sets the integer
  scale of the contraction hierarchy's metric (`routes._cch`).

SciPy's compiled graph routines (``connected_components``, ``dijkstra``) find both. Importing
them costs a serving process about 30 MB (issue #19), so `add_router_facts` runs them when the
network is built, for every profile of ``profiles.toml``, and the cache keeps the answers: one
row of piece labels per distinct set of usable edges (``Network.pieces``, memory-mapped), and
one bound per cost array (``meta["cost_bounds"]``). Each is keyed by a digest of exactly what it
was computed from, so a router finds its own answer or none: a profile the cache does not know
(a changed copy, profiles edited since the build, a network made by hand) computes it with
SciPy as before, and gets the same numbers (tests/routes/test_pieces.py).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .network import Network

__all__ = ["SMALL_COMPONENT", "add_router_facts", "big_pieces", "cost_bound", "strong_pieces"]

#: Strongly connected pieces smaller than this many junctions (or than half the
#: largest piece, on a small extract) are avoided when snapping: they are mapping
#: errors or places cut off from the streets (an isolated footway, a car park, an
#: underground mall). OSRM's default for the same rule is 1000.
SMALL_COMPONENT = 1000


def _digest(a: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(a).tobytes(), digest_size=16).hexdigest()


def _graph_key(net: Network) -> str:
    """A digest of the network's streets (which junctions each segment joins), once per network."""
    return net._cached("graph_digest", lambda: _digest(np.concatenate([net.seg_u, net.seg_v]).astype(np.int64)))


def _usable_key(net: Network, usable: np.ndarray) -> str:
    return f"{_graph_key(net)}:{_digest(np.packbits(usable))}"


def _cost_key(net: Network, cost: np.ndarray, hub: int) -> str:
    return f"{_graph_key(net)}:{_digest(np.asarray(cost, np.float64))}:{hub}"


def strong_pieces(net: Network, src: np.ndarray, dst: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Per junction, the label of its strongly connected piece of the directed edges where ``usable``."""
    keys = net.meta.get("pieces") or []
    rows = getattr(net, "pieces", None)
    if rows is not None and len(keys) == len(rows) and rows.shape[1:] == (net.n_nodes,):
        key = _usable_key(net, usable)
        if key in keys:
            return rows[keys.index(key)]
    return _components(net.n_nodes, src, dst, usable)


def _components(n: int, src: np.ndarray, dst: np.ndarray, usable: np.ndarray) -> np.ndarray:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    ok = np.flatnonzero(usable)
    graph = csr_matrix((np.ones(len(ok)), (src[ok], dst[ok])), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    return labels.astype(np.int32, copy=False)


def big_pieces(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Which junctions lie on a big piece (see `SMALL_COMPONENT`), and one junction of the largest (-1: none)."""
    if not len(labels):
        return np.zeros(0, bool), -1
    sizes = np.bincount(labels)
    big = sizes[labels] >= min(SMALL_COMPONENT, max(1, int(sizes.max()) // 2))
    return big, int(np.argmax(big))


def cost_bound(net: Network, src: np.ndarray, dst: np.ndarray, cost: np.ndarray, hub: int) -> float:
    """An upper bound on the cost of any cheapest path in the largest piece (through its ``hub`` junction).

    ``d(a, b) <= d(a, hub) + d(hub, b)``: two one-to-all searches from the hub, in SciPy's compiled
    Dijkstra (or the cache's answer for exactly these costs).
    """
    if hub < 0:
        return 0.0
    kept = (net.meta.get("cost_bounds") or {}).get(_cost_key(net, cost, hub))
    if kept is not None:
        return float(kept)
    return _bound(net.n_nodes, src, dst, cost, hub)


def _bound(n: int, src: np.ndarray, dst: np.ndarray, cost: np.ndarray, hub: int) -> float:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    fin = np.isfinite(cost)
    usable = np.flatnonzero(fin)
    reach = 0.0
    for a, b in ((src, dst), (dst, src)):
        graph = csr_matrix((cost[usable], (a[usable], b[usable])), shape=(n, n))
        graph.sum_duplicates()  # parallel edges: summed, so still an upper bound of either
        dist = dijkstra(graph, indices=hub)
        reach += float(dist[np.isfinite(dist)].max(initial=0.0))
    return reach + 2 * float(cost[fin].max(initial=0.0))


def add_router_facts(net: Network) -> None:
    """Work out the pieces and the cost bound of every profile of ``profiles.toml`` and keep them on ``net``.

    Called when a network is built (and again when heights are added: they change the costs);
    the cache then stores them. The costs are the router's own (`routes.profiles.edge_costs_indexed`,
    then `routes.elevation.apply_climbs` on a network with heights).
    """
    from types import SimpleNamespace

    from ._csr import edge_ends
    from .elevation import apply_climbs
    from .profiles import edge_costs_indexed, load_profiles

    n = net.n_nodes
    src, dst = edge_ends(net)
    distinct, idx = net.class_index
    keys: list[str] = []
    rows: list[np.ndarray] = []
    bounds: dict[str, float] = {}
    for profile in load_profiles().values():
        duration, cost, access = edge_costs_indexed(distinct, idx, net.seg_length, profile)
        usable = np.isfinite(cost)
        key = _usable_key(net, usable)
        if key not in keys:
            keys.append(key)
            rows.append(_components(n, src, dst, usable))
        labels = rows[keys.index(key)]
        _, hub = big_pieces(labels)
        costs = SimpleNamespace(network=net, profile=profile, duration=duration, cost=cost, access=access)
        apply_climbs(costs)  # what Router does before customising its metric (nothing without heights)
        if hub >= 0:
            bounds[_cost_key(net, costs.cost, hub)] = _bound(n, src, dst, costs.cost, hub)
    net.pieces = np.stack(rows) if rows else None
    net.meta["pieces"] = keys
    net.meta["cost_bounds"] = bounds
