"""Time of the public map page (/) before and after a staff edit (the map is re-rendered once per change).

python scripts/bench_staff_map.py
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from fixtures_db import add_user, make_staff_app

from routes import load_network

net = load_network("demo")
app = make_staff_app("sqlite://", net, SEED_DESTINATIONS=True)
tok = add_user(app, "e", "editor", "editor-pass")
c = app.test_client()


def t(path):
    t0 = time.perf_counter()
    r = c.get(path)
    return (time.perf_counter() - t0) * 1000, r.status_code


print("first / (build map)", t("/"))
print("second / (cached)", t("/"))
r = c.get("/api/destinations/1", headers={"Authorization": "Bearer " + tok})
c.patch(
    "/api/destinations/1",
    json={"description": "x"},
    headers={"Authorization": "Bearer " + tok, "If-Match": r.headers["ETag"]},
)
print("/ after an edit (rebuild)", t("/"))
print("/ again (cached)", t("/"))
