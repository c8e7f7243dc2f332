"""Library settings, in one place (in the manner of ``osmnx.settings``).

Every setting can be changed at run time (``routes.settings.max_snap_m = 300``)
and most have a ``BIKEMAP_*`` environment variable that sets the default.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _env_float(name: str, default: float) -> float:
    """A positive number from the environment; a bad value is reported in one line and ignored."""
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
        if value > 0 and value != float("inf"):
            return value
    except ValueError:
        pass
    sys.stderr.write(f"bikemap: warning: ignoring {name}={text!r} (not a positive number); using {default}\n")
    return default


#: Folder of the project's own data files (profiles, vocabularies, translations). They ship inside
#: the package (``routes/data``) and are found beside its modules, so an installed wheel has them too
#: (``importlib.resources`` found the same folder, for 15 ms more of every start: issue #19).
data_folder: Path = Path(os.environ.get("BIKEMAP_DATA_DIR") or Path(os.path.abspath(__file__)).parent / "data")

#: Folder where built networks are cached (one file per source and build options).
cache_folder: Path = Path(
    os.environ.get("BIKEMAP_CACHE_DIR", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bikemap")
)

#: Whether long steps (reading an extract, building a network) report on stderr (`routes.progress`).
#: Off for the library; the ``bikemap`` commands turn it on unless ``--quiet``.
progress: bool = False

#: The routing engine: ``bikemap`` (the library's own), ``osrm`` (OSRM in-process, from the
#: ``osrm-bindings`` package) or ``valhalla`` (from ``pyvalhalla``); both Python 3.12+, see
#: `routes.backends`. ``bikemap --engine`` sets it.
engine: str = os.environ.get("BIKEMAP_ENGINE", "bikemap")

#: Whether built networks are written to and read from ``cache_folder``.
use_cache: bool = os.environ.get("BIKEMAP_NO_CACHE", "") == ""

#: A point farther than this many metres from every routable street is an error.
max_snap_m: float = _env_float("BIKEMAP_MAX_SNAP_M", 500.0)

#: A point moved farther than this many metres onto its street is pointed out (``moved`` in a
#: route's waypoints; the map draws a dashed line from the point to the street).
snap_note_m: float = 50.0

#: Whether bicycle routes obey turn restrictions (OSM ``type=restriction`` relations, `routes.restrictions`).
#: On by default; ``BIKEMAP_NO_TURN_RESTRICTIONS=1`` or ``False`` here turns them off (for comparisons).
turn_restrictions: bool = os.environ.get("BIKEMAP_NO_TURN_RESTRICTIONS", "") in ("", "0")

#: Most via points a single route may have.
max_via: int = 25

#: Seconds to wait for OpenStreetMap's Overpass and Nominatim servers.
requests_timeout: float = _env_float("BIKEMAP_REQUESTS_TIMEOUT", 30.0)

#: Overpass API endpoint used by ``place:`` and ``bbox:`` sources.
overpass_url: str = os.environ.get("BIKEMAP_OVERPASS_URL", "https://overpass-api.de/api")

#: Whether to ask the Overpass server's /status for a pause before querying it.
overpass_rate_limit: bool = os.environ.get("BIKEMAP_OVERPASS_RATE_LIMIT", "1") != "0"

#: Nominatim endpoint used to geocode ``place:`` sources.
nominatim_url: str = os.environ.get("BIKEMAP_NOMINATIM_URL", "https://nominatim.openstreetmap.org/")

#: The OSM way tags the network keeps (cycling needs these; everything else is dropped).
way_tags: tuple[str, ...] = (
    "highway",
    "name",
    "ref",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
    "cycleway:left:oneway",
    "cycleway:right:oneway",
    "bicycle",
    "oneway",
    "oneway:bicycle",
    "junction",
    "access",
    "vehicle",
    "motorroad",
    "surface",
    "smoothness",
    "tracktype",
    "maxspeed",
    "lanes",
    "lit",
    "segregated",
    "foot",
    "area",
    "sac_scale",
    "mtb:scale",
    "bridge",
    "tunnel",
)
