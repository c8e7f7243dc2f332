"""``bikemap tour --db``: the web package's command plans with the database's destination ids.

The library's ``bikemap tour`` (routes.cli) knows only OSM ids; the ``bikemap`` entry point of the
web package (webapp.cli) takes the ids ``/api/destinations`` gives, from the database.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from routes import settings
from webapp.cli import main
from webapp.storage import check_area, open_database
from webapp.storage.destinations import seed_destinations
from webapp.storage.models import Destination

START = "60.1699,24.9384"  # Helsinki railway station (the demo network)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, demo_net):
    """An SQLite database seeded from the demo network, one museum renamed and one unpublished by staff."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bikemap.sqlite3'}"
    db = open_database(url)
    with db.session() as session:
        seed_destinations(session, demo_net.pois)
        session.commit()
        museums = session.query(Destination).filter_by(category="museum").order_by(Destination.id).limit(3).all()
        museums[0].name, museums[0].names = "Staff name", {}
        museums[2].published = False
        session.commit()
        ids = [str(m.id) for m in museums]
    db.dispose()
    return url, ids


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--source", "demo", "--cache-dir", str(settings.cache_folder)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tour_takes_database_ids(seeded, capsys):
    url, (renamed, other, _hidden) = seeded
    code, out, err = _run(capsys, "tour", "--db", url, "--start", START, "--stops", f"{renamed},{other}", "--json")
    assert code == 0, err
    props = json.loads(out)["properties"]
    assert sorted(props["order"]) == sorted([renamed, other])
    by_id = {s["id"]: s for s in props["stops"]}
    assert by_id[renamed]["name"] == "Staff name"


def test_destinations_lists_database_ids_and_tour_refuses_others(seeded, capsys):
    url, (renamed, _other, hidden) = seeded
    code, out, _ = _run(capsys, "destinations", "--db", url)
    listed = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and renamed in listed and hidden not in listed
    assert all(i.isdigit() for i in listed)
    for stops in (hidden, "osm:node/1"):  # unpublished, or the OSM scheme of the library's command
        code, _, err = _run(capsys, "tour", "--db", url, "--start", START, "--stops", stops)
        assert code == 2 and err.startswith("bikemap: error:") and "unknown destination" in err, err
        assert len(err.strip().splitlines()) == 1


def test_database_of_another_area_is_refused(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    vaduz = SimpleNamespace(name="Liechtenstein", bounds=(9.47, 47.04, 9.64, 47.27))
    db = open_database(url)
    with db.session() as session:
        check_area(session, vaduz, url)
        session.commit()
    db.dispose()
    code, _, err = _run(capsys, "destinations", "--db", url)
    assert code == 2 and "give this network its own database with --db URL" in err
