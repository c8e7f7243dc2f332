"""Turn restrictions: OSM ``type=restriction`` relations as the turns a bicycle may not ride.

What binds a bicycle (`restriction_value`), as OSM's wiki and OSRM's bicycle profile read it:

- ``restriction:bicycle=*`` when present, whatever ``restriction`` says;
- otherwise ``restriction=*``, unless ``except`` names ``bicycle``;
- restrictions for other vehicles only (``restriction:hgv``...) and conditional ones do not.

``no_*`` forbids the turn from the ``from`` way over the ``via`` node onto the
``to`` way; ``only_*`` forbids every other turn from the ``from`` way at that
node. Over one or more via *ways* (`way_rules_of`), the manoeuvre is the chain
``from`` way, the via ways end to end, ``to`` way: ``no_*`` forbids riding onto
the ``to`` way at the end of that chain, ``only_*`` every other street there, for
a rider who came along the whole chain (as OSRM and GraphHopper read them);
riding the via ways without coming from the ``from`` way is allowed.

`turn_bans` resolves the relations on a `Network` into banned manoeuvres on
directed edges (edge ``2 * s`` along segment ``s``, ``2 * s + 1`` against it):
the turn from edge ``a`` onto edge ``b``, after the edges ``lead`` for a via-way
restriction. `routes._turns` turns them into a routing graph. A banned turn may
still be made on foot, pushing, where pedestrians may use both streets of the
last turn and the profile pushes at all (see ``turn_push_m`` in
``routes/data/profiles.toml``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "TurnBans",
    "junction_ids",
    "member_ways",
    "read_restrictions",
    "restriction_array",
    "restriction_value",
    "rules_of",
    "turn_bans",
    "way_restriction_array",
    "way_rules_of",
]

#: Columns of `Network.restrictions`: only (1) or no (0), direction, from way, via node, to way (OSM ids).
COLUMNS = ("only", "direction", "from_way", "via_node", "to_way")
#: First columns of `Network.way_restrictions` (restrictions over via ways); the via ways' ids follow,
#: in the relation's order, padded with 0 to the longest chain of the file.
WAY_COLUMNS = ("only", "direction", "from_way", "to_way")
#: Direction codes; 0 (``entry``, ``exit``): every turn between the members.
_DIRECTION = {"entry": 0, "exit": 0, "left_turn": 1, "right_turn": 2, "straight_on": 3, "u_turn": 4}
#: The turn angle (degrees, right positive) each direction means, to pick a turn where a member way
#: runs on through the via node (the from way reaches it from two sides, or the to way leaves it both ways).
_ANGLE = {1: -90.0, 2: 90.0, 3: 0.0, 4: 180.0}


def restriction_value(tags: dict[str, str]) -> str | None:
    """The restriction a bicycle obeys in a relation with ``tags`` (``"no_left_turn"``...), or None.

    Examples
    --------
    >>> restriction_value({"type": "restriction", "restriction": "no_left_turn"})
    'no_left_turn'
    >>> restriction_value({"type": "restriction", "restriction": "no_left_turn", "except": "psv;bicycle"}) is None
    True
    >>> restriction_value({"type": "restriction", "restriction:bicycle": "only_straight_on"})
    'only_straight_on'
    """
    if tags.get("type") not in ("restriction", "restriction:bicycle"):
        return None
    value = tags.get("restriction:bicycle")
    if value is None and tags.get("type") == "restriction":
        if "bicycle" in {v.strip() for v in tags.get("except", "").split(";")}:
            return None
        value = tags.get("restriction")
    return value.strip() if value else None


def _kind(tags: dict[str, str]) -> tuple[int, int] | None:
    """(only, direction code) of the restriction a bicycle obeys, or None."""
    value = restriction_value(tags)
    if value is None:
        return None
    kind, _, what = value.partition("_")
    if kind not in ("no", "only") or what not in _DIRECTION:
        return None
    return int(kind == "only"), _DIRECTION[what]


def rules_of(tags: dict[str, str], members: list[tuple[str, int, str]]) -> list[tuple[int, int, int, int, int]]:
    """Rows of `COLUMNS` for one relation over a via node (``members``: (type ``n``/``w``/``r``, id, role)).

    [] if none binds, or if the relation's via is a chain of ways (`way_rules_of`).
    """
    kind = _kind(tags)
    vias = [(t, ref) for t, ref, role in members if role == "via"]
    if kind is None or len(vias) != 1 or vias[0][0] != "n":
        return []
    froms = [ref for t, ref, role in members if role == "from" and t == "w"]
    tos = [ref for t, ref, role in members if role == "to" and t == "w"]
    return [(*kind, f, vias[0][1], t) for f in froms for t in tos]


def way_rules_of(tags: dict[str, str], members: list[tuple[str, int, str]]) -> list[tuple[int, ...]]:
    """Rows of `WAY_COLUMNS` and the via ways' ids for one relation over via ways; [] if none binds.

    >>> members = [("w", 1, "from"), ("w", 2, "via"), ("w", 3, "to")]
    >>> way_rules_of({"type": "restriction", "restriction": "no_u_turn"}, members)
    [(0, 4, 1, 3, 2)]
    """
    kind = _kind(tags)
    vias = [(t, ref) for t, ref, role in members if role == "via"]
    if kind is None or not vias or any(t != "w" for t, _ in vias):
        return []  # a via node (`rules_of`), or a broken relation
    froms = [ref for t, ref, role in members if role == "from" and t == "w"]
    tos = [ref for t, ref, role in members if role == "to" and t == "w"]
    return [(*kind, f, t, *(ref for _, ref in vias)) for f in froms for t in tos]


def read_restrictions(path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The rules of every restriction relation in an OSM file (XML or PBF, libosmium), None if unreadable.

    Returns the via-node rules (`restriction_array`) and the via-way ones (`way_restriction_array`).
    """
    import osmium

    rules: list[tuple[int, int, int, int, int]] = []
    way_rules: list[tuple[int, ...]] = []
    r: Any  # a relation: the filter lets nothing else through
    try:
        for r in osmium.FileProcessor(path).with_filter(osmium.filter.EntityFilter(osmium.osm.RELATION)):
            tags, members = dict(r.tags), [(m.type, m.ref, m.role) for m in r.members]
            rules.extend(rules_of(tags, members))
            way_rules.extend(way_rules_of(tags, members))
    except (RuntimeError, OSError, ValueError):  # a file OSMnx could read but libosmium cannot: no restrictions
        return None
    return restriction_array(rules), way_restriction_array(way_rules)


def member_ways(way_restrictions: np.ndarray | None) -> set[int]:
    """The OSM ids of every way of a restriction over via ways: its ``from``, ``to`` and via ways."""
    if way_restrictions is None or not len(way_restrictions):
        return set()
    return set(way_restrictions[:, 2:].ravel().tolist()) - {0}


def junction_ids(restrictions: np.ndarray | None, way_ends: list[np.ndarray]) -> np.ndarray:
    """The OSM nodes a network keeps as junctions for its restrictions, whatever the simplification.

    The via nodes, and both ends of every way of a restriction over via ways (``way_ends``: the
    first and last node ids of each `member_ways`), so every restricted turn happens at a
    junction and a via way's segments are its own, even where a way was split only to map a
    restriction (its two parts merely continue each other).
    """
    via = np.zeros(0, np.int64) if restrictions is None else np.asarray(restrictions, np.int64)[:, 3]
    return np.unique(np.concatenate([via, *(np.asarray(e, np.int64) for e in way_ends)]))


def way_ends(path: str, ways: set[int]) -> list[np.ndarray]:
    """The first and last node ids of each of ``ways`` in an OSM file (libosmium; [] if unreadable)."""
    if not ways:
        return []
    import osmium

    ends: list[np.ndarray] = []
    w: Any  # a way: the filter lets nothing else through
    try:
        for w in osmium.FileProcessor(path).with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)):
            if w.id in ways and len(w.nodes) >= 2:
                ends.append(np.asarray([w.nodes[0].ref, w.nodes[-1].ref], np.int64))
    except (RuntimeError, OSError, ValueError):
        return []
    return ends


def restriction_array(rules: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    """The rules as the ``(k, 5)`` int64 array a `Network` keeps."""
    return np.asarray(rules, dtype=np.int64).reshape(-1, len(COLUMNS))


def way_restriction_array(rules: list[tuple[int, ...]]) -> np.ndarray:
    """Via-way rules as the ``(k, 4 + longest chain)`` int64 array a `Network` keeps (via ids padded with 0)."""
    width = max((len(r) for r in rules), default=len(WAY_COLUMNS) + 1)
    out = np.zeros((len(rules), width), np.int64)
    for i, r in enumerate(rules):
        out[i, : len(r)] = r
    return out


@dataclass(frozen=True)
class TurnBans:
    """Banned manoeuvres of a network: from directed edge ``a[i]`` onto directed edge ``b[i]``.

    ``lead[i]``: the directed edges ridden just before ``a[i]`` for the ban to hold (the
    ``from`` edge and the via ways' edges of a via-way restriction; ``()`` for a via node).
    ``push[i]``: a pedestrian may make the turn (both streets allow walking), so a
    bicycle may push it. ``relations``: restriction rows read from the source;
    ``resolved``: those found on the network.
    """

    a: np.ndarray
    b: np.ndarray
    push: np.ndarray
    relations: int = 0
    resolved: int = 0
    lead: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        if len(self.lead) != len(self.a):
            object.__setattr__(self, "lead", ((),) * len(self.a))

    def __len__(self) -> int:
        return len(self.a)

    def paths(self) -> list[tuple[int, ...]]:
        """Each ban's history: ``lead[i] + (a[i],)``, the edges after which ``b[i]`` may not be ridden."""
        return [(*lead, int(a)) for lead, a in zip(self.lead, self.a.tolist(), strict=True)]


def turn_bans(network) -> TurnBans:
    """Resolve the network's restrictions into banned manoeuvres on directed edges (cached on the network)."""
    return network._cached("turn_bans", lambda: _resolve(network))


class _Edges:
    """The network's directed edges by node and by way, for resolving relations' OSM ids.

    Each index is made on first use, and the junctions only for the OSM ids the relations name: a network's
    few dozen restrictions needed no sort of its 100k junctions' ids nor of its ways (issue #19).
    """

    def __init__(self, net, node_ids):
        m = 2 * net.n_segments
        self.n = net.n_nodes
        self.src = np.empty(m, np.int64)
        self.dst = np.empty(m, np.int64)
        self.src[0::2], self.src[1::2] = net.seg_u, net.seg_v
        self.dst[0::2], self.dst[1::2] = net.seg_v, net.seg_u
        self.way = np.repeat(np.asarray(net.seg_way), 2)
        ids = np.asarray(net.node_id)
        hits = np.flatnonzero(np.isin(ids, np.asarray(node_ids, ids.dtype)))
        self._junction: dict[int, int] = {}
        for k, osm_id in zip(hits.tolist(), ids[hits].tolist(), strict=True):
            self._junction.setdefault(osm_id, k)  # the first junction of an id, as a sorted search found it

    @functools.cached_property
    def outs(self):
        return _by_node(self.n, self.src)

    @functools.cached_property
    def ins(self):
        return _by_node(self.n, self.dst)

    @functools.cached_property
    def _by_way(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.way, kind="stable")
        return order, self.way[order]

    def node(self, osm_id: int) -> int:
        """The junction of an OSM node id given when made, or -1 (not on the network)."""
        return self._junction.get(int(osm_id), -1)

    def of_way(self, way: int) -> list[int]:
        """The directed edges along an OSM way."""
        order, ways = self._by_way
        lo, hi = np.searchsorted(ways, [way, way + 1])
        return order[lo:hi].tolist()


def _resolve(net) -> TurnBans:
    rows = net.restrictions
    way_rows = getattr(net, "way_restrictions", None)
    n_rows = (0 if rows is None else len(rows)) + (0 if way_rows is None else len(way_rows))
    empty = np.zeros(0, np.int64)
    if n_rows == 0 or net.n_segments == 0:
        return TurnBans(empty, empty, np.zeros(0, bool), n_rows, 0)
    from .profiles import NO

    g = _Edges(net, [] if rows is None or not len(rows) else rows[:, 3])  # the via nodes
    bans: dict[tuple[tuple[int, ...], int, int], None] = {}  # (lead, a, b)
    resolved = 0
    for only, direction, from_way, via_node, to_way in [] if rows is None else rows.tolist():
        v = g.node(via_node)
        if v < 0:
            continue  # the via node is on no street of the network (cut off by the extract)
        cand_in = [e for e in g.ins(v) if g.way[e] == from_way]
        cand_out = [e for e in g.outs(v) if g.way[e] == to_way]
        turns = [(a, b) for a in cand_in for b in cand_out if b != a ^ 1 or direction in (0, 4)]
        if _ban(net, g, bans, (), v, turns, only, direction, None):
            resolved += 1
    for row in [] if way_rows is None else way_rows.tolist():
        only, direction, from_way, to_way = row[:4]
        chain = _via_chain(g, from_way, [w for w in row[4:] if w], to_way)
        if chain is None:
            continue  # a member cut off by the extract, or ways that do not meet end to end
        froms, via, tos = chain
        v = int(g.dst[via[-1]])
        turns = [(via[-1], b) for b in tos if b != via[-1] ^ 1 or direction in (0, 4)]
        hit = False
        for f in froms:
            hit |= _ban(net, g, bans, (f, *via[:-1]), v, turns, only, direction, f)
        resolved += hit
    lead = tuple(k[0] for k in bans)
    a = np.fromiter((k[1] for k in bans), np.int64, len(bans))
    b = np.fromiter((k[2] for k in bans), np.int64, len(bans))
    distinct, idx = net.class_index  # a few hundred classes, not a walk of every segment's (issue #19)
    foot = np.fromiter((c.foot != NO for c in distinct), bool, len(distinct))
    return TurnBans(a, b, foot[idx[a // 2]] & foot[idx[b // 2]], n_rows, resolved, lead)


def _ban(net, g: _Edges, bans: dict, lead: tuple[int, ...], v: int, turns, only: int, direction: int, whole) -> bool:
    """Add the bans of one restriction's turns at junction ``v`` (after ``lead``); False if it has none.

    Where several turns fit the members, the one whose angle fits the direction is meant: the angle
    of the turn itself, but for a ``u_turn`` over via ways (``whole``: its ``from`` edge), where the
    whole manoeuvre turns back while its last turn is a left or a right one.
    """
    if not turns:
        return False
    if direction in _ANGLE and len(turns) > 1:
        want = _ANGLE[direction]
        first = whole if whole is not None and direction == 4 else None
        turns = [min(turns, key=lambda t: abs(_wrap(_turn_angle(net, t[0] if first is None else first, t[1]) - want)))]
    for a, b in turns:
        for e in [e for e in g.outs(v) if e != b] if only else [b]:
            bans[(lead, a, e)] = None
    if only:  # several turns allowed from one edge (an only_ to a way leaving both ways): none of them banned
        for a, b in turns:
            bans.pop((lead, a, b), None)
    return True


def _via_chain(g: _Edges, from_way: int, vias: list[int], to_way: int):
    """The via ways as one chain of directed edges from where the ``from`` way meets them to where the
    ``to`` way leaves them: (from edges arriving at its start, the chain, to edges leaving its end), or None.

    The chain rides every via way whole (the relation may list them in any order); the shortest such
    chain, by number of edges, is the one meant.
    """
    via_edges = {e for w in vias for e in g.of_way(w)}
    if not via_edges or from_way in vias or to_way in vias:
        return None
    from_nodes = {int(g.dst[e]) for e in g.of_way(from_way)}
    to_nodes = {int(g.src[e]) for e in g.of_way(to_way)}
    best = None
    for start in sorted(from_nodes):
        chain = _walk(g, start, via_edges, set(vias), to_nodes)
        if chain is not None and (best is None or len(chain) < len(best)):
            best = chain
    if best is None:
        return None
    first, last = best[0], best[-1]
    froms = [e for e in g.ins(int(g.src[first])) if g.way[e] == from_way]
    tos = [e for e in g.outs(int(g.dst[last])) if g.way[e] == to_way]
    return (froms, best, tos) if froms and tos else None


def _walk(g: _Edges, start: int, via_edges: set[int], vias: set[int], ends: set[int]) -> list[int] | None:
    """Breadth-first along the via ways' edges from ``start`` to a node of ``ends``, riding every via way."""
    seen = {start}
    queue: list[tuple[int, list[int]]] = [(start, [])]
    while queue:
        node, path = queue.pop(0)
        if path and node in ends and {int(g.way[e]) for e in path} == vias:
            return path
        for e in g.outs(node):
            w = int(g.dst[e])
            if e in via_edges and w not in seen:
                seen.add(w)
                queue.append((w, [*path, e]))
    return None


def _by_node(n: int, node_of_edge: np.ndarray):
    """``f(v)``: the directed edges whose ``node_of_edge`` is ``v``."""
    order = np.argsort(node_of_edge, kind="stable")
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(node_of_edge, minlength=n), out=ptr[1:])
    return lambda v: order[ptr[v] : ptr[v + 1]].tolist()


def _turn_angle(net, a: int, b: int) -> float:
    """Degrees turned from directed edge ``a`` onto ``b`` at their junction (right positive, -180 to 180)."""
    ca, cb = net.segment_coords(a // 2), net.segment_coords(b // 2)
    p, q = (ca[-2], ca[-1]) if a % 2 == 0 else (ca[1], ca[0])
    r, t = (cb[0], cb[1]) if b % 2 == 0 else (cb[-1], cb[-2])
    return _wrap(_bearing(r, t) - _bearing(p, q))


def _bearing(p, q) -> float:
    dx = (q[0] - p[0]) * np.cos(np.radians((p[1] + q[1]) / 2))
    return float(np.degrees(np.arctan2(dx, q[1] - p[1])))


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0
