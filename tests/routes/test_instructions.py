"""Directions: the grouping worked out as arrays gives what the rule applied stretch by stretch gives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routes import route
from routes import routing as routing_module
from routes.instructions import (
    _TURN_NEW_STEP_DEG,
    Stretches,
    _instruction,
    _key,
    _merge_short_steps,
    _modifier,
    _Step,
    build_instructions,
    wording,
)


def _one_by_one(st: Stretches, *, lang: str, n_legs: int) -> list[dict]:
    """The reference: the grouping rule walked one stretch at a time (how `build_instructions` was first written)."""
    words = wording(lang)
    steps = [
        {
            "coords": st.coords[a : a + c, :2],
            "tags": st.tags[s],
            "cls": st.classes[s].cls,
            "push": bool(p),
            "push_turn": bool(pt),
            "distance": d,
            "duration": t,
            "leg": lg,
            "bearings": (h, e) if c >= 2 else None,
            "start": a,
            "count": c,
        }
        for s, a, c, p, pt, d, t, lg, h, e in zip(
            *(x.tolist() for x in (st.seg, st.start, st.count, st.push, st.push_turn)),
            *(x.tolist() for x in (st.distance, st.duration, st.leg, st.head, st.tail)),
            strict=True,
        )
    ]
    steps = [s for s in steps if len(s["coords"]) >= 2 and s["distance"] > 0] or steps[:1]
    ways = words["way"]
    for s in steps:  # what an instruction is worded from, made from the tags here
        tags = s["tags"]
        name = tags.get("name") or tags.get("ref")
        s["step"] = _Step(
            name=name or ways.get(s["cls"], ways.get(tags.get("highway", ""), ways["default"])),
            street=name or f"<{s['cls']}>",  # type: ignore[arg-type]  # a string stands for the street here
            push=s["push"],
            push_turn=s["push_turn"],
            coords=st.coords,
            start=s["start"],
            size=s["count"],
        )
    out: list[dict] = []
    meta: list[dict] = []
    prev = None
    for st_ in steps:
        x, y = st_["coords"][0].tolist()
        start = [round(x, 7), round(y, 7)]
        if prev is None or prev["leg"] != st_["leg"]:
            for n in range(1 if prev is None else prev["leg"] + 1, st_["leg"] + 1):
                out.append(_instruction(words, "via", "", st_["step"], start, n=n))
                meta.append({})
            heading = st_["bearings"][0] if st_["bearings"] else 0.0
            compass = words["dir"][int(((heading + 22.5) % 360) // 45)]
            out.append(_instruction(words, "depart", "", st_["step"], start, direction=compass))
            meta.append({"st": st_["step"], "delta": 0.0})
        else:
            delta = (st_["bearings"][0] - prev["bearings"][1] + 540) % 360 - 180
            if _key(prev["step"]) != _key(st_["step"]) or abs(delta) >= _TURN_NEW_STEP_DEG or st_["push_turn"]:
                out.append(_instruction(words, "turn", _modifier(delta), st_["step"], start))
                meta.append({"st": st_["step"], "delta": delta})
        out[-1]["distance_m"] += st_["distance"]
        out[-1]["duration_s"] += st_["duration"]
        prev = st_
    end = [round(v, 7) for v in steps[-1]["coords"][-1].tolist()]
    for n in range(steps[-1]["leg"] + 1, n_legs):
        out.append(_instruction(words, "via", "", steps[-1]["step"], end, n=n))
        meta.append({})
    out.append(dict(type="arrive", modifier="", text=words["arrive"], name="", distance_m=0.0, duration_s=0.0))
    out[-1]["location"] = end
    meta.append({})
    _merge_short_steps(out, meta, words)
    for ins in out:
        ins["distance_m"], ins["duration_s"] = round(ins["distance_m"], 1), round(ins["duration_s"], 1)
    return out


@pytest.fixture(scope="module")
def seen(liechtenstein_net):
    """The stretches and directions of 60 random trips (four profiles, vias, both languages)."""
    got: list[tuple[Stretches, dict, list[dict]]] = []

    def spy(stretches, network, **kw):
        answer = build_instructions(stretches, network, **kw)
        got.append((stretches, kw, answer))
        return answer

    net = liechtenstein_net
    rng = np.random.default_rng(5)
    mp = pytest.MonkeyPatch()
    mp.setattr(routing_module, "build_instructions", spy)
    try:
        for i in range(60):
            idx = rng.integers(0, net.n_nodes, 2 + i % 3)
            jitter = rng.uniform(-0.0005, 0.0005, (len(idx), 2))
            lat, lon = net.node_lat[idx] + jitter[:, 0], net.node_lon[idx] + jitter[:, 1]
            pts = list(zip(lat.tolist(), lon.tolist(), strict=True))
            profile = ("safe", "fast", "ebike", "walk")[i % 4]
            route(net, pts, profile=profile, lang=("en", "id")[i % 2], max_snap_m=2000)
    finally:
        mp.undo()
    return got


def test_directions_equal_the_stretch_by_stretch_rule(seen):
    assert len(seen) == 60
    assert sum(len(a) for _, _, a in seen) > 400  # real directions, not a few departs and arrivals
    for stretches, kw, answer in seen:
        assert answer == _one_by_one(stretches, **kw)


def test_pushed_stretches_and_turns_start_instructions_as_the_rule_says(seen, liechtenstein_net):
    # the same routes with pushing and pushed turns put on random stretches (rare on real routes)
    rng = np.random.default_rng(11)
    for stretches, kw, _ in seen:
        n = len(stretches.seg)
        changed = dataclasses.replace(stretches, push=rng.random(n) < 0.2, push_turn=rng.random(n) < 0.2)
        assert build_instructions(changed, liechtenstein_net, **kw) == _one_by_one(changed, **kw)


def test_street_names_in_each_language_and_in_one_it_does_not_know(liechtenstein_net):
    from routes.instructions import street_names

    net = liechtenstein_net
    segs = np.arange(net.n_segments)

    def by_hand(lang: str) -> list[str]:  # the rule, segment by segment from its own tags and class
        ways = wording(lang)["way"]
        out = []
        for tags, cls in zip(net.tags, net.classes, strict=True):
            name = tags.get("name") or tags.get("ref")
            out.append(name or ways.get(cls.cls, ways.get(tags.get("highway", ""), ways["default"])))
        return out

    en, id_ = street_names(net, "en", segs), street_names(net, "id", segs)
    assert en == by_hand("en")
    assert id_ == by_hand("id")
    assert en != id_  # unnamed ways are called by a word of the language
    assert street_names(net, "en", segs[::-3]) == en[::-3]  # any segments, in the order asked
    assert street_names(net, "xx", segs[:500]) == en[:500]  # an unknown code: English, worded as it comes
