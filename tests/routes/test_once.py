"""routes._once: work one process does while the others wait (network builds, numba's compiling)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import routes
from routes import _once, load_network, sources
from routes._once import compiled_once, exclusive

#: A process that imports the module alone (it needs the standard library only), not the whole package.
_ALONE = f"import sys; sys.path.insert(0, {str(routes.__path__[0])!r}); from _once import exclusive\n"

pytestmark = pytest.mark.skipif(_once.fcntl is None, reason="advisory file locks are POSIX")


def test_a_second_process_waits_for_the_first(tmp_path):
    lock, log = tmp_path / "x.lock", tmp_path / "log"
    holder = textwrap.dedent(
        f"""
        import time
        with exclusive({str(lock)!r}):
            print("in", flush=True)
            time.sleep(0.6)
            open({str(log)!r}, "a").write("first left\\n")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", _ALONE + holder], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "in"
    waited = []
    t0 = time.perf_counter()
    with exclusive(lock, waiting=lambda: waited.append(time.perf_counter() - t0)):
        log.open("a").write("second in\n")
    proc.wait(10)
    assert waited, "the lock was free: the other process did not hold it"
    assert log.read_text().splitlines() == ["first left", "second in"]


def test_a_killed_holder_frees_the_lock(tmp_path):
    lock = tmp_path / "x.lock"
    holder = f"with exclusive({str(lock)!r}):\n    print('in', flush=True)\n    input()"
    proc = subprocess.Popen(
        [sys.executable, "-c", _ALONE + holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "in"
    proc.kill()
    proc.wait(10)
    with exclusive(lock, waiting=lambda: pytest.fail("a dead process still held the lock")):
        pass


def test_an_unwritable_folder_runs_unlocked(tmp_path):
    ran = []
    (tmp_path / "a-file").write_text("")
    with exclusive(tmp_path / "a-file" / "x.lock"):  # its folder cannot be made: a file is in the way
        ran.append(True)
    assert ran == [True]


def test_a_network_built_meanwhile_is_read_not_built_again(tmp_path, monkeypatch, shared_data):
    """load_network waits for the lock of a build in progress, then reads the cache that build wrote."""
    src = str(shared_data / "paris_bss.osm.pbf")
    load_network(src)  # in the tests' cache folder: what another process would write while this one waits
    built = sources.network_cache_path(sources.resolve_source(src))
    path = sources.network_cache_path(sources.resolve_source(src), tmp_path / "cache")
    holding, release = threading.Event(), threading.Event()

    def other_process_builds():
        with exclusive(path.parent / f"{path.name}.lock"):
            holding.set()
            release.wait(10)
            shutil.copytree(built, path)

    monkeypatch.setattr(sources, "_build", lambda *a: pytest.fail("built again instead of read"))
    other = threading.Thread(target=other_process_builds)
    other.start()
    assert holding.wait(10)
    said: list[str] = []
    threading.Timer(0.3, release.set).start()
    net = load_network(src, cache_folder=tmp_path / "cache", progress=said.append)
    other.join(10)
    assert net.meta["from_cache"] is True and net.n_nodes > 0
    assert "waiting for another process building it" in said


def test_compiled_once_locks_the_first_call_only(monkeypatch):
    locked = []
    real = _once.exclusive

    def counting(path, **kw):
        locked.append(path)
        return real(path, **kw)

    monkeypatch.setattr(_once, "exclusive", counting)

    def twice(x):
        return 2 * x

    f = compiled_once(twice)
    assert [f(1), f(2), f(x=3)] == [2, 4, 6]
    assert len(locked) == 1 and locked[0].name.startswith("bikemap-") and "twice" in locked[0].name
    assert f.__wrapped__ is twice
