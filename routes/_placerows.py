"""Build a place index: the places, streets, addresses and destinations of an OSM extract (`routes.geocode`).

`place_rows` gives the entries; `build_place_index` writes them to an SQLite
file with an FTS5 index of their normalised words. The web app writes the same
rows to PostgreSQL when it runs on it (`webapp.storage.places`).
"""

from __future__ import annotations

import logging
import math
import os
import re
import sqlite3
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SourceError
from .network import Network
from .sources import resolve_source

log = logging.getLogger("routes.geocode")

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
SETTLEMENTS = ("city", "town", "village", "suburb", "hamlet")

#: A point farther than this from every town and village has no place name.
PLACE_REACH_M = 8000.0


def normalize(text: str) -> str:
    """Lower case without accents: ``"Zürich"`` -> ``"zurich"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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
        self._tree: Any = None

    @property
    def tree(self) -> Any:
        """A k-d tree of the places, made by the first lookup (SciPy's spatial module is not imported at start)."""
        if self._tree is None and self.places:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(_xy([p["lat"] for p in self.places], [p["lon"] for p in self.places]))
        return self._tree

    def name(self, lat: float, lon: float, max_m: float = math.inf) -> str:
        if self.tree is None:
            return ""
        dist, i = self.tree.query(_xy([lat], [lon])[0])
        return self.places[int(i)]["name"] if dist <= max_m else ""


def _km(lats, lons, at: tuple[float, float]) -> np.ndarray:
    """Kilometres from ``at`` (lat, lon) to each point (on the plane of `_xy`)."""
    return np.hypot(*(_xy(lats, lons) - _xy([at[0]], [at[1]])[0]).T) / 1000.0


def _xy(lats, lons) -> np.ndarray:
    """Metres on a plane (equirectangular at mid-Europe scale; only used for nearness)."""
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    return np.column_stack([lon * 111_320.0 * np.cos(np.radians(lat)), lat * 110_574.0])


def place_rows(net: Network, source) -> list[tuple[str, int, str, str, str, str, float, float, str]]:
    """The entries of ``net``'s place index: ``(kind, rank, name, name_en, name_id, label, lat, lon, words)``.

    ``words`` is every name and the label, normalised (`normalize`) and without
    repeats: what a query's words are matched against, as prefixes. The SQLite
    file (`build_place_index`) and the PostgreSQL tables of the web app hold
    the same rows.
    """
    src = resolve_source(source)
    places, addresses = _read_osm(src.spec) if src.kind in ("pbf", "xml") else ([], [])
    near = _Near(places)
    rows: list[tuple[str, str, str, str, str, float, float]] = []
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
    return [
        (k, KINDS[k], n, en, iid, label, lat, lon, index_words(n, en, iid, label))
        for k, n, en, iid, label, lat, lon in rows
    ]


def index_words(*texts: str) -> str:
    """The distinct normalised words of ``texts``, space-separated (what a query matches against)."""
    words = re.findall(r"\w+", normalize(" ".join(filter(None, texts))))
    return " ".join(dict.fromkeys(words))


def build_place_index(net: Network, source, path: str | Path) -> Path:
    """Write the SQLite/FTS5 index of ``net``'s OSM file to ``path`` (atomically)."""
    t0 = time.perf_counter()
    rows = place_rows(net, source)
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
                [r[:8] for r in rows],
            )
            db.executemany(
                "INSERT INTO item_fts (rowid, words) VALUES (?, ?)", [(i + 1, r[8]) for i, r in enumerate(rows)]
            )
            db.execute("CREATE INDEX item_kind ON item (kind)")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("place index of %s: %d names (%.1f s)", resolve_source(source).label, len(rows), time.perf_counter() - t0)
    return path
