"""Turn restrictions: OSM ``type=restriction`` relations as the turns a bicycle may not ride.

What binds a bicycle (`restriction_value`), as OSM's wiki and OSRM's bicycle profile read it:

- ``restriction:bicycle=*`` when present, whatever ``restriction`` says;
- otherwise ``restriction=*``, unless ``except`` names ``bicycle``;
- restrictions for other vehicles only (``restriction:hgv``...) and conditional ones do not.

``no_*`` forbids the turn from the ``from`` way over the ``via`` node onto the
``to`` way; ``only_*`` forbids every other turn from the ``from`` way at that
node. Restrictions over a via *way* (a chain of turns) are not read: none of the
extracts bikemap is tested on has one, and a via node covers almost all.

`turn_bans` resolves the relations on a `Network` into pairs of directed edges
(edge ``2 * s`` along segment ``s``, ``2 * s + 1`` against it), which
`routes._turns` turns into a routing graph. A banned turn may still be made on
foot, pushing, where pedestrians may use both streets and the profile pushes at
all (see ``turn_push_m`` in ``routes/data/profiles.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TurnBans", "read_restrictions", "restriction_array", "restriction_value", "rules_of", "turn_bans"]

#: Columns of `Network.restrictions`: only (1) or no (0), direction, from way, via node, to way (OSM ids).
COLUMNS = ("only", "direction", "from_way", "via_node", "to_way")
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


def rules_of(tags: dict[str, str], members: list[tuple[str, int, str]]) -> list[tuple[int, int, int, int, int]]:
    """Rows of `COLUMNS` for one relation (``members``: (type ``n``/``w``/``r``, id, role)); [] if none binds."""
    value = restriction_value(tags)
    if value is None:
        return []
    kind, _, what = value.partition("_")
    if kind not in ("no", "only") or what not in _DIRECTION:
        return []
    vias = [(t, ref) for t, ref, role in members if role == "via"]
    if len(vias) != 1 or vias[0][0] != "n":
        return []  # via ways (or a broken relation): not read
    froms = [ref for t, ref, role in members if role == "from" and t == "w"]
    tos = [ref for t, ref, role in members if role == "to" and t == "w"]
    return [(int(kind == "only"), _DIRECTION[what], f, vias[0][1], t) for f in froms for t in tos]


def read_restrictions(path: str) -> np.ndarray | None:
    """The rules of every restriction relation in an OSM file (XML or PBF, libosmium), None if unreadable."""
    import osmium

    rules: list[tuple[int, int, int, int, int]] = []
    r: Any  # a relation: the filter lets nothing else through
    try:
        for r in osmium.FileProcessor(path).with_filter(osmium.filter.EntityFilter(osmium.osm.RELATION)):
            rules.extend(rules_of(dict(r.tags), [(m.type, m.ref, m.role) for m in r.members]))
    except (RuntimeError, OSError, ValueError):  # a file OSMnx could read but libosmium cannot: no restrictions
        return None
    return restriction_array(rules)


def restriction_array(rules: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    """The rules as the ``(k, 5)`` int64 array a `Network` keeps."""
    return np.asarray(rules, dtype=np.int64).reshape(-1, len(COLUMNS))


@dataclass(frozen=True)
class TurnBans:
    """Banned turns of a network: from directed edge ``a[i]`` onto directed edge ``b[i]``.

    ``push[i]``: a pedestrian may make the turn (both streets allow walking), so a
    bicycle may push it. ``relations``: restriction rows read from the source;
    ``resolved``: those found on the network.
    """

    a: np.ndarray
    b: np.ndarray
    push: np.ndarray
    relations: int = 0
    resolved: int = 0

    def __len__(self) -> int:
        return len(self.a)


def turn_bans(network) -> TurnBans:
    """Resolve ``network.restrictions`` into banned pairs of directed edges (cached on the network)."""
    return network._cached("turn_bans", lambda: _resolve(network))


def _resolve(net) -> TurnBans:
    rows = net.restrictions
    empty = np.zeros(0, np.int64)
    if rows is None or len(rows) == 0 or net.n_segments == 0:
        return TurnBans(empty, empty, np.zeros(0, bool), 0 if rows is None else len(rows), 0)
    from .profiles import NO

    m = 2 * net.n_segments
    src = np.empty(m, np.int64)
    dst = np.empty(m, np.int64)
    src[0::2], src[1::2] = net.seg_u, net.seg_v
    dst[0::2], dst[1::2] = net.seg_v, net.seg_u
    way = np.repeat(np.asarray(net.seg_way), 2)
    outs = _by_node(net.n_nodes, src)
    ins = _by_node(net.n_nodes, dst)
    by_id = np.argsort(net.node_id, kind="stable")
    sorted_ids = net.node_id[by_id]
    pairs: dict[tuple[int, int], None] = {}
    resolved = 0
    for only, direction, from_way, via_node, to_way in rows.tolist():
        k = int(np.searchsorted(sorted_ids, via_node))
        if k >= len(sorted_ids) or sorted_ids[k] != via_node:
            continue  # the via node is on no street of the network (cut off by the extract)
        v = int(by_id[k])
        cand_in = [e for e in ins(v) if way[e] == from_way]
        cand_out = [e for e in outs(v) if way[e] == to_way]
        turns = [(a, b) for a in cand_in for b in cand_out if b != a ^ 1 or direction in (0, 4)]
        if not turns:
            continue
        if direction in _ANGLE and len(turns) > 1:
            want = _ANGLE[direction]
            turns = [min(turns, key=lambda t: abs(_wrap(_turn_angle(net, *t) - want)))]
        resolved += 1
        for a, b in turns:
            banned = [e for e in outs(v) if e != b] if only else [b]
            for e in banned:
                pairs[(a, e)] = None
        if only:  # several turns allowed from one edge (an only_ to a way leaving both ways): none of them banned
            for a, b in turns:
                pairs.pop((a, b), None)
    a = np.fromiter((p[0] for p in pairs), np.int64, len(pairs))
    b = np.fromiter((p[1] for p in pairs), np.int64, len(pairs))
    foot = np.fromiter((c.foot != NO for c in net.classes), bool, net.n_segments)
    return TurnBans(a, b, foot[a // 2] & foot[b // 2], len(rows), resolved)


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
