"""Crash test: ``kill -9`` the server during a large staff import, again and again.

For each iteration, starts the production server (``bikemap serve``, granian,
demo network) as a subprocess on an SQLite file, sends a GeoJSON import of
``--rows`` destinations through the staff API (``POST /api/destinations/import``),
and kills the server with SIGKILL at a random moment of the import (the delay
is drawn between 0 and 1.25 times the duration of the faster of two imports
that were not killed, measured first). After each kill the database file must pass
``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` and hold either
every row of that import (destinations and their history rows) or none.

    python scripts/crash_import.py --iterations 20 --rows 5000

Prints one line per iteration and, last, how many of the iterations passed.
`tests/webapp/test_crash_import.py` runs the same code with a smaller import and
``--zygote``: one helper process imports the app and loads the network once,
then forks each server (granian as ``bikemap serve`` runs it, the same app) from
it, which saves the 1.7 s of Python start-up per iteration; the server killed is
still a process of its own with its own database connections. A server is killed
with its process group: granian's supervisor and the worker that does the import.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(path: Path) -> str:
    """Create the database (schema, one editor) and return the editor's API token."""
    from webapp.storage import open_database
    from webapp.storage.models import ApiToken, User, hash_password, hash_token, new_token

    db = open_database(f"sqlite:///{path}")
    token = new_token()
    with db.session() as s:
        user = User(name="importer", role="editor", password_hash=hash_password("crash-test"), active=True)
        s.add(user)
        s.flush()
        s.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
        s.commit()
    db.dispose()
    return token


def start_server(db_path: Path, log_path: Path, *, timeout: float = 120.0) -> tuple[subprocess.Popen, int]:
    """``bikemap serve`` on the demo network and ``db_path``; returns once it answers."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "webapp.cli",
        "serve",
        "--source",
        "demo",
        "--db",
        f"sqlite:///{db_path}",
        "--port",
        str(port),
        "--threads",
        "4",
        "--tiles",
        "none",
    ]
    env = {**os.environ, "BIKEMAP_WARM_PROFILES": "false"}
    with open(log_path, "a") as log:  # its own process group: killed with its worker (`_kill_and_wait`)
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env=env, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/profiles")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start in time")


class Zygote:
    """A helper process that has imported the web app; forks a server (granian) on request."""

    def __init__(self, log_path: Path):
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--zygote-process"],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )

    def start_server(self, db_path: Path, *, timeout: float = 60.0) -> tuple[int, int]:
        """(pid, port) of a new server on ``db_path``, once it answers."""
        port = free_port()
        self.proc.stdin.write(f"{db_path}\t{port}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the zygote process exited")
        pid = int(line)
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/profiles")
                if conn.getresponse().status == 200:
                    conn.close()
                    return pid, port
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in time") from None
                time.sleep(0.02)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.log.close()


def _zygote_process() -> int:
    """Import everything once, then fork one server per line "DB_PATH<TAB>PORT" of stdin."""
    from routes import load_network
    from webapp import create_app
    from webapp.cli.serve import serve_granian

    net = load_network("demo")
    config = {"SOURCE": "demo", "NETWORK": net, "WARM_PROFILES": False, "TILES_URL": ""}
    # one app made and asked once here, on a scratch database, so that what the app imports on its first
    # start and first request is imported once, not again in every forked server (about 0.8 s each)
    with tempfile.TemporaryDirectory(prefix="crash_import-warm-") as scratch:
        warm = create_app(config_overrides={**config, "DATABASE_URL": f"sqlite:///{scratch}/warm.sqlite3"})
        warm.test_client().get("/api/profiles")
        warm.extensions["bikemap_db"].dispose()
        del warm
    for line in sys.stdin:
        db_path, port = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setsid()  # its own process group: killed with its worker (`_kill_and_wait`)
                app = create_app(config_overrides={**config, "DATABASE_URL": f"sqlite:///{db_path}"})
                serve_granian(app, "127.0.0.1", int(port), threads=4)
                code = 0
            finally:
                os._exit(code)
        print(pid, flush=True)
        while True:  # reap killed servers
            try:
                done, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == 0:
                break
    return 0


def _kill_and_wait(pid: int) -> None:
    """SIGKILL the process group that ``pid`` leads (the server: granian's supervisor and its worker)
    and wait until each of its processes is gone (or a zombie: its files are closed then)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while True:
        alive = False
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(group) == pid and state not in ("Z", "X"):
                alive = True
                break
        if not alive:
            return
        time.sleep(0.005)


def import_body(prefix: str, rows: int, bounds, seed: int) -> bytes:
    """A GeoJSON FeatureCollection of ``rows`` new destinations named ``prefix-N``."""
    west, south, east, north = bounds
    rng = random.Random(seed)
    feats = []
    for i in range(rows):
        lon = west + (east - west) * (0.1 + 0.8 * rng.random())
        lat = south + (north - south) * (0.1 + 0.8 * rng.random())
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {
                    "name": f"{prefix}-{i}",
                    "category": "park",
                    "published": True,
                    "description": "crash test " * 5,
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def post_import(port: int, token: str, body: bytes, out: dict) -> None:
    t0 = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request(
            "POST",
            "/api/destinations/import",
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        out["status"] = resp.status
        out["body"] = resp.read()[:500]
    except (OSError, http.client.HTTPException) as exc:
        out["status"] = None
        out["error"] = type(exc).__name__
    out["seconds"] = time.perf_counter() - t0


def check_database(path: Path, prefix: str) -> dict:
    """integrity_check, foreign_key_check, and the rows of the import named ``prefix``."""
    conn = sqlite3.connect(path)  # opening recovers the WAL left by the killed server
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        dests = conn.execute("SELECT count(*) FROM destinations WHERE name LIKE ? || '-%'", (prefix,)).fetchone()[0]
        hist = conn.execute(
            "SELECT count(*) FROM destination_history h JOIN destinations d ON d.id = h.destination_id "
            "WHERE d.name LIKE ? || '-%'",
            (prefix,),
        ).fetchone()[0]
    finally:
        conn.close()
    return {"integrity": integrity, "foreign_keys": fk, "destinations": dests, "history": hist}


@dataclass
class Outcome:
    iteration: int
    delay: float
    status: int | None
    destinations: int
    history: int
    integrity_ok: bool
    foreign_keys_ok: bool
    rows: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        state = "all" if self.destinations == self.rows else "none" if self.destinations == 0 else "PARTIAL"
        verdict = "ok" if self.ok else "FAILED: " + "; ".join(self.problems)
        return (
            f"#{self.iteration:>2} kill after {self.delay * 1000:6.0f} ms  response {self.status}  "
            f"import {state} ({self.destinations} rows, {self.history} history)  "
            f"integrity {'ok' if self.integrity_ok else 'BAD'}  {verdict}"
        )


def run(
    *, iterations: int, rows: int, seed: int = 1, folder: Path | None = None, echo=print, zygote: bool = False
) -> dict:
    """Measure one import, then kill the server during ``iterations`` more; return the figures."""
    from routes import load_network

    rng = random.Random(seed)
    folder = Path(folder or tempfile.mkdtemp(prefix="crash_import-"))
    db_path = folder / "bikemap.sqlite3"
    log_path = folder / "server.log"
    token = prepare_database(db_path)
    bounds = load_network("demo").bounds

    forker = Zygote(log_path) if zygote else None

    def server() -> tuple[int, int]:
        if forker is not None:
            return forker.start_server(db_path)
        proc, port = start_server(db_path, log_path)
        procs[proc.pid] = proc
        return proc.pid, port

    def kill(pid: int) -> None:
        _kill_and_wait(pid)
        if pid in procs:
            procs.pop(pid).wait()

    procs: dict[int, subprocess.Popen] = {}
    try:
        return _iterations(
            server,
            kill,
            iterations=iterations,
            rows=rows,
            seed=seed,
            rng=rng,
            db_path=db_path,
            token=token,
            bounds=bounds,
            folder=folder,
            echo=echo,
        )
    finally:
        for pid, proc in procs.items():
            _kill_and_wait(pid)
            proc.wait()
        if forker is not None:
            forker.close()


def _iterations(server, kill, *, iterations, rows, seed, rng, db_path, token, bounds, folder, echo) -> dict:
    # two imports that are not killed: they must arrive whole, and the faster one gives the
    # duration to aim at (the first request of a server is slower)
    pid, port = server()
    times = []
    for name in ("full", "full2"):
        out: dict = {}
        post_import(port, token, import_body(name, rows, bounds, seed), out)
        got = check_database(db_path, name)
        if out.get("status") != 200 or got["destinations"] != rows:
            raise RuntimeError(f"the reference import failed: {out} {got}")
        times.append(out["seconds"])
    kill(pid)
    duration = min(times)
    echo(
        f"reference imports of {rows} rows: {times[0] * 1000:.0f} and {times[1] * 1000:.0f} ms, HTTP 200, "
        f"{rows} rows each"
    )

    outcomes = []
    for k in range(1, iterations + 1):
        prefix = f"crash{k}"
        body = import_body(prefix, rows, bounds, seed + k)
        pid, port = server()
        out = {}
        client = threading.Thread(target=post_import, args=(port, token, body, out))
        delay = rng.uniform(0.0, 1.25 * duration)
        client.start()
        time.sleep(delay)
        kill(pid)
        client.join(timeout=60)
        got = check_database(db_path, prefix)
        o = Outcome(
            k,
            delay,
            out.get("status"),
            got["destinations"],
            got["history"],
            got["integrity"] == ["ok"],
            not got["foreign_keys"],
            rows,
        )
        if not o.integrity_ok:
            o.problems.append(f"integrity_check: {got['integrity'][:5]}")
        if not o.foreign_keys_ok:
            o.problems.append(f"foreign_key_check: {got['foreign_keys'][:5]}")
        if o.destinations not in (0, rows) or o.history != o.destinations:
            o.problems.append("part of the import is stored")
        if o.status == 200 and o.destinations != rows:
            o.problems.append("answered 200 but the import is not stored")
        echo(o.line())
        outcomes.append(o)
    # earlier imports are still whole after every crash
    final = check_database(db_path, "full")
    passed = sum(o.ok for o in outcomes)
    lost_answer = sum(o.destinations == rows and o.status is None for o in outcomes)
    echo(
        f"{passed} of {iterations} kills left an intact database holding all or none of the import "
        f"({sum(o.destinations == rows for o in outcomes)} all, of which {lost_answer} killed after the commit "
        f"but before the answer; {sum(o.destinations == 0 for o in outcomes)} none); "
        f"the first import still has {final['destinations']} of {rows} rows"
    )
    return {
        "duration": duration,
        "outcomes": outcomes,
        "passed": passed,
        "reference_rows": final["destinations"],
        "folder": folder,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--rows", type=int, default=5000, help="destinations per import (default 5000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--folder", type=Path, default=None, help="where the database goes (default: a temp folder)")
    ap.add_argument(
        "--zygote", action="store_true", help="fork the servers from one process that imported the app (faster start)"
    )
    ap.add_argument("--zygote-process", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.zygote_process:
        return _zygote_process()
    t0 = time.perf_counter()
    result = run(iterations=args.iterations, rows=args.rows, seed=args.seed, folder=args.folder, zygote=args.zygote)
    print(f"{time.perf_counter() - t0:.0f} s in all; database in {result['folder']}")
    return 0 if result["passed"] == args.iterations and result["reference_rows"] == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
