"""The routers' own arrays, kept beside a cached network: a start reads them instead of working them out.

A `Router` is made of the network (memory-mapped from the cache) and of what bikemap works out
from it at every start: the class of every segment, the segment table of the route summaries,
the graph split at restricted junctions (`routes._turns`), then for each profile its costs, its
strongly connected pieces (SciPy) and a bound on its path costs (two SciPy Dijkstras). On
``scale_200k`` that was most of a second of every ``bikemap serve`` start (issue #19), for
results that change only with the network, the profile or bikemap itself.

They are kept in the network's cache folder, under ``routers-<fingerprint>/``: ``shared.pkl``
(the profile-independent part) and one ``<profile>.pkl`` per named profile (`Router.STORED`).
The fingerprint covers everything else they are worked out from: every file of the ``routes``
package and of the profiles' data folder (any change to the code or the tables makes new ones)
and the versions of Python and NumPy (the pickles' format). The file of a profile is named by a
digest of the profile's values and by whether turn restrictions are on (its turn costs; the
shared part holds the split graph when they are). A store that is missing, unreadable
or written by another fingerprint is worked out again and rewritten; one that cannot be
written (a read-only cache folder) is only worked out, as before.

RoutingKit's customised hierarchies are not kept: the binding cannot save them. They are made
again at each start (about 0.05 s a profile, and 0.15 s for the hierarchy of the network).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import platform
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import settings
from ._digest import files_digest

if TYPE_CHECKING:
    from .network import Network
    from .profiles import Profile
    from .routing import Router

__all__ = ["load_router", "save_router", "store_folder"]

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent


def fingerprint() -> str:
    """What the stored routers were worked out with, besides the network and the profile (see the module's text)."""
    h = hashlib.sha256(files_digest(_PACKAGE, Path(settings.data_folder)).encode())
    h.update(f"|{platform.python_version()}|{np.__version__}".encode())
    return h.hexdigest()[:16]


def store_folder(net: Network) -> Path | None:
    """The folder of ``net``'s stored routers, or None for a network that is not in a cache folder."""
    base = net.cache_path
    return None if base is None else base / f"routers-{fingerprint()}"


def _profile_file(folder: Path, profile: Profile) -> Path:
    """A profile's file: named by its values, and by whether turn restrictions are on (its turn costs)."""
    digest = hashlib.sha256(repr(profile).encode()).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in profile.name)
    return folder / f"{safe}-{digest}{'' if settings.turn_restrictions else '-no-turn-restrictions'}.pkl"


def _signature(net: Network) -> tuple[int, int, bool]:
    """A check that the store is the network's (the cache folder already says so; this costs nothing)."""
    return net.n_nodes, net.n_segments, net.ele is not None


def _read(path: Path) -> Any:
    with open(path, "rb") as f:
        # our own cache file (written by _write below), never an upload: bandit B301 does not apply
        return pickle.load(f)  # nosec B301


def load_router(net: Network, profile: Profile) -> Router | None:
    """``net``'s router for the named ``profile`` from the store, or None (not stored, or unreadable)."""
    from .routing import Router, shared_structures

    folder = store_folder(net)
    if folder is None:
        return None
    try:
        if not (folder / "shared.pkl").exists() or not _profile_file(folder, profile).exists():
            return None
        shared = shared_structures(net)
        if not shared.has_stored_parts():
            parts = _read(folder / "shared.pkl")
            if parts.get("network") != _signature(net):
                raise ValueError(f"kept for another network ({parts.get('network')}, not {_signature(net)})")
            shared.use_stored_parts(net, parts)
        return Router(net, profile, stored=_read(_profile_file(folder, profile)))
    except Exception as exc:  # a damaged store is worked out again (and written anew), never fatal
        log.warning("ignoring the stored router %s of %s: %s", profile.name, folder, exc)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def save_router(net: Network, router: Router) -> None:
    """Keep ``router`` (of a named profile) in ``net``'s store, and the network's shared part if not yet kept."""
    folder = store_folder(net)
    if folder is None:
        return
    try:
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.parent.glob("routers-*"):  # those of another fingerprint are never read again
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        shared = folder / "shared.pkl"
        if not shared.exists():
            _write(shared, {**router._shared.stored_parts(net), "network": _signature(net)})
        _write(_profile_file(folder, router.profile), router.stored())
    except OSError as exc:  # a read-only cache folder: the routers are worked out at every start, as before
        log.warning("could not keep the routers in %s: %s", folder, exc)


def _write(path: Path, value: Any) -> None:
    """Write under a temporary name, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
