"""Read the cycling network of an ``.osm.pbf`` file straight into arrays (pyosmium, numpy, numba).

Why not pyrosm and OSMnx, as before: they build a GeoDataFrame and then a
NetworkX graph with a Python object per node and per edge, and OSMnx simplifies
it node by node: about 6 minutes and 3.8 GB for a 200k-junction regency. Here
one pass of libosmium (C++) hands over only the tagged objects, the topology is
worked out on integer arrays, and the chains between junctions are followed in
compiled code.

The result is the network OSMnx's ``simplify_graph`` would make of pyrosm's
``network_type="all"`` ways with ``edge_attrs_differ`` set to the cycling tags:
a junction is a node where a way starts or ends, where ways cross or branch,
or where the cycling tags change; the stretches between junctions are merged
into one segment. Differences: a node where two overlapping ways run both ways
(OSMnx's "degree 4 with two neighbours" case) is kept as a junction, and
points of interest mapped as relations (multipolygons) are not read. The same
pass reads the turn restrictions (`routes.restrictions`); their via nodes, and
both ends of every way of a restriction over via ways, are kept as junctions, so
every restricted turn happens at a junction of the network and a via way's
segments are its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from . import settings
from .network import EARTH_RADIUS_M
from .progress import stage
from .restrictions import junction_ids, member_ways, restriction_array, rules_of, way_restriction_array, way_rules_of

__all__ = ["read_pbf"]

log = logging.getLogger(__name__)

#: Highway values that are no street (pyrosm's and OSMnx's "all" network leaves them out).
EXCLUDED_HIGHWAY = frozenset(
    {
        "abandoned",
        "construction",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "rest_area",
        "services",
    }
)

Progress = Callable[[str], None]


def read_pbf(path: str, *, poi_match: Callable[[dict[str, str]], bool], progress: Progress | None = None):
    """Ways, nodes and points of interest of ``path``, simplified to junctions and segments.

    Returns a dict of the `routes.network.Network` fields (without ``name``).
    """
    say = progress or (lambda text: None)
    say("reading ways and nodes")
    with stage(f"reading {Path(path).name}"):
        refs, lons, lats, way_ids, way_tag, tag_table, pois, rules, way_rules = _read(path, poi_match)
    if not refs:
        return None
    say(f"simplifying {sum(len(r) for r in refs):,} way nodes of {len(refs):,} ways")
    tag_dicts = [dict(k) for k in tag_table]  # one dict per distinct tag set, shared by its segments
    restrictions = restriction_array(rules)
    way_restrictions = way_restriction_array(way_rules)
    members = member_ways(way_restrictions)
    ends = [r[[0, -1]] for r, w in zip(refs, way_ids, strict=True) if w in members] if members else []
    keep = junction_ids(restrictions, ends)
    with stage("building the cycling network"):
        fields = _simplify(
            refs,
            lons,
            lats,
            np.asarray(way_ids, np.int64),
            np.asarray(way_tag, np.int64),
            tag_dicts,
            pois,
            keep,
        )
    fields["restrictions"] = restrictions
    fields["way_restrictions"] = way_restrictions
    return fields


def _read(path: str, poi_match):
    """One pass of libosmium: the routable ways (node ids and positions, tag set), the points of interest
    and the turn restrictions that bind a bicycle (`routes.restrictions.rules_of`)."""
    import osmium

    way_tags = tuple(settings.way_tags)
    poi_keys = ("tourism", "historic", "amenity", "leisure", "natural")
    refs: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    way_ids: list[int] = []
    way_tag: list[int] = []
    tag_table: dict[tuple[tuple[str, str], ...], int] = {}
    pois: list[dict[str, Any]] = []
    rules: list[tuple[int, int, int, int, int]] = []
    way_rules: list[tuple[int, ...]] = []
    fp = (
        osmium.FileProcessor(path)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway", "type", *poi_keys))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION))
    )
    obj: Any  # a node, a way or a relation: the filters let nothing else through
    for obj in fp:
        tags = obj.tags
        if obj.is_relation():
            members = [(m.type, m.ref, m.role) for m in obj.members]
            rules.extend(rules_of(dict(tags), members))
            way_rules.extend(way_rules_of(dict(tags), members))
            continue
        if obj.is_way():
            hw = tags.get("highway")
            if hw is not None and hw not in EXCLUDED_HIGHWAY and tags.get("area") != "yes":
                nodes = obj.nodes
                if len(nodes) >= 2:
                    try:
                        ids = [n.ref for n in nodes]
                        xs = [n.lon for n in nodes]
                        ys = [n.lat for n in nodes]
                    except osmium.InvalidLocationError:  # nodes cut off at the extract's edge
                        ids, xs, ys = _located(nodes)
                    if len(ids) >= 2:
                        key = tuple((k, tags[k]) for k in way_tags if k in tags)
                        way_tag.append(tag_table.setdefault(key, len(tag_table)))
                        way_ids.append(obj.id)
                        refs.append(np.array(ids, np.int64))
                        lons.append(np.array(xs))
                        lats.append(np.array(ys))
                continue
            if any(k in tags for k in poi_keys):
                poi = _poi(obj, dict(tags), poi_match)
                if poi is not None:
                    pois.append(poi)
        elif obj.is_node():
            poi_tags = dict(tags)
            if poi_match(poi_tags):
                pois.append(
                    {
                        "osm_type": "node",
                        "osm_id": int(obj.id),
                        "lon": round(obj.location.lon, 7),
                        "lat": round(obj.location.lat, 7),
                        "tags": poi_tags,
                    }
                )
    return refs, lons, lats, way_ids, way_tag, tag_table, pois, rules, way_rules


def _located(nodes) -> tuple[list[int], list[float], list[float]]:
    ids, xs, ys = [], [], []
    for n in nodes:
        if n.location.valid():
            ids.append(n.ref)
            xs.append(n.lon)
            ys.append(n.lat)
    return ids, xs, ys


def _poi(way, tags: dict[str, str], poi_match) -> dict[str, Any] | None:
    if not poi_match(tags):
        return None
    import shapely

    try:
        xy = [(n.lon, n.lat) for n in way.nodes]
    except Exception:
        xy = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
    if not xy:
        return None
    if len(xy) >= 4 and xy[0] == xy[-1]:
        geom = shapely.Polygon(xy)
        pt = geom.representative_point() if geom.is_valid else shapely.LineString(xy).representative_point()
    elif len(xy) >= 2:
        pt = shapely.LineString(xy).representative_point()
    else:
        pt = shapely.Point(xy[0])
    return {"osm_type": "way", "osm_id": int(way.id), "lon": round(pt.x, 7), "lat": round(pt.y, 7), "tags": tags}


def _simplify(refs, lons, lats, way_ids, way_tag, tag_dicts, pois, via_nodes) -> dict[str, Any]:
    counts = np.fromiter((len(r) for r in refs), np.int64, count=len(refs))
    all_refs = np.concatenate(refs)
    all_lon = np.concatenate(lons)
    all_lat = np.concatenate(lats)
    node_id, first, inverse = np.unique(all_refs, return_index=True, return_inverse=True)
    node_lon, node_lat = all_lon[first], all_lat[first]
    del all_refs, all_lon, all_lat
    # directed edges along each way, between consecutive distinct nodes
    way_of = np.repeat(np.arange(len(refs)), counts)
    same_way = way_of[:-1] == way_of[1:]
    eu, ev, ew = inverse[:-1][same_way], inverse[1:][same_way], way_of[:-1][same_way]
    keep = eu != ev
    eu, ev, ew = eu[keep], ev[keep], ew[keep]
    et = way_tag[ew]
    n = len(node_id)
    junction = _junctions(n, eu, ev, et)
    # a turn restriction's via node is a junction, even where two ways merely continue each other there
    # (and so are the ends of a via-way restriction's ways: ``via_nodes`` holds them too)
    via = np.searchsorted(node_id, via_nodes)
    via = via[(via < n) & (node_id[np.minimum(via, n - 1)] == via_nodes)]
    junction[via] = True
    seg_edges_ptr, seg_edges = _chains(n, eu, ev, junction)
    # segment endpoints, geometry and length
    first_e = seg_edges[seg_edges_ptr[:-1]]
    last_e = seg_edges[seg_edges_ptr[1:] - 1]
    seg_u, seg_v = eu[first_e], ev[last_e]
    n_pts = np.diff(seg_edges_ptr) + 1
    offsets = np.zeros(len(n_pts) + 1, np.int64)
    np.cumsum(n_pts, out=offsets[1:])
    pts = _chain_points(seg_edges_ptr, seg_edges, eu, ev, offsets)
    coords = np.column_stack([node_lon[pts], node_lat[pts]])
    step = _haversine(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    inside = np.ones(len(step), bool)
    inside[offsets[1:-1] - 1] = False  # the step from one segment's last point to the next segment's first
    csum = np.concatenate([[0.0], np.cumsum(np.where(inside, step, 0.0))])
    seg_length = csum[offsets[1:] - 1] - csum[offsets[:-1]]
    # junctions only, renumbered
    used = np.zeros(n, bool)
    used[seg_u] = used[seg_v] = True
    new_index = np.cumsum(used) - 1
    tags = [tag_dicts[t] for t in et[first_e].tolist()]
    return {
        "node_id": node_id[used],
        "node_lon": node_lon[used],
        "node_lat": node_lat[used],
        "seg_u": new_index[seg_u].astype(np.int32),
        "seg_v": new_index[seg_v].astype(np.int32),
        "seg_length": seg_length,
        "seg_way": way_ids[ew[first_e]],
        "coords": coords,
        "offsets": offsets,
        "tags": tags,
        "pois": pois,
    }


def _junctions(n: int, eu: np.ndarray, ev: np.ndarray, et: np.ndarray) -> np.ndarray:
    """OSMnx's endpoint rule: the nodes a simplified graph keeps."""
    indeg = np.bincount(ev, minlength=n)
    outdeg = np.bincount(eu, minlength=n)
    # distinct neighbours, either direction
    a = np.concatenate([eu, ev])
    b = np.concatenate([ev, eu])
    pair = np.unique(a * n + b)
    nbrs = np.bincount(pair // n, minlength=n)
    # distinct tag sets among the edges touching each node
    tag_pairs = np.unique(a * (int(et.max()) + 1) + np.concatenate([et, et]))
    tag_kinds = np.bincount(tag_pairs // (int(et.max()) + 1), minlength=n)
    return (indeg != 1) | (outdeg != 1) | (nbrs != 2) | (tag_kinds > 1)


@njit(cache=True)
def _chains(n, eu, ev, junction):
    """Group edges into chains from junction to junction: (ptr, edge ids in travel order).

    Edges on a loop without any junction (an isolated ring) stay segments of their own.
    """
    m = len(eu)
    out_edge = np.full(n, -1, np.int64)  # the one edge leaving a non-junction node
    for e in range(m):
        if not junction[eu[e]]:
            out_edge[eu[e]] = e
    seen = np.zeros(m, np.bool_)
    order = np.empty(m, np.int64)
    ptr = np.empty(m + 1, np.int64)
    ptr[0] = 0
    k = 0
    s = 0
    for e0 in range(m):
        if not junction[eu[e0]]:
            continue
        e = e0
        while True:
            seen[e] = True
            order[k] = e
            k += 1
            v = ev[e]
            if junction[v]:
                break
            e = out_edge[v]
            if seen[e]:
                break
        s += 1
        ptr[s] = k
    for e in range(m):
        if not seen[e]:
            junction[eu[e]] = True
            junction[ev[e]] = True
            order[k] = e
            k += 1
            s += 1
            ptr[s] = k
    return ptr[: s + 1], order[:k]


@njit(cache=True)
def _chain_points(ptr, edges, eu, ev, offsets):
    pts = np.empty(offsets[-1], np.int64)
    for s in range(len(ptr) - 1):
        o = offsets[s]
        pts[o] = eu[edges[ptr[s]]]
        for i in range(ptr[s], ptr[s + 1]):
            o += 1
            pts[o] = ev[edges[i]]
    return pts


def _haversine(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
