"""Elevation: DEM reading (SRTM .hgt raw/zipped/folders, GeoTIFF), voids, heights on
the network, climbs on routes, hill-aware profiles, GPX <ele>, the --dem option.

Behaviour is checked on the real Andorra extract with the real SRTM tile that
covers it (../shared/data); DEM reading and void handling also on small
synthetic tiles written into a temporary folder (pure raster arithmetic).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_file

from routes import load_network, route
from routes.elevation import (
    DEM,
    ClimbRules,
    add_elevation,
    bilinear,
    climb_durations,
    climbs_along,
    edge_climbs,
    max_grade,
    open_dem,
    route_elevation,
)
from routes.errors import SourceError
from routes.network import Network
from routes.profiles import PUSH, RIDE, edge_costs, get_profile

ANDORRA_LA_VELLA = (42.5078, 1.5211)  # (lat, lon), town centre, about 1,020-1,050 m
PAS_DE_LA_CASA = (42.5424, 1.7336)  # about 2,080-2,100 m, beyond the Port d'Envalira (2,408 m)
ENCAMP = (42.53506, 1.57697)
SANT_ANTONI = (42.52961, 1.52055)  # on the CG-3 north of Andorra la Vella
CANILLO_EAST = (42.550982, 1.5910858)  # above Canillo, on the CG-2 side
LA_MASSANA_EAST = (42.5545546, 1.5373877)  # over the ridge towards La Massana


# --------------------------------------------------------------------------- synthetic tiles


def _plane(n: int, lat0: int, lon0: int):
    """Heights of a tilted plane on an SRTM grid (row 0 = north edge), and its formula."""
    r, c = np.mgrid[0:n, 0:n]
    z = (1000 + 2 * c - r).astype(">i2")
    step = 1 / (n - 1)

    def at(lon, lat):
        return 1000 + 2 * (np.asarray(lon) - lon0) / step - (lat0 + 1 - np.asarray(lat)) / step

    return z, at


def _write_hgt(folder: Path, name: str, z: np.ndarray) -> Path:
    path = folder / name
    z.astype(">i2").tofile(path)
    return path


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    """N10E010.hgt (3 arc-second, with voids), the same zipped, and a folder of two tiles."""
    folder = tmp_path_factory.mktemp("dem")
    z, at = _plane(1201, 10, 10)
    z = z.copy()
    z[600, 600] = -32768  # one void sample
    z[299:302, 299:302] = -32768  # a 3 x 3 hole
    raw = _write_hgt(folder, "N10E010.hgt", z)
    zipped = folder / "N10E010.hgt.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(raw, "N10E010.hgt")
    both = folder / "both"
    both.mkdir()
    (both / "N10E010.hgt.zip").write_bytes(zipped.read_bytes())
    z2, at2 = _plane(1201, 10, 11)
    _write_hgt(both, "N10E011.hgt", z2)
    return {"raw": raw, "zip": zipped, "folder": both, "at": at, "at2": at2}


def test_hgt_bilinear_matches_the_plane(tiles):
    dem = open_dem(tiles["raw"])
    rng = np.random.default_rng(7)
    lon = 10.6 + rng.random(200) * 0.35  # away from the voids
    lat = 10.05 + rng.random(200) * 0.4
    assert np.allclose(dem.sample(lon, lat), tiles["at"](lon, lat), atol=1e-6)
    # the exact sample positions give the stored integers
    assert dem.sample(10 + 5 / 1200, 11 - 7 / 1200)[0] == pytest.approx(1000 + 10 - 7)


def test_zipped_tile_and_folder_of_tiles(tiles):
    lon, lat = np.array([10.25, 10.9]), np.array([10.3, 10.71])
    expect = tiles["at"](lon, lat)
    assert np.allclose(open_dem(tiles["zip"]).sample(lon, lat), expect)
    dem = open_dem(tiles["folder"])
    assert len(dem.rasters) == 2
    assert dem.bounds[0] < 10 and dem.bounds[2] > 12
    lon2, lat2 = np.array([10.4, 11.5, 11.999]), np.array([10.6, 10.5, 10.2])
    got = dem.sample(lon2, lat2)
    assert got[0] == pytest.approx(tiles["at"](10.4, 10.6))
    assert np.allclose(got[1:], tiles["at2"](lon2[1:], lat2[1:]))
    assert np.isnan(dem.sample(13.0, 10.5)[0])  # outside every tile: missing, not zero


def test_one_arc_second_tile(tmp_path):
    z, at = _plane(3601, 42, 1)
    dem = open_dem(_write_hgt(tmp_path, "N42E001.hgt", z))
    lon, lat = np.array([1.123456, 1.9]), np.array([42.654321, 42.01])
    assert np.allclose(dem.sample(lon, lat), at(lon, lat), atol=1e-6)


def test_void_cells_never_enter_results(tiles):
    dem = open_dem(tiles["raw"])
    at = tiles["at"]
    # on the single void sample, and between it and its neighbours: from the valid neighbours
    lon = np.array([10.5, 10.5 + 0.4 / 1200, 10.5 - 0.5 / 1200])
    lat = np.array([10.5, 10.5 - 0.3 / 1200, 10.5 + 0.5 / 1200])
    got = dem.sample(lon, lat)
    assert np.isfinite(got).all()
    assert np.allclose(got, at(lon, lat), atol=2.0)  # the plane, give or take a sample
    # inside the 3 x 3 hole all four neighbours are void: missing
    assert np.isnan(dem.sample(10 + 300.5 / 1200, 11 - 300.5 / 1200)[0])
    # nowhere near the voids does anything like -32768 show up
    grid = np.linspace(10 + 290 / 1200, 10 + 610 / 1200, 120)
    many = dem.sample(*np.meshgrid(grid, 21 - grid))
    assert np.nanmin(many) > 900


def test_bilinear_renormalises_around_voids():
    g = np.array([[10.0, 20.0], [np.nan, 40.0]])
    # middle of the cell: mean of the three valid corners
    assert bilinear(g, np.array([0.5]), np.array([0.5]))[0] == pytest.approx((10 + 20 + 40) / 3)
    # on the void sample itself: its valid neighbours
    assert bilinear(g, np.array([0.0]), np.array([1.0]))[0] == pytest.approx((10 + 20 + 40) / 3)
    assert np.isnan(bilinear(np.full((2, 2), np.nan), np.array([0.3]), np.array([0.3]))[0])


def test_real_srtm_voids_are_filled_or_missing():
    """N42E001 has thousands of void samples; their heights come from valid neighbours."""
    path = shared_file("N42E001.hgt.zip")
    with zipfile.ZipFile(path) as zf:
        raw = np.frombuffer(zf.read("N42E001.hgt"), ">i2").reshape(1201, 1201)
    rows, cols = np.nonzero(raw == -32768)
    assert len(rows) > 1000
    pick = np.linspace(0, len(rows) - 1, 300).astype(int)
    r, c = rows[pick], cols[pick]
    got = open_dem(path).sample(1 + c / 1200, 43 - r / 1200)
    assert np.nanmin(got) > 0  # never the void value (Andorra's lowest point is ~840 m)
    for v, i, j in zip(got, r, c, strict=False):
        near = raw[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2].astype(float)
        near = near[near != -32768]
        if np.isfinite(v):
            assert near.min() - 1e-6 <= v <= near.max() + 1e-6


def test_geotiff_geographic_and_projected(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin
    from rasterio.warp import transform

    # geographic, float32, with a nodata value
    z = (500 + np.arange(50)[None, :] * 3.0 - np.arange(40)[:, None] * 2.0).astype("float32")
    z[10, 10] = -9999
    tif = tmp_path / "dem.tif"
    t = from_origin(1.5, 42.6, 0.001, 0.001)
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=50,
        height=40,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=t,
        nodata=-9999,
    ) as ds:
        ds.write(z, 1)
    dem = open_dem(tif)
    # sample centres sit half a cell in: column c at lon 1.5 + (c + 0.5) * 0.001
    lon, lat = 1.5 + (20.25 + 0.5) * 0.001, 42.6 - (30.5 + 0.5) * 0.001
    assert dem.sample(lon, lat)[0] == pytest.approx(500 + 20.25 * 3 - 30.5 * 2, abs=1e-3)
    near_void = dem.sample(1.5 + 10.5 * 0.001, 42.6 - 10.5 * 0.001)[0]
    assert near_void == pytest.approx(500 + 10 * 3 - 10 * 2, abs=3.5)  # from valid neighbours
    # projected (UTM 31N), metres
    utm = tmp_path / "utm.tif"
    t2 = from_origin(380000, 4715000, 30, 30)
    z2 = (800 + np.arange(100)[None, :] * 0.5 + np.arange(100)[:, None] * 1.0).astype("float32")
    with rasterio.open(
        utm, "w", driver="GTiff", width=100, height=100, count=1, dtype="float32", crs="EPSG:32631", transform=t2
    ) as ds:
        ds.write(z2, 1)
    x, y = 381234.0, 4713456.0
    (plon,), (plat,) = transform("EPSG:32631", "EPSG:4326", [x], [y])
    col, row = (x - 380000) / 30 - 0.5, (4715000 - y) / 30 - 0.5
    assert open_dem(utm).sample(plon, plat)[0] == pytest.approx(800 + col * 0.5 + row, abs=1e-3)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.hgt", "not found"),
        (lambda d: _touch(d / "empty"), "no elevation files"),
        (lambda d: _text(d / "notes.txt"), "unknown elevation file type"),
        (lambda d: _text(d / "broken.tif"), "cannot read elevation file broken.tif"),
        (lambda d: _text(d / "tile.hgt"), "N42E001.hgt"),
        (lambda d: _zip_of(d / "x.zip", "readme.txt"), "holds no .hgt"),
        (lambda d: _text(d / "bad.zip"), "not a valid zip"),
    ],
)
def test_bad_dem_paths_raise_source_error(tmp_path, make, message):
    with pytest.raises(SourceError, match=message):
        open_dem(make(tmp_path))


def _touch(path: Path) -> Path:
    path.mkdir()
    return path


def _text(path: Path) -> Path:
    path.write_text("not a raster")
    return path


def _zip_of(path: Path, member: str) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, "hello")
    return path


# --------------------------------------------------------------------------- pure algorithms


def test_climbs_along_hysteresis():
    dist = np.arange(8) * 50.0
    z = np.array([100, 104, 101, 115, 112, 130, 125, 127], dtype=float)
    ((asc, desc, up_m, down_m),) = climbs_along(np.array([0, 8]), dist, z)
    assert asc - desc == pytest.approx(z[-1] - z[0])  # always exact
    assert asc == pytest.approx(30)  # 100 -> 115 -> 130, the 3 m dips are noise
    assert desc == pytest.approx(3)  # only the rest at the end
    assert up_m + down_m == pytest.approx(dist[-1])
    # a steady climb of 5 m is kept although smaller than the threshold
    assert climbs_along(np.array([0, 3]), np.array([0.0, 50, 100]), np.array([0.0, 2, 5]))[0][0] == 5


def test_max_grade_uses_a_window():
    d = np.arange(0, 1001, 10.0)
    z = np.where(d < 500, 0.0, (d - 500) * 0.08)  # flat, then 8 %
    z[30] += 10  # a 10 m spike over 10 m would read as 100 % without the window
    assert max_grade(d, z) == pytest.approx(8.0, abs=5.1)
    assert max_grade(d, z[::-1]) < 6  # descending: the steepest climb is the spike's flank
    assert max_grade(np.array([0.0, 50]), np.array([10.0, 5])) == 0.0


def test_climb_durations_slow_uphill_capped_downhill():
    rules = ClimbRules.from_table(get_profile("safe").climb)
    length = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    duration = length / (16 / 3.6)
    access = np.array([RIDE, RIDE, PUSH, RIDE])
    climbs = {
        "ascent": np.array([50.0, 0.0, 50.0, 0.0]),
        "descent": np.array([0.0, 150.0, 0.0, 0.0]),
        "up_m": np.array([1000.0, 0.0, 1000.0, 0.0]),
        "down_m": np.array([0.0, 1000.0, 0.0, 0.0]),
    }
    t = climb_durations(rules, duration, access, length, climbs)
    speed = 3.6 * length / t
    assert speed[0] == pytest.approx(16 / (1 + rules.uphill_slowdown * 5))  # 5 % up
    assert speed[1] == pytest.approx(rules.max_downhill_kmh)  # 15 % down: capped
    assert t[2] == pytest.approx(duration[2] + 50 * rules.push_ascent_s_per_m)
    assert t[3] == pytest.approx(duration[3])  # flat: unchanged


# --------------------------------------------------------------------------- the network


def _toy_network(lons, lats) -> Network:
    """Two segments, a-b-c, straight lines with three points each::

    a ---- b ---- c
    """
    coords = np.array(list(zip(lons, lats, strict=False)), dtype=float)
    return Network(
        name="toy",
        node_id=np.array([1, 2, 3]),
        node_lon=coords[[0, 2, 4], 0],
        node_lat=coords[[0, 2, 4], 1],
        seg_u=np.array([0, 1], np.int32),
        seg_v=np.array([1, 2], np.int32),
        seg_length=np.array([100.0, 100.0]),
        seg_way=np.array([7, 8]),
        coords=coords[[0, 1, 2, 2, 3, 4]],
        offsets=np.array([0, 3, 6]),
        tags=[{"highway": "residential"}] * 2,
    )


def test_add_elevation_fills_voids_along_the_street(tiles):
    at = tiles["at"]
    hole_lon, hole_lat = 10 + 300.5 / 1200, 11 - 300.5 / 1200  # no valid sample near
    lons = [10 + 295 / 1200, hole_lon, 10 + 306 / 1200, 10 + 310 / 1200, 10 + 320 / 1200]
    lats = [hole_lat] * 5
    net = add_elevation(_toy_network(lons, lats), tiles["raw"])
    assert net.ele.dtype == np.float32 and len(net.ele) == len(net.coords)
    assert np.isfinite(net.ele).all() and np.isfinite(net.node_ele).all()
    assert net.ele[1] == pytest.approx((net.ele[0] + net.ele[2]) / 2, abs=0.01)  # interpolated
    assert net.ele[0] == pytest.approx(at(lons[0], lats[0]), abs=1e-3)
    assert net.node_ele[1] == net.ele[2] == net.ele[3]  # the junction has one height


@pytest.fixture(scope="module")
def andorra_dem():
    return load_network(shared_file("andorra.osm.pbf"), dem=shared_file("N42E001.hgt.zip"))


@pytest.fixture(scope="module")
def andorra_flat():
    return load_network(shared_file("andorra.osm.pbf"))


def test_network_heights_and_cache(andorra_dem, andorra_flat):
    net = andorra_dem
    assert net.ele.shape == (len(net.coords),) and net.node_ele.shape == (net.n_nodes,)
    assert np.isfinite(net.ele).all()
    assert 800 < net.ele.min() and net.ele.max() < 3000  # Andorra: 840 m to 2,942 m
    off = net.offsets
    assert np.array_equal(net.ele[off[:-1]], net.node_ele[net.seg_u])
    assert andorra_flat.ele is None and andorra_flat.node_ele is None
    again = load_network(shared_file("andorra.osm.pbf"), dem=shared_file("N42E001.hgt.zip"))
    assert again.meta["from_cache"] and np.array_equal(again.ele, net.ele)


def test_cache_key_follows_dem_content(tiles, tmp_path):
    bounds = (10.2, 10.2, 10.8, 10.8)
    copy = tmp_path / "N10E010.hgt"
    copy.write_bytes(tiles["raw"].read_bytes())
    assert open_dem(copy).content_hash(bounds) == open_dem(tiles["raw"]).content_hash(bounds)
    data = bytearray(copy.read_bytes())
    data[5000] ^= 1
    copy.write_bytes(bytes(data))
    assert open_dem(copy).content_hash(bounds) != open_dem(tiles["raw"]).content_hash(bounds)
    # only tiles that overlap the network count
    dem = open_dem(tiles["folder"])
    assert dem.content_hash(bounds) != dem.content_hash()
    assert isinstance(dem, DEM) and len(dem.covering(bounds)) == 1


def test_known_elevations_in_andorra(andorra_dem):
    dem = open_dem(shared_file("N42E001.hgt.zip"))
    (lat1, lon1), (lat2, lon2) = ANDORRA_LA_VELLA, PAS_DE_LA_CASA
    assert dem.sample(lon1, lat1)[0] == pytest.approx(1020, abs=60)
    assert dem.sample(lon2, lat2)[0] == pytest.approx(2100, abs=60)
    # and on the network: the heights a route starts and ends at
    f = route(andorra_dem, [ANDORRA_LA_VELLA, PAS_DE_LA_CASA], profile="fast")
    line = f["geometry"]["coordinates"]
    assert line[0][2] == pytest.approx(1020, abs=60)
    assert line[-1][2] == pytest.approx(2100, abs=60)


def test_route_over_the_envalira_pass(andorra_dem):
    f = route(andorra_dem, [ANDORRA_LA_VELLA, PAS_DE_LA_CASA], profile="fast")
    p, line = f["properties"], f["geometry"]["coordinates"]
    assert all(len(c) == 3 for c in line)
    top = max(c[2] for c in line)
    assert top == pytest.approx(2408, abs=50)  # Port d'Envalira
    # at least the climb to the pass, at most a little more (SRTM noise is filtered)
    assert top - line[0][2] - 5 <= p["ascent_m"] <= 1.15 * (top - line[0][2])
    assert p["descent_m"] >= top - line[-1][2] - 5
    assert p["ascent_m"] - p["descent_m"] == pytest.approx(line[-1][2] - line[0][2], abs=0.5)
    assert 4 < p["max_grade_pct"] < 30
    prof = p["elevation_profile"]
    assert len(prof) == len(line)
    assert [e for _, e in prof] == [c[2] for c in line]
    d = [x for x, _ in prof]
    assert d[0] == 0 and all(b >= a for a, b in zip(d, d[1:], strict=False))
    assert d[-1] == pytest.approx(p["distance_m"], rel=0.02)
    # the climb costs time: slower than the same route on the flat network
    flat_time = route(load_network(shared_file("andorra.osm.pbf")), [ANDORRA_LA_VELLA, PAS_DE_LA_CASA], profile="fast")[
        "properties"
    ]["duration_s"]
    assert p["duration_s"] > 1.3 * flat_time


def test_safe_profile_picks_the_flatter_alternative(andorra_dem, andorra_flat):
    """Canillo to the La Massana side: over the ridge road, or round by the valleys.

    (Sant Antoni to Encamp was the example until bridges and tunnels ran level:
    now both take the tunnel.)
    """
    blind = andorra_flat.router("safe").cost  # the same profile, blind to hills
    pts = [CANILLO_EAST, LA_MASSANA_EAST]
    ignoring = route(andorra_dem, pts, profile="safe", edge_cost=blind)["properties"]
    aware = route(andorra_dem, pts, profile="safe")["properties"]
    assert aware["ascent_m"] < ignoring["ascent_m"] - 200
    assert aware["distance_m"] > ignoring["distance_m"]  # a longer way round, but flatter
    # and cheaper by the hill-aware costs (the blind route's cost counted with them)
    from routes.routing import route_pieces

    router, _, legs = route_pieces(andorra_dem, pts, profile="safe", edge_cost=blind)
    assert aware["cost"] < sum(p.value(router.cost) for leg in legs for p in leg)


def test_profiles_weigh_climbs(andorra_dem):
    climbs = edge_climbs(andorra_dem)
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where(climbs["up_m"] > 0, 100 * climbs["ascent"] / climbs["up_m"], 0)
    steep = np.flatnonzero((grade > 8) & (climbs["ascent"] > 30) & (climbs["descent"] == 0))
    flat_up = [e for e in steep if andorra_dem.router("safe").access[e] == RIDE]
    assert flat_up, "Andorra has steep streets"
    e = flat_up[0]
    rev = e ^ 1  # the same street downhill
    for name in ("safe", "fast", "ebike"):
        r = andorra_dem.router(name)
        base, _, _ = edge_costs(andorra_dem.classes, andorra_dem.seg_length, name)
        assert r.duration[e] > base[e] > r.duration[rev], name  # slower up, faster down
    safe, fast, ebike = (andorra_dem.router(n) for n in ("safe", "fast", "ebike"))
    # ebike: the hill barely slows it; safe: the climb costs more than its time
    assert ebike.duration[e] / ebike.duration[rev] < fast.duration[e] / fast.duration[rev]
    assert safe.cost[e] - safe.cost[rev] > (safe.duration[e] - safe.duration[rev])
    # fast: hills cost exactly the time they take (cost per second as on the flat)
    base_d, base_c, _ = edge_costs(andorra_dem.classes, andorra_dem.seg_length, "fast")
    ok = np.isfinite(base_c) & (base_d > 0)
    assert np.allclose(fast.cost[ok] / fast.duration[ok], base_c[ok] / base_d[ok])
    assert not np.allclose(fast.duration[ok], base_d[ok])


def test_without_dem_nothing_changes(andorra_flat):
    for name in ("safe", "fast", "walk", "ebike"):
        duration, cost, access = edge_costs(andorra_flat.classes, andorra_flat.seg_length, name)
        r = andorra_flat.router(name)
        assert np.array_equal(r.cost, cost) and np.array_equal(r.duration, duration)
    f = route(andorra_flat, [ANDORRA_LA_VELLA, ENCAMP], profile="safe")
    assert all(len(c) == 2 for c in f["geometry"]["coordinates"])
    assert not {"ascent_m", "descent_m", "max_grade_pct", "elevation_profile"} & set(f["properties"])


def test_route_elevation_fills_missing_heights():
    coords = [
        [1.5, 42.5, 1000.0],
        [1.501, 42.5, None],
        [1.502, 42.5, float("nan")],
        [1.503, 42.5, 1030.0],
    ]
    got = route_elevation(coords)
    assert np.allclose(got["ele"], [1000, 1010, 1020, 1030], atol=0.2)
    assert got["ascent_m"] == pytest.approx(30)
    assert route_elevation([[1.5, 42.5], [1.6, 42.5]]) is None


# --------------------------------------------------------------------------- GPX and CLI


def test_gpx_has_ele_on_every_trackpoint(andorra_dem, gpx_schema):
    from lxml import etree

    from routes.gpx import feature_to_gpx

    f = route(andorra_dem, [ANDORRA_LA_VELLA, ENCAMP], profile="safe")
    doc = etree.fromstring(feature_to_gpx(f).encode())
    gpx_schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    pts = doc.findall(".//g:trkpt", ns)
    assert len(pts) == len(f["geometry"]["coordinates"]) > 10
    eles = [float(p.find("g:ele", ns).text) for p in pts]
    assert eles == pytest.approx([c[2] for c in f["geometry"]["coordinates"]], abs=0.05)


def test_cli_dem_option(capsys, tmp_path):
    from routes.cli import main

    pbf, hgt = shared_file("andorra.osm.pbf"), shared_file("N42E001.hgt.zip")
    gpx = tmp_path / "r.gpx"
    args = [
        "route",
        "--source",
        str(pbf),
        "--dem",
        str(hgt),
        "--from",
        "42.5078,1.5211",
        "--to",
        "42.53506,1.57697",
        "--gpx",
        str(gpx),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Climb:" in out and " m up" in out
    assert gpx.read_text().count("<ele>") == gpx.read_text().count("<trkpt")
    assert main([*args[:4], str(tmp_path / "nothing.hgt"), *args[5:]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "elevation data not found" in err


def test_bridges_run_straight_between_their_ends(andorra_dem):
    """A bridge's inner points lie on the straight line between its ends, not on the valley floor."""
    net = andorra_dem
    seen = 0
    for s, tags in enumerate(net.tags):
        if tags.get("bridge", "no") == "no":
            continue
        a, b = net.offsets[s], net.offsets[s + 1]
        if b - a < 3:
            continue
        z = net.ele[a:b]
        lo, hi = sorted((float(z[0]), float(z[-1])))
        assert np.all(z >= lo - 0.01) and np.all(z <= hi + 0.01)
        seen += 1
    assert seen > 0, "Andorra has bridges with inner points"
