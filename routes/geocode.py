"""Geocoding offline: search the extract's places, streets, addresses and destinations; name a point.

`build_place_index` reads the same OSM file a network comes from (with
pyosmium) and writes one SQLite file beside the network cache, with an FTS5
full-text index (``unicode61 remove_diacritics 2``: "zurich" finds "Zürich",
"BAMMILI" finds "Bammiliweg"):

- places: ``place`` = city, town, village, suburb, neighbourhood, quarter, hamlet;
- streets: the named ways of the network, one entry per name and 2 km cell;
- addresses: ``addr:housenumber`` with ``addr:street`` or ``addr:place`` (nodes
  and building outlines), labelled "Bammiliweg 12, Vaduz" (``addr:city``, else
  the nearest town or village);
- destinations: the network's destinations with a name (`routes.places`).

`PlaceIndex.search` matches every word as a prefix and ranks by kind
(destinations and towns before streets before addresses) and distance to a
point (the map view); `PlaceIndex.reverse` names a point by the address there
(within 40 m), else the street (within 60 m) and place, else the place::

    idx = load_place_index(net)            # built once, cached
    idx.search("bammili 12", near=(47.14, 9.52))[0]["label"]   # 'Bammiliweg 12, Vaduz'
    idx.reverse(47.1410, 9.5215)["label"]
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import sqlite3
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from . import settings
from .errors import InvalidValueError, SourceError
from .network import Network
from .sources import resolve_source

__all__ = [
    "KINDS",
    "PLACES_VERSION",
    "PlaceIndex",
    "build_place_index",
    "load_place_index",
    "name_waypoints",
    "normalize",
]

log = logging.getLogger(__name__)

#: Bump when the build changes what an index holds.
PLACES_VERSION = 2

#: Kinds of entries, in ranking order (lower first at equal distance).
KINDS: dict[str, int] = {
    "city": 0,
    "town": 0,
    "village": 0,
    "destination": 1,
    "suburb": 2,
    "quarter": 2,
    "neighbourhood": 3,
    "hamlet": 3,
    "street": 4,
    "address": 5,
}
PLACE_TAGS = {"city", "town", "village", "suburb", "quarter", "neighbourhood", "hamlet"}
#: Places an address or a street is said to be in ("..., Vaduz").
SETTLEMENTS = ("city", "town", "village", "suburb", "hamlet")  # five: PlaceIndex reads them with 5 placeholders

#: A point farther than this from every town and village has no place name.
PLACE_REACH_M = 8000.0

#: Longest accepted query, in characters.
MAX_QUERY = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def normalize(text: str) -> str:
    """Lower case without accents: ``"Zürich"`` -> ``"zurich"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _index_path(net: Network, source, cache_folder) -> Path:
    src = resolve_source(source)
    h = hashlib.sha256(f"places v{PLACES_VERSION}|{src.cache_key()}|{net.n_segments}".encode())
    return Path(cache_folder or settings.cache_folder) / f"places-{h.hexdigest()[:24]}.sqlite"


def load_place_index(net: Network, source=None, *, cache_folder: str | Path | None = None) -> PlaceIndex:
    """The place index of ``net`` (built from its OSM file once, then read from the cache)."""
    source = source or net.meta.get("source") or "demo"
    path = _index_path(net, source, cache_folder)
    if not path.exists():
        build_place_index(net, source, path)
    return PlaceIndex(path)


# --------------------------------------------------------------------------- build


def _read_osm(path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Places and addresses of an OSM file (pbf or XML), with pyosmium."""
    import osmium

    places: list[dict[str, Any]] = []
    addresses: list[dict[str, Any]] = []

    def record(tags, lat: float, lon: float) -> None:
        place, name = tags.get("place"), tags.get("name")
        if place in PLACE_TAGS and name:
            places.append(
                {
                    "kind": place,
                    "name": name,
                    "name_en": tags.get("name:en") or "",
                    "name_id": tags.get("name:id") or "",
                    "lat": lat,
                    "lon": lon,
                }
            )
        number = tags.get("addr:housenumber")
        street = tags.get("addr:street") or tags.get("addr:place")
        if number and street:
            addresses.append(
                {"street": street, "number": number, "city": tags.get("addr:city") or "", "lat": lat, "lon": lon}
            )

    class Reader(osmium.SimpleHandler):
        def node(self, n):
            if "place" in n.tags or "addr:housenumber" in n.tags:
                record(n.tags, n.location.lat, n.location.lon)

        def way(self, w):
            if "addr:housenumber" not in w.tags and "place" not in w.tags:
                return
            pts = [(r.location.lat, r.location.lon) for r in w.nodes if r.location.valid()]
            if pts:
                lat, lon = np.mean(np.asarray(pts), axis=0)
                record(w.tags, float(lat), float(lon))

    try:
        Reader().apply_file(path, locations=True)
    except RuntimeError as exc:
        raise SourceError(f"cannot read names from {Path(path).name}: {exc}") from None
    return places, addresses


def _streets(net: Network) -> list[dict[str, Any]]:
    """One entry per street name and 2 km cell, at the middle of its segments there."""
    mid = np.array(
        [0.5 * (net.coords[net.offsets[s]] + net.coords[net.offsets[s + 1] - 1]) for s in range(net.n_segments)]
    )
    groups: dict[tuple[str, int, int], list[int]] = {}
    for s, tags in enumerate(net.tags):
        name = tags.get("name")
        if name:
            lon, lat = mid[s]
            groups.setdefault((name, int(lat // 0.018), int(lon // 0.027)), []).append(s)
    out = []
    for (name, _, _), segs in groups.items():
        pts = mid[segs]
        centre = pts.mean(axis=0)
        lon, lat = pts[np.argmin(((pts - centre) ** 2).sum(axis=1))]
        out.append({"kind": "street", "name": name, "lat": float(lat), "lon": float(lon)})
    return out


def _destinations(net: Network) -> list[dict[str, Any]]:
    """The network's destinations (`routes.places.destinations_of`: classified, duplicates merged)."""
    from .places import destinations_of

    out = []
    for p in destinations_of(net):
        tags = p.get("tags", {})
        if tags.get("name"):
            out.append(
                {
                    "kind": "destination",
                    "name": tags["name"],
                    "name_en": tags.get("name:en", ""),
                    "name_id": tags.get("name:id", ""),
                    "lat": p["lat"],
                    "lon": p["lon"],
                }
            )
    return out


class _Near:
    """Nearest settlement of a point (for "..., Vaduz")."""

    def __init__(self, places: list[dict[str, Any]]):
        self.places = [p for p in places if p["kind"] in SETTLEMENTS]
        self.tree = (
            cKDTree(_xy([p["lat"] for p in self.places], [p["lon"] for p in self.places])) if self.places else None
        )

    def name(self, lat: float, lon: float, max_m: float = math.inf) -> str:
        if self.tree is None:
            return ""
        dist, i = self.tree.query(_xy([lat], [lon])[0])
        return self.places[int(i)]["name"] if dist <= max_m else ""


def _xy(lats, lons) -> np.ndarray:
    """Metres on a plane (equirectangular at mid-Europe scale; only used for nearness)."""
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    return np.column_stack([lon * 111_320.0 * np.cos(np.radians(lat)), lat * 110_574.0])


def build_place_index(net: Network, source, path: str | Path) -> Path:
    """Write the SQLite/FTS5 index of ``net``'s OSM file to ``path`` (atomically)."""
    t0 = time.perf_counter()
    src = resolve_source(source)
    places, addresses = _read_osm(src.spec) if src.kind in ("pbf", "xml") else ([], [])
    near = _Near(places)
    rows: list[tuple] = []
    for p in places + _destinations(net):
        where = (
            near.name(p["lat"], p["lon"]) if p["kind"] in ("suburb", "neighbourhood", "quarter", "destination") else ""
        )
        label = p["name"] if not where or where == p["name"] else f"{p['name']}, {where}"
        rows.append((p["kind"], p["name"], p.get("name_en", ""), p.get("name_id", ""), label, p["lat"], p["lon"]))
    for s in _streets(net):
        where = near.name(s["lat"], s["lon"])
        rows.append(("street", s["name"], "", "", f"{s['name']}, {where}" if where else s["name"], s["lat"], s["lon"]))
    for a in addresses:
        name = f"{a['street']} {a['number']}"
        where = a["city"] or near.name(a["lat"], a["lon"])
        rows.append(("address", name, "", "", f"{name}, {where}" if where else name, a["lat"], a["lon"]))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-places-", suffix=".sqlite")
    os.close(fd)
    try:
        with sqlite3.connect(tmp) as db:
            db.executescript(
                """
                CREATE TABLE item (id INTEGER PRIMARY KEY, kind TEXT, rank INTEGER, name TEXT, name_en TEXT,
                                   name_id TEXT, label TEXT, lat REAL, lon REAL);
                CREATE VIRTUAL TABLE item_fts USING fts5(words, content='', tokenize='unicode61 remove_diacritics 2',
                                                         prefix='1 2 3');
                """
            )
            db.executemany(
                "INSERT INTO item (kind, rank, name, name_en, name_id, label, lat, lon) VALUES (?,?,?,?,?,?,?,?)",
                [(k, KINDS[k], n, en, iid, label, lat, lon) for k, n, en, iid, label, lat, lon in rows],
            )
            db.executemany(
                "INSERT INTO item_fts (rowid, words) VALUES (?, ?)",
                [(i + 1, " ".join(dict.fromkeys(filter(None, (r[1], r[2], r[3], r[4]))))) for i, r in enumerate(rows)],
            )
            db.execute("CREATE INDEX item_kind ON item (kind)")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("place index of %s: %d names (%.1f s)", src.label, len(rows), time.perf_counter() - t0)
    return path


# --------------------------------------------------------------------------- query


def _match_expression(query: str) -> str:
    """FTS5 query: every word as a prefix (quoted, so no word is read as an operator)."""
    words = re.findall(r"\w+", normalize(query))
    if not words:
        raise InvalidValueError("the query has no letters or digits")
    return " AND ".join(f'"{w}"*' for w in words[:8])


def check_query(query: str | None) -> str:
    """The query stripped, or `InvalidValueError` (empty, too long, control characters)."""
    text = (query or "").strip()
    if not text:
        raise InvalidValueError("q must not be empty")
    if len(text) > MAX_QUERY:
        raise InvalidValueError(f"q is longer than {MAX_QUERY} characters")
    if _CONTROL.search(text):
        raise InvalidValueError("q must not contain control characters")
    return text


class PlaceIndex:
    """Search and reverse lookup on one place index file (thread-safe: a connection per thread)."""

    #: A match farther than this many kilometres from ``near`` weighs one kind more (see `search`).
    KM_PER_KIND = 3.0
    #: Most matches ranked, by the length of the query's shortest word (1, 2, 3 or more letters).
    CANDIDATES = (300, 1200, 4000)
    #: Score added to an entry whose own name does not match every word of the query.
    LABEL_ONLY = 4.0

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        db = self._db()
        rows = db.execute("SELECT id, kind, label, lat, lon FROM item WHERE kind IN ('address', 'street')").fetchall()
        self._ids = {k: np.array([r[0] for r in rows if r[1] == k], dtype=np.int64) for k in ("address", "street")}
        self._labels = {r[0]: r[2] for r in rows}
        self._trees = {}
        for kind in self._ids:
            pts = [(r[3], r[4]) for r in rows if r[1] == kind]
            self._trees[kind] = cKDTree(_xy(*zip(*pts, strict=True))) if pts else None
        places = db.execute(
            "SELECT kind, name, lat, lon FROM item WHERE kind IN (?, ?, ?, ?, ?)", SETTLEMENTS
        ).fetchall()
        self._near = _Near([{"kind": k, "name": n, "lat": lat, "lon": lon} for k, n, lat, lon in places])

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        return db

    def __len__(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM item").fetchone()[0])

    def search(
        self, query: str, *, near: tuple[float, float] | None = None, lang: str = "en", limit: int = 10
    ) -> list[dict[str, Any]]:
        """Entries whose words start with the query's words, best first.

        The score is the kind's rank (`KINDS`) plus one per `KM_PER_KIND` km from
        ``near`` (lat, lon): a street nearby comes before a town far away. An entry
        found only through the place in its label ("Postmuseum, Vaduz" for "vaduz")
        comes after those whose own name matches (`LABEL_ONLY`).
        """
        text = check_query(query)
        match = _match_expression(text)
        words = re.findall(r"\w+", normalize(text))
        # one or two letters match a large share of a region: rank a sample, not every match
        shortest = min(len(w) for w in words)
        cap = self.CANDIDATES[min(shortest, len(self.CANDIDATES)) - 1]
        lat0, lon0 = near if near is not None else (0.0, 0.0)
        k = math.cos(math.radians(lat0))
        # squared degrees to km^2 is about 111^2; the distance term stays in SQL so only `limit` rows come back
        rows = (
            self._db()
            .execute(
                """
            SELECT kind, name, name_en, name_id, label, lat, lon,
                   rank + CASE WHEN ? THEN sqrt(((lat - ?) * (lat - ?)) + ((lon - ?) * ? * (lon - ?) * ?)) * 111.0 / ?
                               ELSE 0 END AS score
            FROM item WHERE id IN (SELECT rowid FROM item_fts WHERE item_fts MATCH ? LIMIT ?)
            ORDER BY score, length(name) LIMIT ?
            """,
                (near is not None, lat0, lat0, lon0, k, lon0, k, self.KM_PER_KIND, match, cap, limit * 5),
            )
            .fetchall()
        )

        def own_name(row) -> bool:
            names = re.findall(r"\w+", normalize(" ".join(filter(None, row[1:4]))))
            return all(any(n.startswith(w) for n in names) for w in words)

        rows = sorted(rows, key=lambda r: (r[7] + (0 if own_name(r) else self.LABEL_ONLY), len(r[1])))[:limit]
        out = []
        for kind, name, name_en, name_id, label, lat, lon, _score in rows:
            local = {"en": name_en, "id": name_id}.get(lang) or ""
            shown = label.replace(name, local, 1) if local else label
            item = {"kind": kind, "name": local or name, "label": shown, "lat": lat, "lon": lon}
            if near is not None:
                item["distance_m"] = round(float(np.hypot(*(_xy([lat], [lon])[0] - _xy([lat0], [lon0])[0]))))
            out.append(item)
        return out

    def reverse(self, lat: float, lon: float) -> dict[str, Any] | None:
        """The name of what is at a point: an address, else street and place, else the place; None far away."""
        tree = self._trees.get("address")
        if tree is not None:
            dist, i = tree.query(_xy([lat], [lon])[0])
            if dist <= 40.0:
                label = self._labels[int(self._ids["address"][int(i)])]
                return {"kind": "address", "label": label, "distance_m": round(float(dist))}
        street = self._street_at(lat, lon)
        place = self._near.name(lat, lon, max_m=PLACE_REACH_M)
        if street:
            return {"kind": "street", "label": f"{street}, {place}" if place and place != street else street}
        if place:
            return {"kind": "place", "label": place}
        return None

    #: The network's named streets near a point (set by `attach_network`).
    _street_tree: cKDTree | None = None
    _street_names: list[str] = []

    def attach_network(self, net: Network) -> PlaceIndex:
        """Use the network's street geometry to name a point on a street (more exact than the index's centres)."""
        named = [s for s, t in enumerate(net.tags) if t.get("name")]
        if not named:
            return self
        counts = np.diff(net.offsets)[named]
        idx = np.concatenate([np.arange(net.offsets[s], net.offsets[s + 1]) for s in named])
        pts = net.coords[idx]
        # densify: a point every ~15 m along each segment would be exact; the geometry points suffice for 60 m
        self._street_tree = cKDTree(_xy(pts[:, 1], pts[:, 0]))
        self._street_names = list(np.repeat(np.array([net.tags[s]["name"] for s in named], dtype=object), counts))
        return self

    def _street_at(self, lat: float, lon: float) -> str:
        if self._street_tree is None:
            return ""
        dist, i = self._street_tree.query(_xy([lat], [lon])[0])
        return self._street_names[int(i)] if dist <= 60.0 else ""


def name_waypoints(feature: dict[str, Any], index: PlaceIndex) -> dict[str, Any]:
    """Give a route Feature's unnamed waypoints the name of what is at their input point (in place)."""
    for w in feature.get("properties", {}).get("waypoints", []):
        if not w.get("name"):
            lon, lat = w["input"][:2]
            found = index.reverse(lat, lon)
            if found:
                w["name"] = found["label"]
    return feature
