"""The routers' own arrays kept beside a cached network (`routes._routerstore`, issue #19).

A start that reads them must make exactly the routers a start that works them out makes:
the same arrays, the same cost bound, the same routes. Anything that could make them
differ (the code, a profile, the network, a damaged file) means working them out again.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from routes import _routerstore, get_profile, load_network, profile_names, route
from routes.routing import Router
from tests.conftest import shared_file


@pytest.fixture
def cached(tmp_path):
    """Liechtenstein built into a cache folder of its own (``load()`` reads it again, as a new start would)."""
    src = shared_file("liechtenstein-latest.osm.pbf")
    folder = tmp_path / "cache"

    def load():
        return load_network(src, cache_folder=folder)

    load()
    return load


def _pairs(net, n=40, seed=7):
    rng = np.random.default_rng(seed)
    nodes = rng.choice(net.n_nodes, size=(n, 2))
    return [((net.node_lat[a], net.node_lon[a]), (net.node_lat[b], net.node_lon[b])) for a, b in nodes]


def test_routers_read_from_the_store_are_the_ones_worked_out(cached):
    first = cached()
    worked = {name: first.router(name) for name in profile_names()}
    assert not any(r.from_store for r in worked.values())
    folder = _routerstore.store_folder(first)
    assert folder is not None and (folder / "shared.pkl").exists()
    assert len(list(folder.glob("*.pkl"))) == 1 + len(worked)

    again = cached()  # a new start: the network from the cache, the routers from the store
    for name, w in worked.items():
        r = again.router(name)
        assert r.from_store, name
        for field in Router.STORED:
            a, b = getattr(w, field), getattr(r, field)
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b), (name, field)
            else:
                assert a == b, (name, field)
        assert r._cost_bound() == w._cost_bound()
        assert np.array_equal(r._ids_big, w._ids_big) and r._hub == w._hub
    shared, old = again.router("safe")._shared, first.router("safe")._shared
    assert again.classes == first.classes
    assert np.array_equal(shared.segment_table().surface_class, old.segment_table().surface_class)
    assert np.array_equal(shared.turn_graph().arc_dst, old.turn_graph().arc_dst)
    for name in ("safe", "walk"):
        for a, b in _pairs(first):
            want = route(first, [a, b], profile=name)
            got = route(again, [a, b], profile=name)
            assert got["geometry"] == want["geometry"], (name, a, b)
            assert got["properties"]["duration_s"] == want["properties"]["duration_s"]


def test_another_fingerprint_works_them_out_again(cached, monkeypatch):
    cached().router("safe")
    old = _routerstore.store_folder(cached())
    monkeypatch.setattr(_routerstore, "fingerprint", lambda: "changed-code")
    net = cached()
    assert not net.router("safe").from_store
    new = _routerstore.store_folder(net)
    assert new != old and (new / "shared.pkl").exists() and not old.exists()  # the old store is removed
    assert cached().router("safe").from_store


def test_the_fingerprint_follows_the_code_and_a_profile_file_the_turn_setting(cached, monkeypatch):
    from routes import settings

    base = _routerstore.fingerprint()
    monkeypatch.setattr(_routerstore, "files_digest", lambda *folders: "other files")
    assert _routerstore.fingerprint() != base
    monkeypatch.undo()
    net = cached()
    with_turns = net.router("safe")
    monkeypatch.setattr(settings, "turn_restrictions", False)
    without = cached().router("safe")
    assert with_turns.turns is not None and without.turns is None
    assert not without.from_store and without._turn_extra is None  # its own file, not the other's
    again = cached().router("safe")
    assert again.from_store and again.turns is None and again._turn_extra is None
    monkeypatch.undo()
    assert cached().router("safe").from_store  # both kept side by side
    assert len(list(_routerstore.store_folder(net).glob("safe-*.pkl"))) == 2


def test_a_damaged_store_is_worked_out_again_and_rewritten(cached, caplog):
    cached().router("fast")
    folder = _routerstore.store_folder(cached())
    (folder / "shared.pkl").write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING, logger="routes._routerstore"):
        r = cached().router("fast")
    assert not r.from_store and "ignoring the stored router" in caplog.text
    assert cached().router("fast").from_store  # rewritten


def test_a_store_of_another_network_is_not_used(cached):
    net = cached()
    net.router("safe")
    other = cached()
    other.seg_u = other.seg_u[:-1]  # as if the folder held another network's store
    other.seg_v = other.seg_v[:-1]
    assert _routerstore.load_router(other, get_profile("safe")) is None


def test_a_changed_profile_and_a_copied_network_are_not_kept(cached):
    net = cached()
    changed = dataclasses.replace(get_profile("safe"), turn_push_m=0.0)
    assert not net.router(changed).from_store
    folder = _routerstore.store_folder(net)
    assert not folder.exists() or not list(folder.glob("safe-*.pkl"))
    # a copy made with other values no longer names the cache folder
    assert net.cache_path is not None and dataclasses.replace(net, pois=[]).cache_path is None


def test_heights_have_their_own_store(tmp_path):
    """The climbs are in the kept costs, under the folder of the network with heights; heights added in place
    to a network read from the cache leave that folder's store alone."""
    from routes.elevation import add_elevation

    src, dem = shared_file("andorra.osm.pbf"), shared_file("N42E001.hgt.zip")
    folder = tmp_path / "cache"
    flat = load_network(src, cache_folder=folder)
    hilly = load_network(src, cache_folder=folder, dem=dem)
    assert hilly.cache_path.name.startswith(flat.cache_path.name + "-dem-")
    worked = hilly.router("safe")
    again = load_network(src, cache_folder=folder, dem=dem).router("safe")
    assert again.from_store and np.array_equal(again.cost, worked.cost)
    assert not np.array_equal(again.cost, flat.router("safe").cost)  # with the climbs
    net = load_network(src, cache_folder=folder)
    add_elevation(net, dem)
    assert net.cache_path is None
    r = net.router("safe")
    assert not r.from_store and np.array_equal(r.cost, worked.cost)


def test_a_store_that_cannot_be_written_is_only_worked_out(cached, monkeypatch, caplog):
    def refuse(path, value):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(_routerstore, "_write", refuse)
    with caplog.at_level(logging.WARNING, logger="routes._routerstore"):
        r = cached().router("safe")
    assert not r.from_store and "could not keep the routers" in caplog.text
    assert route(cached(), _pairs(cached(), 1)[0], profile="safe")["properties"]["distance_m"] > 0
