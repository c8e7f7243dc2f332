"""What a long step is doing, on stderr: reading an extract, building a network, preparing routers.

A library stays quiet unless asked: `routes.settings.progress` is off by default and the
``bikemap`` commands turn it on (``--quiet`` turns it off again). Each step is a `stage`:

- not on a terminal (a log file, CI): a line when it has run half a second, and one when it ends,
  with the time;
- on a terminal: after two seconds, a bar that moves while the step runs, then the same end line.

Quicker steps say nothing, so a bad input that fails at once still answers with its one error line.

The steps report no fraction done (pyrosm and OSMnx read a file in one call), so the bar shows
that work goes on and for how long, not how much is left. tqdm draws bars for counted work; a
20-line thread does this uncounted case without another dependency.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from . import settings

__all__ = ["stage"]

#: Seconds a step runs before it is reported: a plain line (not a terminal) or a moving bar (a terminal).
#: Quicker steps stay silent, so a bad input that fails at once still gets its one error line only.
LINE_AFTER_S = 0.5
BAR_AFTER_S = 2.0
_WIDTH = 24


@contextmanager
def stage(label: str) -> Iterator[None]:
    """Report the step ``label`` (``"building the network"``) while the ``with`` body runs."""
    if not settings.progress:
        yield
        return
    stream = sys.stderr
    tty = stream.isatty()
    t0 = time.perf_counter()
    done, shown = threading.Event(), threading.Event()
    reporter = threading.Thread(target=_report, args=(stream, tty, label, t0, done, shown), daemon=True)
    reporter.start()
    ok = False
    try:
        yield
        ok = True
    finally:
        done.set()
        reporter.join()
        if shown.is_set():
            if tty:  # the bar's line makes room for the end line (or the error that follows)
                stream.write("\r\033[K")
            if ok:
                stream.write(f"bikemap: {label}: done in {time.perf_counter() - t0:.1f} s\n")
            stream.flush()


def _report(stream, tty: bool, label: str, t0: float, done: threading.Event, shown: threading.Event) -> None:
    delay = BAR_AFTER_S if tty else LINE_AFTER_S
    if delay > 0 and done.wait(delay):
        return
    shown.set()
    if not tty:
        print(f"bikemap: {label} ...", file=stream, flush=True)
        return
    step = 0
    while not done.wait(0.2):
        pos = step % (2 * _WIDTH - 2)
        pos = pos if pos < _WIDTH else 2 * _WIDTH - 2 - pos
        cells = [" "] * _WIDTH
        cells[pos] = "#"
        elapsed = time.perf_counter() - t0
        stream.write(f"\r\033[Kbikemap: {label} [{''.join(cells)}] {elapsed:4.0f} s")
        stream.flush()
        step += 1
