#!/usr/bin/env python
"""Build README.md from its parts in docs/readme/ (one per feature), with a table of contents.

Usage: python scripts/build_readme.py [--check]   (--check: exit 1 when README.md is out of date)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = [
    "00-intro",
    "05-glance",
    "10-engine",
    "webapp",
    "basemap",
    "tours",
    "featured",
    "bikeshare",
    "elevation",
    "staff",
    "quality",
    "security",
    "operations",
]


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def build() -> str:
    parts = [(ROOT / "docs" / "readme" / f"{name}.md").read_text(encoding="utf-8").strip() for name in PARTS]
    toc = ["## Contents", ""]
    for part in parts[1:]:
        for line in part.splitlines():
            if line.startswith("## "):
                toc.append(f"- [{line[3:].replace('`', '')}](#{_anchor(line[3:])})")
    note = "<!-- Built by scripts/build_readme.py from docs/readme/*.md: edit those, then run it. -->"
    return "\n\n".join([parts[0], "\n".join(toc), *parts[1:]]) + f"\n\n{note}\n"


def main(argv: list[str]) -> int:
    text = build()
    readme = ROOT / "README.md"
    if "--check" in argv:
        if readme.read_text(encoding="utf-8") != text:
            print("README.md is out of date: run python scripts/build_readme.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
