"""Seeding destinations at start only when what it reads changed (`seed_if_changed`, issue #19).

A restart with the same features and untouched rows skips the seed; anything else seeds:
other features, other code, OSM rows edited or removed since. A staff edit survives all of it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.storage import destinations as dest
from webapp.storage.models import Destination, Meta


def _osm_rows(session) -> list[Destination]:
    return list(session.scalars(select(Destination).where(Destination.osm_id.is_not(None)).order_by(Destination.id)))


def _renamed(pois, ref: str, name: str) -> list[dict]:
    out = []
    for p in pois:
        if f"{p['osm_type']}/{p['osm_id']}" == ref:
            p = {**p, "tags": {**p["tags"], "name": name}}
        out.append(p)
    return out


def test_a_restart_with_nothing_changed_does_not_seed_again(database, demo_net, monkeypatch):
    with database.session() as s:
        first = dest.seed_if_changed(s, demo_net.pois)
        assert first is not None and first["created"] > 100
        assert s.get(Meta, dest.SEED_KEY).value["rows"][0] == first["created"]

        def fail(*args, **kwargs):
            raise AssertionError("seeded again")

        monkeypatch.setattr(dest, "seed_destinations", fail)
        assert dest.seed_if_changed(s, demo_net.pois) is None
        assert dest.seed_if_changed(s, list(demo_net.pois)) is None  # the same features, another list


def test_staff_edits_are_kept_and_every_change_seeds_again(database, demo_net):
    with database.session() as s:
        dest.seed_if_changed(s, demo_net.pois)
        rows = _osm_rows(s)
        edited, other, removed = rows[0], rows[1], rows[2]
        dest.update_destination(s, edited.id, 1, {"description": "Checked by the tourism office"}, user="clerk")
        # the rows changed since the seed: seeded again, the edit kept
        again = dest.seed_if_changed(s, demo_net.pois)
        assert again is not None and again["kept_staff"] == 1 and again["updated"] == again["created"] == 0
        assert dest.seed_if_changed(s, demo_net.pois) is None
        # OSM renamed two of the places: seeded again; the staff-edited one keeps staff's values
        pois = _renamed(_renamed(demo_net.pois, other.osm_id, "Renamed in OSM"), edited.osm_id, "Also renamed")
        renamed = dest.seed_if_changed(s, pois)
        assert renamed is not None and renamed["updated"] == 1 and renamed["kept_staff"] == 1
        s.expire_all()
        assert s.get(Destination, other.id).name == "Renamed in OSM"
        assert s.get(Destination, edited.id).name != "Also renamed"
        assert s.get(Destination, edited.id).description == "Checked by the tourism office"
        assert dest.seed_if_changed(s, pois) is None
        # a row removed by hand (not through the app): seeded again, so the place is back
        ref = removed.osm_id
        s.delete(s.get(Destination, removed.id))
        s.commit()
        back = dest.seed_if_changed(s, pois)
        assert back is not None and back["created"] == 1
        assert [r.osm_id for r in _osm_rows(s)].count(ref) == 1
        assert s.get(Destination, edited.id).description == "Checked by the tourism office"


def test_other_code_or_tables_seed_again(database, demo_net, monkeypatch):
    with database.session() as s:
        dest.seed_if_changed(s, demo_net.pois)
        assert dest.seed_if_changed(s, demo_net.pois) is None
        monkeypatch.setattr(dest, "files_digest", lambda *folders: "the code changed")
        assert dest.seed_if_changed(s, demo_net.pois) is not None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_app_seeds_on_its_first_start_only(db_url, demo_net, monkeypatch):
    from webapp import create_app

    settings = {"TESTING": True, "NETWORK": demo_net, "DATABASE_URL": db_url, "WARM_PROFILES": False}
    app = create_app({**settings, "SEED_DESTINATIONS": True})
    with app.extensions["bikemap_db"].session() as s:
        count = len(_osm_rows(s))
    app.extensions["bikemap_db"].dispose()
    assert count > 100
    seeded = []
    monkeypatch.setattr(dest, "seed_destinations", lambda *a, **k: seeded.append(1) or {})
    app = create_app({**settings, "SEED_DESTINATIONS": True})
    app.extensions["bikemap_db"].dispose()
    assert seeded == []
