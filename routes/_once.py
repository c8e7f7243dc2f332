"""Work that several processes would otherwise do at the same moment, done by one while the others wait.

Two kinds of work are kept on disk for every process of the machine: a network built from an
extract (the cache folder, `routes.sources.load_network`) and the machine code numba compiles
for the searches and the tour solvers (numba's own cache, ``cache=True``). When several
processes start on a new install at once (``bikemap serve --workers 4``, two instances, or a
test run's processes), each found nothing on disk and did the whole work itself, at the same
time: the tour solvers alone are about 40 s of compiling. With `exclusive`, the first does the
work and the others wait for it, then read what it wrote.

The lock is an advisory lock on a file (``fcntl.flock``): the system releases it when its
process ends, a crash included, so a killed build never blocks the next start. Where ``fcntl``
does not exist (Windows), every process does the work itself, as before.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover (not POSIX)
    fcntl = None  # type: ignore[assignment]

__all__ = ["compiled_once", "exclusive"]

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def exclusive(path: str | Path, *, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` (a file made if missing; its content is never read) while the block runs.

    ``waiting``: called once, before blocking, when another process holds the lock. Where the file cannot be
    made (a folder this process may not write), the block runs without the lock.
    """
    if fcntl is None:  # pragma: no cover (not POSIX)
        yield
        return
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a")  # noqa: SIM115 (closed below, after the block)
    except OSError:  # a folder this process may not write (a read-only cache): the work is done unlocked
        yield
        return
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _compile_lock(func: Callable[..., Any]) -> Path:
    """The lock file of a compiled function: one per function and source file, in the system's temporary
    folder (numba's cache sits beside the source, which may not be writable)."""
    code = getattr(func, "py_func", func).__code__
    key = hashlib.sha256(f"{code.co_filename}:{code.co_name}".encode()).hexdigest()[:16]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"bikemap-{uid}-compile-{code.co_name}-{key}.lock"


def compiled_once(func: F) -> F:
    """``func`` (a numba function cached on disk) whose first call in a process holds its lock (`exclusive`).

    The first process to call it compiles it and writes numba's cache; one that calls it meanwhile
    waits, then loads that machine code instead of compiling the same again. Later calls go straight
    to ``func``. Call the result from Python only: compiled functions call ``func`` itself.
    """
    ready = False

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal ready
        if ready:
            return func(*args, **kwargs)
        with exclusive(_compile_lock(func)):
            out = func(*args, **kwargs)
        ready = True
        return out

    call.__name__ = getattr(func, "__name__", "compiled")
    call.__doc__ = func.__doc__
    call.__wrapped__ = func  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]
