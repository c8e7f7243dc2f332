"""8 concurrent writers x 100 edits through real HTTP, on SQLite and PostgreSQL.

The app runs on waitress with 8 threads (and, on SQLite, also as two
``bikemap serve`` processes on one file). Every writer loops: GET a shared
("hot") destination, PATCH it with ``If-Match``; every fifth edit creates a
destination instead. Checked: no 5xx and no connection error (no "database is
locked"), and the ETag rules under the race: for every version of a hot
destination exactly one PATCH based on it won (200), every other one got 412
and changed nothing; versions and history rows agree.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
WRITERS, EDITS, HOT = 8, 100, 3


@contextmanager
def serve_app(app, threads: int = 8):
    """Serve ``app`` with waitress on 127.0.0.1 (a free port) in a thread; yields the port."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads, connection_limit=200)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.close()
        server.task_dispatcher.shutdown(timeout=5)


@contextmanager
def serve_process(db_url: str, *, threads: int = 8, extra_env: dict | None = None):
    """``bikemap serve`` (demo network) on ``db_url`` as a subprocess; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "BIKEMAP_WARM_PROFILES": "false", **(extra_env or {})}
    cmd = [
        sys.executable,
        "-m",
        "webapp.cli",
        "serve",
        "--source",
        "demo",
        "--db",
        db_url,
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--tiles",
        "none",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:])
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/profiles")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


class Client:
    """A keep-alive HTTP connection with a staff token; any transport failure is recorded."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, dict]:
        hdrs = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            return -1, {}, {"transport": repr(exc)}
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {"raw": raw[:200].decode(errors="replace")}
        return resp.status, resp.headers, doc  # case-insensitive


def _etag_version(etag: str) -> int:
    return int(etag.strip('"').split(".")[1])


def writer(ports: list[int], token: str, n: int, hot: list[int], log: list, errors: list) -> None:
    """EDITS edits: PATCH a hot destination from the version just read, or create one."""
    clients = [Client(p, token) for p in ports]
    for k in range(EDITS):
        c = clients[k % len(clients)]  # alternate between the server processes
        if k % 5 == 4:
            status, _, doc = c.request(
                "POST",
                "/api/destinations",
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [24.95, 60.17]},
                    "properties": {"name": f"new-{n}-{k}", "category": "park"},
                },
            )
            log.append(("create", None, None, status))
            if status != 201:
                errors.append((status, doc))
            continue
        dest = hot[(n + k) % len(hot)]
        status, headers, doc = c.request("GET", f"/api/destinations/{dest}")
        if status != 200:
            errors.append((status, doc))
            continue
        base = _etag_version(headers["ETag"])
        status, headers, doc = c.request(
            "PATCH",
            f"/api/destinations/{dest}",
            {"description": f"writer {n} edit {k} from v{base}"},
            {"If-Match": f'"{dest}.{base}"'},
        )
        log.append(("patch", dest, base, status))
        if status == 200:
            if _etag_version(headers["ETag"]) != base + 1:
                errors.append(("200 with ETag", headers["ETag"], "from", base))
        elif status == 412:
            if _etag_version(headers.get("ETag") or '"0.0"') <= base:  # the current version is sent back
                errors.append(("412 with ETag", headers.get("ETag"), "from", base))
        else:
            errors.append((status, doc))


def _setup(db_url: str) -> tuple[list[str], list[int]]:
    """WRITERS editors with tokens and HOT destinations, written directly to the database.

    The writers sign in with their tokens only, so they share one password hash (scrypt is
    made to be slow: eight of them cost about 0.6 s of CPU per test).
    """
    from fixtures_db import add_users

    from webapp.storage import open_database
    from webapp.storage.destinations import create_destination
    from webapp.storage.models import hash_password

    db = open_database(db_url)
    tokens = add_users(db, [f"writer{n}" for n in range(WRITERS)], "editor", hash_password("writer-pass"))
    with db.session() as s:
        hot = [
            create_destination(s, {"name": f"hot {i}", "category": "park", "lon": 24.95, "lat": 60.17}, user="setup").id
            for i in range(HOT)
        ]
    db.dispose()
    return tokens, hot


def run_race(db_url: str, ports: list[int], tokens: list[str], hot: list[int], artifact: Path | None = None) -> Counter:
    log: list = []
    errors: list = []
    threads = [threading.Thread(target=writer, args=(ports, tokens[n], n, hot, log, errors)) for n in range(WRITERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if artifact is not None:  # figures for the README (not asserted: the machine is shared)
        counts = Counter(str(s) for *_, s in log)
        artifact.write_text(
            json.dumps(
                {
                    "database": db_url.split(":")[0],
                    "servers": len(ports),
                    "edits": len(log),
                    "statuses": counts,
                    "seconds": round(elapsed, 2),
                    "edits_per_s": round(len(log) / elapsed, 1),
                },
                indent=1,
            )
        )
    assert errors == [], errors[:5]
    statuses = Counter(s for *_, s in log)
    assert set(statuses) <= {200, 201, 412}
    assert len(log) == WRITERS * EDITS
    check_versions(db_url, hot, log)
    return statuses


def check_versions(db_url: str, hot: list[int], log: list) -> None:
    """Exactly one winner per version; versions, history rows and creates agree."""
    from webapp.storage import open_database
    from webapp.storage.models import Destination, DestinationHistory

    db = open_database(db_url)
    try:
        with db.session() as s:
            for dest in hot:
                row = s.get(Destination, dest)
                wins = Counter(base for kind, d, base, st in log if kind == "patch" and d == dest and st == 200)
                assert all(n == 1 for n in wins.values()), f"two writers won from one version: {wins}"
                assert sorted(wins) == list(range(1, row.version)), "every version has exactly one winner"
                versions = sorted(
                    h.version
                    for h in s.scalars(select(DestinationHistory).where(DestinationHistory.destination_id == dest))
                )
                assert versions == list(range(1, row.version + 1))
            created = sum(1 for kind, *_, st in log if kind == "create" and st == 201)
            rows = s.scalars(select(Destination).where(Destination.name.like("new-%"))).all()
            assert len(rows) == created == WRITERS * EDITS // 5
            assert (
                len(
                    s.scalars(
                        select(DestinationHistory).where(DestinationHistory.destination_id.in_([r.id for r in rows]))
                    ).all()
                )
                == created
            )
    finally:
        db.dispose()


def test_eight_writers_one_server(migrated_db_url, demo_net, artifacts_dir):
    """Waitress with 8 threads on SQLite and on PostgreSQL."""
    from fixtures_db import make_staff_app

    db_url = migrated_db_url
    tokens, hot = _setup(db_url)
    app = make_staff_app(db_url, demo_net)
    try:
        with serve_app(app, threads=8) as port:
            kind = db_url.split(":")[0]
            statuses = run_race(db_url, [port], tokens, hot, artifacts_dir / f"concurrency-{kind}.json")
    finally:
        app.extensions["bikemap_db"].dispose()
    assert statuses[412] > 0  # the race did happen
    assert statuses[200] > 0 and statuses[201] == WRITERS * EDITS // 5


@pytest.mark.parametrize("migrated_db_url", ["sqlite"], indirect=True)
def test_eight_writers_two_server_processes_on_one_sqlite_file(migrated_db_url, artifacts_dir):
    url = migrated_db_url
    tokens, hot = _setup(url)
    with serve_process(url, threads=8) as a, serve_process(url, threads=8) as b:
        statuses = run_race(url, [a, b], tokens, hot, artifacts_dir / "concurrency-sqlite-2-processes.json")
    assert statuses[412] > 0 and statuses[200] > 0


def _patch_at_once(client, dest, etag, text, barrier, results, i) -> None:
    barrier.wait()
    results[i] = client.request("PATCH", f"/api/destinations/{dest}", {"description": text}, {"If-Match": etag})[0]


@pytest.mark.parametrize("rounds", [20])
def test_two_writers_from_one_version(migrated_db_url, demo_net, rounds):
    """Two writers PATCH from the same version at the same moment: one 200, one 412, every time."""
    from fixtures_db import make_staff_app

    db_url = migrated_db_url
    tokens, hot = _setup(db_url)
    app = make_staff_app(db_url, demo_net)
    dest = hot[0]
    try:
        with serve_app(app, threads=8) as port:
            clients = [Client(port, tokens[0]), Client(port, tokens[1])]
            for r in range(rounds):
                _, headers, _ = clients[0].request("GET", f"/api/destinations/{dest}")
                etag = headers["ETag"]
                barrier = threading.Barrier(2)
                results: dict[int, int] = {}
                pair = [
                    threading.Thread(
                        target=_patch_at_once, args=(clients[i], dest, etag, f"round {r} by {i}", barrier, results, i)
                    )
                    for i in range(2)
                ]
                for t in pair:
                    t.start()
                for t in pair:
                    t.join()
                assert sorted(results.values()) == [200, 412], results
    finally:
        app.extensions["bikemap_db"].dispose()
    from webapp.storage import open_database
    from webapp.storage.destinations import history

    db = open_database(db_url)
    with db.session() as s:
        changes = history(s, dest)
        assert [h.version for h in changes] == list(range(1, rounds + 2))
        # the description of each version is the winner's of that round
        assert all(h.after["description"].startswith(f"round {i} by") for i, h in enumerate(changes[1:]))
    db.dispose()
