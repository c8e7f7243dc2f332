"""``bikemap serve``: run the web app on a production WSGI server (granian; waitress with ``--server waitress``).

The network is built or loaded from the cache once, before the server starts
listening. ``--debug`` runs Flask's development server (reloader off) instead.

granian (the default, `serve_granian`) parses HTTP in Rust and calls the app in
``--threads`` Python threads. ``bikemap serve`` makes the app once (settings
checked, network loaded, routers made, heap frozen). With one worker (the
default) granian serves it in this process. With ``--workers N`` granian forks N
processes that serve it: the network is shared copy-on-write, and each worker
drops the database connections it inherited and opens its own (`_in_worker`);
the first process stays as their supervisor: it stops them on SIGTERM/SIGINT and
exits when one dies.

waitress (``--server waitress``: pure Python, kept as a fallback) is one process;
``--workers N`` (POSIX) loads the network once, opens the listening socket, then
forks N waitress processes that share both, each with an app of its own.

Route searches hold Python's GIL for most of their time, so a worker uses about
one core whatever the server.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading

from routes.cli import add_source_argument
from routes.errors import InvalidValueError

log = logging.getLogger(__name__)

#: The servers of ``--server``, the default first.
SERVERS = ("granian", "waitress")


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="run the web app (map and JSON API)",
        description="Serve the bikemap web app: the route planner map and the JSON API.",
    )
    add_source_argument(p, default=None)  # none given: BIKEMAP_SOURCE, else demo (webapp.config)
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--server",
        choices=SERVERS,
        default="granian",
        help="HTTP server: granian (default; Rust) or waitress (pure Python)",
    )
    p.add_argument("--threads", type=int, default=8, help="threads per server process that run the app (default 8)")
    p.add_argument(
        "--connection-limit",
        type=int,
        default=500,
        help="open connections per server process before it stops accepting more (default 500; "
        "granian's backpressure, waitress's connection_limit)",
    )
    p.add_argument(
        "--channel-timeout",
        type=int,
        default=30,
        help="seconds a client has to send a request's head, and a kept-alive connection may stay idle "
        "(default 30; with waitress: seconds of silence). Neither server bounds a slowly sent body: "
        "put a buffering proxy in front (docs: operations)",
    )
    p.add_argument(
        "--graceful-timeout",
        type=int,
        default=30,
        metavar="SECONDS",
        help="seconds the requests in flight get to finish after SIGTERM/SIGINT before the server stops anyway "
        "(default 30; granian)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the socket (default 1; POSIX)",
    )
    p.add_argument(
        "--tiles",
        default=None,
        metavar="URL|none",
        help="a raster tile server of your own ({z}/{x}/{y} URL template) instead of the built-in base map, "
        "or none for the network on a plain background",
    )
    p.add_argument("--tiles-attribution", default=None, metavar="TEXT", help="attribution of the tiles")
    p.add_argument(
        "--gbfs",
        default=None,
        metavar="URL",
        help="GBFS feed (gbfs.json) of the bike-share system: live stations",
    )
    p.add_argument(
        "--dem",
        metavar="PATH",
        help="elevation data (.hgt/.hgt.zip tiles, a folder of them, or GeoTIFF)",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="destination database (SQLAlchemy URL; default: SQLite file in the instance folder)",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="Flask development server with debug mode (never in production)",
    )
    p.set_defaults(func=run)


def _config(args: argparse.Namespace) -> dict:
    """Settings the options give (each over instance config.py and BIKEMAP_* variables)."""
    cfg = {}
    if args.source:
        cfg["SOURCE"] = args.source
    if args.cache_dir:
        cfg["CACHE_DIR"] = args.cache_dir
    if args.dem:
        cfg["DEM"] = args.dem
    if args.engine:
        cfg["ENGINE"] = args.engine
    if args.tiles is not None:
        off = args.tiles.lower() in ("", "none", "off")
        cfg["TILES_URL"] = "" if off else args.tiles
        if off:
            cfg["BASEMAP"] = "none"
    if args.tiles_attribution is not None:
        cfg["TILES_ATTRIBUTION"] = args.tiles_attribution
    if getattr(args, "db", None):
        cfg["DATABASE_URL"] = args.db
    if getattr(args, "gbfs", None):
        cfg["GBFS_URL"] = args.gbfs
    return cfg


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InvalidValueError(f"--port must be 1..65535, got {args.port}")
    if not 1 <= args.threads <= 256:
        raise InvalidValueError(f"--threads must be 1..256, got {args.threads}")
    if not 1 <= getattr(args, "connection_limit", 500) <= 10000:
        raise InvalidValueError(f"--connection-limit must be 1..10000, got {args.connection_limit}")
    if not 1 <= getattr(args, "channel_timeout", 30) <= 3600:
        raise InvalidValueError(f"--channel-timeout must be 1..3600 seconds, got {args.channel_timeout}")
    if not 1 <= getattr(args, "graceful_timeout", 30) <= 3600:
        raise InvalidValueError(f"--graceful-timeout must be 1..3600 seconds, got {args.graceful_timeout}")
    if not 1 <= args.workers <= 64:
        raise InvalidValueError(f"--workers must be 1..64, got {args.workers}")
    if args.workers > 1 and (args.debug or not hasattr(os, "fork")):
        raise InvalidValueError("--workers needs a POSIX system and cannot be used with --debug")
    granian = getattr(args, "server", "granian") == "granian" and not args.debug
    if granian and not hasattr(os, "fork"):
        raise InvalidValueError("--server granian needs a POSIX system: use --server waitress")
    from webapp.heap import limit_arenas

    limit_arenas()  # before any thread starts: the server's threads share two malloc arenas (webapp.heap)
    if granian:
        return _serve_granian(args)
    if args.workers > 1:
        return _serve_forked(args)
    app = _create_app(_config(args))  # every setting is checked here, before listening
    _freeze_heap()
    _announce(args, app.extensions["bikemap.network"])
    try:
        if args.debug:
            app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        else:
            import waitress

            waitress.serve(
                app,
                host=args.host,
                port=args.port,
                threads=args.threads,
                ident="bikemap",
                max_request_body_size=_max_body(app),
                **_connections(args),
                **_proxy(app),
            )
    except OSError as exc:
        raise InvalidValueError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def _connections(args: argparse.Namespace) -> dict:
    """waitress connection settings: ``--connection-limit``, ``--channel-timeout``, and poll() (select() stops
    at 1024 sockets). What waitress cannot bound (a slow client holding a connection) is the proxy's job."""
    import select

    return {
        "connection_limit": args.connection_limit,
        "channel_timeout": getattr(args, "channel_timeout", 30),
        "cleanup_interval": min(30, max(1, getattr(args, "channel_timeout", 30) // 2)),
        "backlog": 1024,
        "asyncore_use_poll": hasattr(select, "poll"),
    }


def _max_body(app) -> int:
    """waitress buffers a body (a chunked one too) before the app sees it: no more than the
    largest the app accepts (an import) and 1 MB of form framing; the app's own limits answer 413."""
    return int(app.config["IMPORT_MAX_BYTES"]) + 1024 * 1024


def _proxy(app) -> dict:
    """waitress's trust in a reverse proxy (``PROXY_FIX``): which X-Forwarded-* headers it keeps.

    waitress removes every X-Forwarded-* header of an untrusted peer before the app
    sees it, so werkzeug's ProxyFix alone (`webapp.security`) would never see them.
    With ``PROXY_FIX = N`` waitress trusts a proxy at any address (set it only when
    the port is reachable through the proxy alone) and passes the headers on; the
    app's ProxyFix then takes N hops of X-Forwarded-For, -Proto and -Host.
    """
    hops = int(app.config["PROXY_FIX"])
    if hops <= 0:
        return {}
    return {
        "trusted_proxy": "*",
        "trusted_proxy_count": hops,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
        "clear_untrusted_proxy_headers": True,
    }


#: The ``Server`` header of every answer under granian (waitress's ``ident``).
SERVER_HEADER = ("Server", "bikemap")

#: CGI variables a request may lack, that granian would then take from the server's environment.
_CGI_KEYS = frozenset(
    {
        "AUTH_TYPE",
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "HTTPS",
        "RAW_URI",
        "REMOTE_HOST",
        "REMOTE_PORT",
        "REMOTE_USER",
        "REQUEST_URI",
    }
)


def _serve_granian(args: argparse.Namespace) -> int:
    """``bikemap serve`` on granian: the app made here once, then served (`serve_granian`)."""
    app = _create_app(_config(args))  # every setting is checked here, before listening
    _freeze_heap()
    # checked free last, so that little happens between this check and granian's own bind
    host = _listen_address(args.host, args.port)
    _announce(args, app.extensions["bikemap.network"])
    serve_granian(
        app,
        host,
        args.port,
        workers=args.workers,
        threads=args.threads,
        connection_limit=getattr(args, "connection_limit", 500),
        header_timeout=getattr(args, "channel_timeout", 30),
        stop_seconds=getattr(args, "graceful_timeout", 30),
        verbose=bool(getattr(args, "verbose", False)),
    )
    return 0


def _listen_address(host: str, port: int) -> str:
    """The numeric address of ``host`` (granian takes no names), checked free on ``port``.

    granian's workers bind with ``SO_REUSEPORT``, so a second granian on a port (a ``bikemap serve`` left
    running) would silently share its connections instead of failing. A plain bind fails on any listener,
    granian's or not; it is closed again before granian binds."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        # one address (granian binds one): IPv4 first, as clients of "localhost" mostly try it
        family, _, _, _, sockaddr = min(found, key=lambda info: info[0] != socket.AF_INET)
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is no obstacle
            probe.bind(sockaddr)
    except OSError as exc:
        raise InvalidValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return str(sockaddr[0])


def serve_granian(
    app,
    host: str,
    port: int,
    *,
    workers: int = 1,
    threads: int = 8,
    connection_limit: int = 500,
    header_timeout: int = 30,
    stop_seconds: int = 30,
    verbose: bool = False,
) -> None:
    """Serve ``app``, made in this process, with granian on ``host`` (numeric) and ``port`` until SIGTERM/SIGINT.

    With one worker, the worker runs in this process (granian's thread server, which granian offers on
    free-threaded Python only; with the GIL it works the same, the app's threads taking turns as under any
    WSGI server): one process, no copy of the app. With more, granian forks ``workers`` processes (copies of
    this one, the app and its network included: `_in_worker`). Each calls the app in ``threads`` threads,
    over HTTP/1.1 only:

    - ``header_timeout``: seconds from a connection's start (or its previous answer) until a request's whole
      head has arrived; then the connection is closed. It bounds idle, silent and trickling clients alike
      (granian's automatic HTTP/2 detection has no such bound, hence HTTP/1.1 only). A slowly sent *body*
      is not bounded: it holds one of the ``threads`` while the app reads it (the proxy's job).
    - ``connection_limit``: open connections per worker (granian's backpressure); more wait in the backlog.
    - no access log; granian's own messages go to this process's log (errors only, unless ``verbose``).

    ``X-Forwarded-*`` headers reach the app as sent: the app trusts them through its own ProxyFix only
    with ``PROXY_FIX`` (`webapp.security`). Request bodies stream to the app, which enforces its own
    limits (413), a chunked body's too (`webapp.security.Request`).
    """
    import multiprocessing

    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import MPServer, MTServer
    from granian.server.common import AbstractServer

    served = _Served(app)
    if workers == 1:  # the worker in this process, a thread beside the supervising main thread: no fork
        # without MTServer's check that the GIL is off, and its note that free-threaded Python is experimental
        server_class = type("InProcess", (MTServer,), {"_check_gil": lambda self: None, "serve": AbstractServer.serve})

        def load(_target: str):
            return served

    else:  # the workers forked from this process
        multiprocessing.set_start_method("fork", force=True)  # copies of this process, whatever the default
        server_class, parent = MPServer, os.getpid()

        def load(_target: str):  # in each worker, before it serves
            _in_worker(app, parent)
            return served

    server = server_class(
        "bikemap",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        # the app's threads keep their per-thread state (route queries, SQLite connections) through quiet
        # spells: granian ends a thread idle this long (its longest; its default is 30 s)
        blocking_threads_idle_timeout=600,
        backpressure=connection_limit,
        backlog=1024,
        http=HTTPModes.http1,
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=header_timeout * 1000),
        log_level=LogLevels.info if verbose else LogLevels.error,
        # granian's messages through this process's handlers (stderr), none of its own on stdout
        log_dictconfig={
            "incremental": True,
            "handlers": {},
            "loggers": {"_granian": {"propagate": True}, "granian.access": {"propagate": True}},
        },
        log_access=False,
        workers_kill_timeout=stop_seconds,
    )
    try:
        server.serve(target_loader=load)
    except (RuntimeError, ValueError) as exc:  # granian's bind errors (OSError comes as RuntimeError)
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidValueError(f"cannot listen on {host}:{port}: {reason}") from None
    if workers == 1:
        _stop_left_requests(stop_seconds)


def _stop_left_requests(stop_seconds: int) -> None:
    """End this process if a request outlived the stop's ``stop_seconds`` in granian's in-process worker.

    A forked worker is killed then; the thread of the in-process one is only told to stop, and Python's exit
    would wait for it, for as long as a client keeps its request unfinished (a body that never comes).
    """
    left = [t for t in threading.enumerate() if t.name == "granian-worker" and t.is_alive()]
    if not left:
        return
    print(
        f"bikemap: stopped with requests still running after {stop_seconds} s (--graceful-timeout)",
        file=sys.stderr,
        flush=True,
    )
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)


def _in_worker(app, parent: int) -> None:
    """What a granian worker does first, in the forked process.

    It dies with its supervisor (Linux: a worker left behind would keep serving and holding the port),
    and opens database connections of its own (`_own_connections`).
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, ctypes.c_ulong(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the supervisor died before that
        os._exit(1)
    _own_connections(app)


def _own_connections(app) -> None:
    """Forget the database connections this process inherited (a fork), without closing them, so that it
    opens its own: SQLAlchemy's ``dispose(close=False)``. Not an in-memory SQLite database (tests): its one
    connection is the database."""
    db = app.extensions.get("bikemap_db")
    if db is not None and db.engine.url.database not in (None, "", ":memory:"):
        db.engine.dispose(close=False)


class _Served:
    """The app as granian calls it.

    Every answer says ``Server: bikemap`` (granian's own would be ``granian``). granian also copies the
    server's environment variables into every request's WSGI environ: those a request could carry
    itself (``HTTP_*``, which would read as request headers, ``CONTENT_TYPE``...) are taken out again
    where the request did not set them; there are usually none.
    """

    __slots__ = ("app", "leaked")

    def __init__(self, app):
        self.app = app
        self.leaked = tuple((k, v) for k, v in os.environ.items() if k.startswith("HTTP_") or k in _CGI_KEYS)

    def __call__(self, environ, start_response):
        for key, value in self.leaked:
            if environ.get(key) == value:
                del environ[key]

        def start(status, headers, exc_info=None):
            headers.append(SERVER_HEADER)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


#: Net new objects between two collections of the youngest generation in a serving process
#: (Python's default: 700); see `_freeze_heap`.
GC_YOUNG = 10_000


def _create_app(config: dict):
    """`webapp.create_app` with Python's garbage collector paused: the start makes almost only objects that live
    as long as the process (modules, classes, the network's tags, the routers), and the collector walked them
    again and again while they were made (0.1-0.2 s of CPU of a start on ``scale_200k``, in over 200
    collections). `_freeze_heap` collects once afterwards."""
    import gc

    from webapp import create_app

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return create_app(config_overrides=config)
    finally:
        if was_enabled:
            gc.enable()


def _freeze_heap() -> None:
    """Move everything loaded so far out of the garbage collector's sight (``gc.freeze``).

    The network holds hundreds of thousands of long-lived Python objects (a tag dict and
    a class per street segment, the place index). Python's full collections, which a
    route's few thousand new objects trigger now and then, walked all of them: 10-40 ms
    added to some requests on ``scale_200k`` (p50 24 -> 12 ms in-process, measured with
    ``cProfile``). Frozen objects are never walked, and, before a fork, never written by
    the collector either, so the workers keep sharing their pages instead of copying them.

    The youngest generation is collected after `GC_YOUNG` net new objects instead of
    Python's 700: a route answer holds a few hundred to a few thousand objects at once (a
    list per position of its line, a dict per instruction), so at 700 a collection ran in
    about every third Liechtenstein request and walked only live objects (some 60-90 us a
    request, issue 17). Nearly all of a request's objects are freed by reference counting
    when it ends, so the collections still come when garbage cycles pile up.

    The collection before the freeze walks the youngest generation only: `_create_app` paused the
    collector, so everything the app's start made, and any garbage of it, is still there; the older
    generations hold what the ``bikemap`` command's imports made before, and walking them again cost
    0.04-0.05 s of a start (issue #19) for a handful of objects.

    Then the C heap's free pages go back to the system (`webapp.heap.release_freed`).
    """
    import gc

    from webapp.heap import release_freed

    gc.collect(0)
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    release_freed()  # what loading freed in the middle of the C heap (webapp.heap)


def _announce(args: argparse.Namespace, net) -> None:
    url = f"http://{args.host}:{args.port}/"
    workers = f", {args.workers} processes" if args.workers > 1 else ""
    print(
        f"bikemap: serving {net.name} ({net.n_segments} street segments{workers}): open {url} in a browser",
        file=sys.stderr,
        flush=True,
    )


def _serve_forked(args: argparse.Namespace) -> int:
    from webapp import create_app

    # one app first, in this process: it checks the settings, loads the network and warms
    # the routers (shared copy-on-write with the workers) and does the one-time set-up
    # (database, instance files) before any worker races for it; the workers then make
    # their own apps (own database connections)
    first = _create_app(_config(args))
    net = first.extensions["bikemap.network"]
    _freeze_heap()
    try:
        sock = socket.create_server((args.host, args.port), reuse_port=False, backlog=1024)
    except OSError as exc:
        raise InvalidValueError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    _announce(args, net)
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own app (and database connections), the shared network and socket
            code = 1
            try:
                import waitress

                app = create_app(config_overrides={**_config(args), "NETWORK": net})
                waitress.serve(
                    app,
                    sockets=[sock],
                    threads=args.threads,
                    ident="bikemap",
                    max_request_body_size=_max_body(app),
                    **_connections(args),
                    **_proxy(app),
                )
                code = 0
            except KeyboardInterrupt:
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()

    def stop(signum, _frame):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    for pid in children:
        while True:
            try:
                _, st = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                st = 0
                break
        if os.waitstatus_to_exitcode(st) not in (0, -signal.SIGTERM, -signal.SIGINT):
            status = 1
    return status
