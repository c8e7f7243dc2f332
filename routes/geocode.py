"""Geocoding offline: search the extract's places, streets, addresses and destinations; name a point.

`place_rows` reads the OSM file a network comes from (pyosmium): places
(city ... hamlet), the network's named streets (one entry per name and 2 km
cell), addresses (``addr:housenumber`` with ``addr:street`` or ``addr:place``,
labelled "Bammiliweg 12, Vaduz") and the network's named destinations
(`routes.places`). `build_place_index` writes them to one SQLite file beside the
network cache with an FTS5 index of their normalised words ("zurich" finds
"Zürich"); the web app keeps the same rows in PostgreSQL when it runs on it
(any `PlaceStore` serves `PlaceIndex`).

`PlaceIndex.search` matches every word as a prefix and ranks by kind and by
distance to the map view; `PlaceIndex.reverse` names a point by the address
there (within 40 m), else the street (within 60 m) and place, else the place::

    idx = load_place_index(net)            # built once, cached
    idx.search("bammili 12", near=(47.14, 9.52))[0]["label"]   # 'Bammiliweg 12, Vaduz'
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import settings
from ._placerows import (
    KINDS,
    PLACE_REACH_M,
    SETTLEMENTS,
    Nearest,
    _km,
    _Near,
    _xy,
    build_place_index,
    index_words,
    normalize,
    place_rows,
)
from .errors import InvalidValueError
from .network import Network
from .sources import resolve_source

#: How near a named street's geometry point must be for `PlaceIndex.reverse` to name a point by it.
STREET_REACH_M = 60.0

__all__ = [
    "KINDS",
    "PLACES_VERSION",
    "Match",
    "PlaceIndex",
    "PlaceStore",
    "SqliteStore",
    "build_place_index",
    "index_key",
    "index_words",
    "load_place_index",
    "name_waypoints",
    "normalize",
    "place_rows",
    "query_words",
]

log = logging.getLogger(__name__)

#: Bump when the build changes what an index holds.
PLACES_VERSION = 3  # 3: the words are normalised ("Straße" is found by "strasse")

#: Longest accepted query, in characters.
MAX_QUERY = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def index_key(net: Network, source) -> str:
    """What names one place index: the build's version, the OSM file and the network."""
    src = resolve_source(source)
    return hashlib.sha256(f"places v{PLACES_VERSION}|{src.cache_key()}|{net.n_segments}".encode()).hexdigest()[:24]


def _index_path(net: Network, source, cache_folder) -> Path:
    return Path(cache_folder or settings.cache_folder) / f"places-{index_key(net, source)}.sqlite"


def load_place_index(net: Network, source=None, *, cache_folder: str | Path | None = None) -> PlaceIndex:
    """The place index of ``net`` (built from its OSM file once, then read from the cache)."""
    source = source or net.meta.get("source") or "demo"
    path = _index_path(net, source, cache_folder)
    if not path.exists():
        build_place_index(net, source, path)
    return PlaceIndex(path)


def query_words(query: str) -> list[str]:
    """The normalised words of a checked query (at most 8); `InvalidValueError` when it has none."""
    words = re.findall(r"\w+", normalize(check_query(query)))
    if not words:
        raise InvalidValueError("the query has no letters or digits")
    return words[:8]


# --------------------------------------------------------------------------- query


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


@dataclass(frozen=True)
class Match:
    """How `PlaceIndex.search` asks a store for candidates (every word a prefix of an entry's words).

    The store scores each entry ``rank + distance_km / km_per_kind`` from ``near``
    (no distance term without it), ranks at most ``cap`` of the entries that match
    (one or two letters match a large share of a region: a sample, not every
    match), and answers the best ``limit`` as ``(kind, name, name_en, name_id,
    label, lat, lon, score)``.
    """

    words: list[str]
    near: tuple[float, float] | None
    km_per_kind: float
    cap: int
    limit: int


class PlaceStore(Protocol):
    """Where the entries of a place index live: an SQLite/FTS5 file, or the web app's PostgreSQL."""

    def items(self, kinds: tuple[str, ...]) -> list[tuple[int, str, str, str, float, float]]:
        """``(id, kind, name, label, lat, lon)`` of every entry of those kinds."""
        ...

    def count(self) -> int: ...

    def match(self, m: Match) -> list[tuple]: ...


class SqliteStore:
    """A place index file (`build_place_index`) with its FTS5 table (thread-safe: a connection per thread)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        return db

    def items(self, kinds: tuple[str, ...]) -> list[tuple[int, str, str, str, float, float]]:
        marks = ",".join("?" * len(kinds))
        sql = f"SELECT id, kind, name, label, lat, lon FROM item WHERE kind IN ({marks})"  # nosec B608: only "?" placeholders are formatted into it
        return self._db().execute(sql, kinds).fetchall()

    def count(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM item").fetchone()[0])

    def match(self, m: Match) -> list[tuple]:
        # every word as a prefix, quoted so that no word is read as an FTS5 operator
        expression = " AND ".join(f'"{w}"*' for w in m.words)
        lat0, lon0 = m.near if m.near is not None else (0.0, 0.0)
        k = math.cos(math.radians(lat0))
        # squared degrees to km^2 is about 111^2; the distance term stays in SQL so only `limit` rows come back
        sql = """
            SELECT kind, name, name_en, name_id, label, lat, lon,
                   rank + CASE WHEN ? THEN sqrt(((lat - ?) * (lat - ?)) + ((lon - ?) * ? * (lon - ?) * ?)) * 111.0 / ?
                               ELSE 0 END AS score
            FROM item WHERE id IN (SELECT rowid FROM item_fts WHERE item_fts MATCH ? LIMIT ?)
            ORDER BY score, length(name) LIMIT ?
        """
        args = (m.near is not None, lat0, lat0, lon0, k, lon0, k, m.km_per_kind, expression, m.cap, m.limit)
        return self._db().execute(sql, args).fetchall()


class PlaceIndex:
    """Search and reverse lookup on the entries of one place index (`PlaceStore`)."""

    #: A match farther than this many kilometres from ``near`` weighs one kind more (see `search`).
    KM_PER_KIND = 3.0
    #: Most matches ranked, by the length of the query's shortest word (1, 2, 3 or more letters).
    CANDIDATES = (300, 1200, 4000)
    #: Score added to an entry whose own name does not match every word of the query.
    LABEL_ONLY = 4.0

    def __init__(self, source: str | Path | PlaceStore):
        """``source``: the path of an index file (`build_place_index`), or any `PlaceStore`."""
        self.store: PlaceStore = SqliteStore(source) if isinstance(source, (str, Path)) else source
        self._lock = threading.Lock()
        self._addresses: tuple[list[str], Any] | None = None  # `_address_tree`, made by the first `reverse`
        places = self.store.items(SETTLEMENTS)
        self._near = _Near([{"kind": k, "name": n, "lat": lat, "lon": lon} for _i, k, n, _l, lat, lon in places])

    def __len__(self) -> int:
        return self.store.count()

    def search(
        self,
        query: str,
        *,
        near: tuple[float, float] | None = None,
        lang: str = "en",
        limit: int = 10,
        destinations: list[tuple] | None = None,
    ) -> list[dict[str, Any]]:
        """Entries whose words start with the query's words, best first.

        The score is the kind's rank (`KINDS`) plus one per `KM_PER_KIND` km from
        ``near`` (lat, lon): a street nearby comes before a town far away. An entry
        found only through the place in its label ("Postmuseum, Vaduz" for "vaduz")
        comes after those whose own name matches (`LABEL_ONLY`). ``destinations``,
        when given, replace the index's own: ``(name, name_en, name_id, label, lat,
        lon, words, properties)`` each (a web app's live destination layer).
        """
        words = query_words(query)
        shortest = min(len(w) for w in words)
        cap = self.CANDIDATES[min(shortest, len(self.CANDIDATES)) - 1]
        rows = self.store.match(Match(words, near, self.KM_PER_KIND, cap, limit * 5))
        if destinations is not None:
            rows = [r for r in rows if r[0] != "destination"] + self._own(destinations, words, near)

        def own_name(row) -> bool:
            names = re.findall(r"\w+", normalize(" ".join(filter(None, row[1:4]))))
            return all(any(n.startswith(w) for n in names) for w in words)

        rows = sorted(rows, key=lambda r: (r[7] + (0 if own_name(r) else self.LABEL_ONLY), len(r[1])))[:limit]
        return [self._result(r, lang, near) for r in rows]

    def _own(self, entries: list[tuple], words: list[str], near: tuple[float, float] | None) -> list[tuple]:
        """Rows (as `PlaceStore.match` gives them) of the ``entries`` whose words start with every query word."""
        found = [e for e in entries if all(any(x.startswith(w) for x in e[6].split()) for w in words)]
        if not found:
            return []
        rank = KINDS["destination"]
        km = np.zeros(len(found)) if near is None else _km([e[4] for e in found], [e[5] for e in found], near)
        return [
            ("destination", *e[:6], rank + float(d) / self.KM_PER_KIND, e[7]) for e, d in zip(found, km, strict=True)
        ]

    def place_of(self, lat: float, lon: float) -> str:
        """The nearest town's (village's, ...) name: the ", Vaduz" of a label."""
        return self._near.name(lat, lon)

    @staticmethod
    def _result(row, lang: str, near: tuple[float, float] | None) -> dict[str, Any]:
        kind, name, name_en, name_id, label, lat, lon = row[:7]
        local = {"en": name_en, "id": name_id}.get(lang) or ""
        shown = label.replace(name, local, 1) if local else label
        item = {"kind": kind, "name": local or name, "label": shown, "lat": lat, "lon": lon, **(row[8:9] or [{}])[0]}
        if near is not None:
            item["distance_m"] = round(float(_km([lat], [lon], near)[0] * 1000.0))
        return item

    def reverse(self, lat: float, lon: float) -> dict[str, Any] | None:
        """The name of what is at a point: an address, else street and place, else the place; None far away."""
        labels, tree = self._address_tree()
        if tree is not None:
            dist, i = tree.query(_xy([lat], [lon])[0])
            if dist <= 40.0:
                label = labels[int(i)]
                return {"kind": "address", "label": label, "distance_m": round(float(dist))}
        street = self._street_at(lat, lon)
        place = self._near.name(lat, lon, max_m=PLACE_REACH_M)
        if street:
            return {"kind": "street", "label": f"{street}, {place}" if place and place != street else street}
        if place:
            return {"kind": "place", "label": place}
        return None

    def _address_tree(self) -> tuple[list[str], Any]:
        """The addresses' labels and a nearest-point scan of them (`Nearest`), made by the first `reverse`.

        Not at start: reading every address and its points cost a server's
        start about 0.2 s on ``scale_200k`` (issue #19), for the first visitor who asks what is at a point.
        """
        found = self._addresses
        if found is None:
            with self._lock:
                found = self._addresses
                if found is None:
                    rows = self.store.items(("address",))
                    tree = None
                    if rows:
                        tree = Nearest(_xy([r[4] for r in rows], [r[5] for r in rows]))
                    found = self._addresses = ([r[3] for r in rows], tree)
        return found

    #: The network whose named streets name a point (set by `attach_network`), and which segments have a name.
    _net: Network | None = None
    _named: np.ndarray | None = None

    def attach_network(self, net: Network) -> PlaceIndex:
        """Use the network's street geometry to name a point on a street (more exact than the index's centres)."""
        self._net = net
        return self

    def _named_segments(self) -> np.ndarray | None:
        """Which segments of the attached network have a name (worked out by the first `reverse`, not at start)."""
        if self._named is None and self._net is not None:
            net = self._net
            self._named = np.fromiter((bool(t.get("name")) for t in net.tags), dtype=bool, count=net.n_segments)
        return self._named

    def _street_at(self, lat: float, lon: float) -> str:
        """The name of the named street's geometry point nearest to (lat, lon) within `STREET_REACH_M` (on `_xy`).

        The candidates come from the network's snapping grid (`routes._snapgrid`, memory-mapped
        from the cache): a k-d tree of every point of every named street cost about 45 MB of
        each server process on a 100k-junction network (issue #19).
        """
        net, named = self._net, self._named_segments()
        if net is None or named is None or not named.any():
            return ""
        from ._snapgrid import network_grid

        grid = network_grid(net)
        # a box (metres of Network.project) holding every point within STREET_REACH_M on _xy's plane,
        # whose x depends on each point's own latitude: widened by |lon| times the latitude span
        dlat = STREET_REACH_M / 110_574.0
        dlon = (STREET_REACH_M / 111_320.0 + abs(lon) * math.radians(dlat)) / max(
            math.cos(math.radians(min(90.0, abs(lat) + dlat))), 1e-9
        )
        kx, ky = net._scale
        x, y = net.project(lon, lat)
        pieces = grid.candidates(float(x), float(y), max(dlon * kx, dlat * ky) + 1.0)
        pieces = pieces[named[np.searchsorted(net.offsets, pieces, side="right") - 1]]
        if not len(pieces):
            return ""
        points = np.unique(np.concatenate([pieces, pieces + 1]))  # every point of a named street in the box
        where = _xy(net.coords[points, 1], net.coords[points, 0]) - _xy([lat], [lon])[0]
        dist = np.sqrt((where * where).sum(axis=1))
        k = int(np.argmin(dist))
        if dist[k] > STREET_REACH_M:
            return ""
        return net.tags[int(np.searchsorted(net.offsets, points[k], side="right") - 1)]["name"]


def name_waypoints(feature: dict[str, Any], index: PlaceIndex) -> dict[str, Any]:
    """Give a route Feature's unnamed waypoints the name of what is at their input point (in place)."""
    for w in feature.get("properties", {}).get("waypoints", []):
        if not w.get("name"):
            lon, lat = w["input"][:2]
            found = index.reverse(lat, lon)
            if found:
                w["name"] = found["label"]
    return feature
