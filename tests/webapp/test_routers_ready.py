"""Every profile's router is made before the app is handed over (issue #19), in a thread while the app is set up.

`webapp.network.init_app` starts making the routers and `webapp.create_app` waits for them last: an app
(and so `bikemap serve`, which listens only once it has the app) never answers before every router is
ready, a router that cannot be made fails the start, and a start that fails elsewhere leaves no thread
making routers behind it.
"""

from __future__ import annotations

import threading
import time

import pytest

from routes import load_network, profile_names, settings
from routes.errors import InvalidValueError


def _fresh(demo_net):
    """The demo network loaded again (no router made yet): the session's `demo_net` is shared by other tests."""
    net = load_network(demo_net.meta["source"], cache_folder=str(settings.cache_folder))
    assert not [k for k in net._derived if k.startswith("router:")]
    return net


def _settings(net, **more) -> dict:
    return {"TESTING": True, "NETWORK": net, "TILES_URL": "", "SEED_DESTINATIONS": False, **more}


def _making_routers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "bikemap-routers"]


def test_the_app_is_handed_over_with_every_profiles_router_made_in_a_thread(demo_net, monkeypatch):
    from routes.network import Network
    from webapp import create_app

    net = _fresh(demo_net)
    made_by: dict[str, str] = {}
    plain = Network.router

    def router(self, profile="safe"):
        made_by.setdefault(str(profile), threading.current_thread().name)
        return plain(self, profile)

    monkeypatch.setattr(Network, "router", router)
    app = create_app(_settings(net, WARM_PROFILES=True))
    try:
        names = profile_names()
        assert set(made_by) == set(names) and set(made_by.values()) == {"bikemap-routers"}
        for name in names:  # made, and customised: nothing of them is left to the first request
            assert net._derived[f"router:{name}"]._metric is not None
        assert _making_routers() == [] and "bikemap.warming" not in app.extensions
        assert app.test_client().get("/api/profiles").status_code == 200
    finally:
        app.extensions["bikemap_db"].dispose()


def test_a_router_that_cannot_be_made_fails_the_start(demo_net, monkeypatch):
    from routes.network import Network
    from webapp import create_app

    def router(self, profile="safe"):
        raise InvalidValueError(f"no router for {profile}")

    monkeypatch.setattr(Network, "router", router)
    with pytest.raises(InvalidValueError, match="no router for"):
        create_app(_settings(_fresh(demo_net), WARM_PROFILES=True))
    assert _making_routers() == []


def test_a_start_that_fails_elsewhere_leaves_no_thread_making_routers(demo_net, monkeypatch, tmp_path):
    from routes.network import Network
    from webapp import create_app
    from webapp.errors import SettingError

    plain = Network.router

    def slow_router(self, profile="safe"):
        time.sleep(0.2)  # still at work when the database is found bad
        return plain(self, profile)

    monkeypatch.setattr(Network, "router", slow_router)
    bad = tmp_path / "broken.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SettingError, match="DATABASE_URL"):
        create_app(_settings(_fresh(demo_net), WARM_PROFILES=True, DATABASE_URL=f"sqlite:///{bad}"))
    assert _making_routers() == []
