"""Digests of what a kept result was worked out from: source files, and values.

A result kept between starts (the destinations seeded into the web app's database) is used
again only while everything it was worked out from is the same. The code is part of that:
a digest of the files of a package changes with any edit, so nobody has to remember to bump a version number.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from pathlib import Path
from typing import Any

__all__ = ["files_digest", "value_digest"]


@functools.cache
def files_digest(*folders: Path) -> str:
    """A digest of every file under ``folders`` (their names and bytes; ``__pycache__`` left out), once per process."""
    h = hashlib.sha256()
    roots = list(dict.fromkeys(Path(f).resolve() for f in folders))
    for root in roots:
        if not root.is_dir() or any(other in root.parents for other in roots):
            continue  # a folder inside another one given is in that one's digest
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def value_digest(value: Any) -> str:
    """A digest of a picklable value (equal values made the same way give the same digest)."""
    return hashlib.sha256(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
