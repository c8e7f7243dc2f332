"""What every outside engine's backend shares: built from the network's own ``.osm.pbf``, in its
folder of the cache, counting the legs it hands back to bikemap's engine; its tools run as
subprocesses whose failure is one `EngineUnavailableError` line."""

from __future__ import annotations

import logging
import subprocess
import threading
from pathlib import Path

from .. import settings
from ..errors import EngineUnavailableError
from ..network import Network
from ._mapback import segment_pairs

__all__ = ["PbfBackend", "run_tool"]


class PbfBackend:
    """The common part of `OsrmBackend` and `ValhallaBackend`: ``name`` names the engine (its
    cache folder and log lines), ``builds`` what it makes from the extract (for the error)."""

    name = ""
    builds = ""

    def __init__(self, network: Network, *, folder: str | None = None):
        if network.meta.get("kind") != "pbf" or not network.meta.get("source"):
            raise EngineUnavailableError(
                f"the {self.name} engine builds {self.builds} from an .osm.pbf file; {network.name} is not one"
            )
        self.network = network
        self.source = Path(network.meta["source"])
        self.root = Path(folder or settings.cache_folder) / self.name
        self.fallbacks = 0
        self._pairs = segment_pairs(network)
        self._lock = threading.Lock()
        self._log = logging.getLogger(f"routes.backends.{self.name}")

    def _fell_back(self, why: str) -> None:
        with self._lock:
            self.fallbacks += 1
        self._log.info("%s: %s", self.name, why)


def run_tool(cmd: list[str]) -> None:
    """Run one of the engine's programs; its failure is one line naming it and its last words."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise EngineUnavailableError(f"{Path(cmd[0]).name} failed: {tail[0]}")
