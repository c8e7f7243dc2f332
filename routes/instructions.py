"""Turn-by-turn directions from the stretches of a route."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from ._rounding import rounded
from .i18n import LANGUAGES, N_, translate

__all__ = ["LANGUAGES", "Stretches", "build_instructions"]

_TURN_NEW_STEP_DEG = 50  # a turn this sharp starts a new instruction even on the same street
# A step shorter than this is no instruction of its own: its two turns become one (a jog across a
# junction, a kink where a street changes name). OSRM's guidance does the same when it collapses
# turns (``collapse_turns.cpp``, up to ~30 m apart) and trims short first/last steps; below 15 m a
# rider cannot act on two instructions apart.
_SHORT_STEP_M = 15.0


#: The directions' messages (routes/data/locale): each turn, the compass points, unnamed ways.
_TURNS = {
    "depart": N_("dir_depart"),
    "continue": N_("dir_continue"),
    "slight_left": N_("dir_slight_left"),
    "slight_right": N_("dir_slight_right"),
    "left": N_("dir_left"),
    "right": N_("dir_right"),
    "sharp_left": N_("dir_sharp_left"),
    "sharp_right": N_("dir_sharp_right"),
    "uturn": N_("dir_uturn"),
    "via": N_("dir_via"),
    "arrive": N_("dir_arrive"),
    "push": N_("dir_push"),
    "push_turn": N_("dir_push_turn"),
    "gpx_start": N_("gpx_start"),
    "gpx_end": N_("gpx_end"),
    "gpx_via": N_("gpx_via"),
    "gpx_title": N_("gpx_title"),
}
_COMPASS = (
    N_("dir_north"),
    N_("dir_northeast"),
    N_("dir_east"),
    N_("dir_southeast"),
    N_("dir_south"),
    N_("dir_southwest"),
    N_("dir_west"),
    N_("dir_northwest"),
)
_WAYS = {
    "cycleway": N_("dir_way_cycleway"),
    "path": N_("dir_way_path"),
    "track": N_("dir_way_track"),
    "footway": N_("dir_way_footway"),
    "pedestrian": N_("dir_way_pedestrian"),
    "steps": N_("dir_way_steps"),
    "bridleway": N_("dir_way_bridleway"),
    "service": N_("dir_way_service"),
    "living_street": N_("dir_way_living_street"),
    "default": N_("dir_way_default"),
}


@lru_cache(maxsize=8)
def wording(lang: str = "en") -> dict[str, Any]:
    """The wording of the directions in ``lang`` (English when unknown), from the catalogue.

    ``{name}`` is the street name (or the way type of ``way`` when the street has none),
    ``{dir}`` a compass direction (``dir``, from north clockwise), ``{n}`` the number of a via point.
    """
    words: dict[str, Any] = {key: translate(msgid, lang) for key, msgid in _TURNS.items()}
    words["dir"] = [translate(msgid, lang) for msgid in _COMPASS]
    words["way"] = {key: translate(msgid, lang) for key, msgid in _WAYS.items()}
    return words


def _bearing(a, b) -> float:
    """Compass bearing in degrees from point a to b (lon, lat)."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360


def _end_bearings(coords: np.ndarray) -> tuple[float, float] | None:
    if len(coords) < 2:
        return None
    (a, b), (c, d) = np.asarray(coords[:2])[:, :2].tolist(), np.asarray(coords[-2:])[:, :2].tolist()
    return _bearing(a, b), _bearing(c, d)  # on Python floats: numpy scalars are slow one at a time


def _modifier(delta: float) -> str:
    """Turn name from the change in bearing (-180..180, positive = right)."""
    a = abs(delta)
    if a < 20:
        return "continue"
    side = "right" if delta > 0 else "left"
    if a < 60:
        return f"slight_{side}"
    if a < 130:
        return side
    if a < 170:
        return f"sharp_{side}"
    return "uturn"


class _Step(NamedTuple):
    """The stretch an instruction is worded from: its street's ``name`` (as `street_names` words it),
    ``street`` (`street_ids`: equal numbers, equal streets), whether it is pushed (``push``) or
    reached by a pushed turn (``push_turn``), and its positions ``coords[start:start + size]``
    (the whole route's array: a slice is cut only where a merged departure needs its bearing)."""

    name: str
    street: int
    push: bool
    push_turn: bool
    coords: np.ndarray
    start: int
    size: int


def _key(step: _Step) -> tuple:
    """What makes two stretches the same street for the directions: the street and whether it is pushed."""
    return (step.street, step.push)


@dataclass(frozen=True)
class Stretches:
    """A route's pieces in travel order, as arrays: what the directions are made of.

    Per piece: its segment ``seg`` (into ``tags`` and ``classes``, the network's lists),
    ``leg``, ``push`` (ridden on foot), ``push_turn`` (reached by a banned turn made on
    foot), ``distance`` (m), ``duration`` (s), and the compass bearings ``head`` and
    ``tail`` of its first and last step (meaningful where ``count >= 2``). Its positions
    are ``coords[start:start + count]`` (lon, lat first).
    """

    seg: np.ndarray
    leg: np.ndarray
    push: np.ndarray
    push_turn: np.ndarray
    distance: np.ndarray
    duration: np.ndarray
    head: np.ndarray
    tail: np.ndarray
    coords: np.ndarray
    start: np.ndarray
    count: np.ndarray
    tags: list[dict[str, str]]
    classes: list[Any]


def street_ids(network) -> np.ndarray:
    """Per segment, a number standing for its street (`_key` without the push flag): equal numbers, equal streets.

    Worked out once per network; consecutive pieces on one street with no sharp turn make one instruction.
    """

    def build() -> np.ndarray:
        ids: dict[str, int] = {}
        groups, which, first = network.tag_groups  # segments of one way share one tag dict and so one class
        classes = network.classes
        keys = []
        for tags, s in zip(groups, first.tolist(), strict=True):
            name = tags.get("name") or tags.get("ref") or f"<{classes[s].cls}>"
            keys.append(ids.setdefault(name, len(ids)))
        # fewer streets than 2**31 (issue #19: half the memory)
        return np.asarray(keys, np.int32)[which] if keys else np.empty(0, np.int32)

    return network._cached("street_ids", build)


def _street_name(tags: dict[str, str], cls: str, ways: dict[str, str]) -> str:
    """A street's name, else its ref, else its way type's word in the language of ``ways``."""
    return tags.get("name") or tags.get("ref") or ways.get(cls, ways.get(tags.get("highway", ""), ways["default"]))


def street_names(network, lang: str, segs: np.ndarray) -> list[str]:
    """What the directions call the streets of segments ``segs`` in ``lang`` (`_street_name`).

    For the languages of `LANGUAGES` the names of every tag group (`Network.tag_groups`) are
    worked out once per network, so an instruction reads its street's name with a list index
    instead of looking at the tags; another code is worded as it comes.
    """
    ways = wording(lang)["way"]
    groups, which, first = network.tag_groups
    if lang not in LANGUAGES:
        classes = network.classes
        return [_street_name(network.tags[s], classes[s].cls, ways) for s in segs.tolist()]

    def build() -> list[str]:
        classes = network.classes  # a group shares one class
        return [_street_name(tags, classes[s].cls, ways) for tags, s in zip(groups, first.tolist(), strict=True)]

    names = network._cached(f"street_names_{lang}", build)
    return [names[g] for g in which[segs].tolist()]


def build_instructions(stretches: Stretches, network, *, lang: str = "en", n_legs: int = 1) -> list[dict[str, Any]]:
    """Group route stretches into instructions ("Turn left onto Aeulestrasse").

    Each instruction has ``type`` (depart, turn, via, arrive), ``modifier``,
    ``text``, ``name``, ``distance_m`` and ``duration_s`` (of the ride that
    follows it) and ``location`` ([lon, lat] where it applies).

    A route has tens of stretches: each array is read into a list once and the
    grouping (a new leg, another street, a sharp turn, a pushed turn) walks them
    in Python, which at that size costs less than the many array calls it replaces
    (each ~1 us, whatever its length). The distances of a step are added up in
    travel order as the walk goes; the positions are rounded as one array.
    """
    words = wording(lang)
    st = stretches
    keep = ((st.count >= 2) & (st.distance > 0)).nonzero()[0].tolist()  # a stretch with no length says nothing
    if not keep:
        keep = list(range(min(1, len(st.seg))))
        if not keep:
            return []
    street = street_ids(network)[st.seg].tolist()
    legs, push, push_turn = st.leg.tolist(), st.push.tolist(), st.push_turn.tolist()
    head, tail = st.head.tolist(), st.tail.tolist()
    dist, dur = st.distance.tolist(), st.duration.tolist()
    # per instruction: its first stretch, the via points before it (a range), its turn, its metres and seconds
    firsts: list[int] = []
    vias: list[range | None] = []  # None: a turn (the leg goes on)
    turns: list[float] = []
    ds: list[float] = []
    ts: list[float] = []
    prev = -1
    d = t = 0.0
    for k in keep:
        if prev >= 0 and legs[k] == legs[prev]:
            delta = (head[k] - tail[prev] + 540) % 360 - 180  # change of bearing, -180..180
            if (
                street[k] == street[prev]
                and push[k] == push[prev]
                and abs(delta) < _TURN_NEW_STEP_DEG
                and not push_turn[k]
            ):  # on along the same street: the step goes on
                d += dist[k]
                t += dur[k]
                prev = k
                continue
            vias.append(None)
        else:  # a leg starts: a via point at every leg boundary passed, zero-length legs included
            delta = 0.0
            vias.append(range(1 if prev < 0 else legs[prev] + 1, legs[k] + 1))
        if firsts:
            ds.append(d)
            ts.append(t)
        firsts.append(k)
        turns.append(delta)
        d = 0.0 + dist[k]  # added up from 0.0, in travel order, as the ride is
        t = 0.0 + dur[k]
        prev = k
    ds.append(d)
    ts.append(t)
    start, count = st.start.tolist(), st.count.tolist()
    xy = rounded(st.coords.take([start[k] for k in firsts], axis=0)[:, :2].ravel(), 7)  # round(x, 7) of the starts
    names = street_names(network, lang, st.seg[firsts])
    coords = st.coords
    new = tuple.__new__
    out: list[dict[str, Any]] = []
    meta: list[dict[str, Any]] = []  # per instruction: the stretch it starts on and its turn angle
    compass = words["dir"]
    for m, (k, via, delta, name) in enumerate(zip(firsts, vias, turns, names, strict=True)):
        step = new(_Step, (name, street[k], push[k], push_turn[k], coords, start[k], count[k]))
        loc = xy[2 * m : 2 * m + 2]
        if via is not None:
            for v in via:
                out.append(_via(words, loc, v))
                meta.append({})
            heading = head[k] if count[k] >= 2 else 0.0
            direction = compass[int(((heading + 22.5) % 360) // 45)]
            ins = _instruction(words, "depart", "", step, loc, direction=direction)
        else:
            ins = _instruction(words, "turn", _modifier(delta), step, loc)
        ins["distance_m"], ins["duration_s"] = ds[m], ts[m]  # the ride that follows, added up
        out.append(ins)
        meta.append({"st": step, "delta": delta})
    last = keep[-1]
    end = coords[start[last] + count[last] - 1, :2].tolist()
    end_loc = [round(end[0], 7), round(end[1], 7)]
    for v in range(legs[last] + 1, n_legs):  # vias on the destination itself
        out.append(_via(words, end_loc, v))
        meta.append({})
    out.append(
        {
            "type": "arrive",
            "modifier": "",
            "text": words["arrive"],
            "name": "",
            "distance_m": 0.0,
            "duration_s": 0.0,
            "location": list(end_loc),
        }
    )
    meta.append({})
    _merge_short_steps(out, meta, words)
    sums = rounded([v for ins in out for v in (ins["distance_m"], ins["duration_s"])], 1)
    for k, ins in enumerate(out):
        ins["distance_m"], ins["duration_s"] = sums[2 * k], sums[2 * k + 1]
    return out


def _merge_short_steps(out: list[dict[str, Any]], meta: list[dict[str, Any]], words: dict[str, Any]) -> None:
    """Fold every step shorter than `_SHORT_STEP_M` into its neighbours, in place.

    A short turn followed by another turn makes one turn of both angles (left then
    right across a junction: "continue"; then, on the same street as before, no
    instruction at all); a short last step before a via point or the arrival just
    lengthens the step before it; a short first step gives the departure to the
    street that follows.
    """
    i = 0
    while i < len(out):
        ins, nxt = out[i], (out[i + 1] if i + 1 < len(out) else None)
        short = ins["type"] in ("depart", "turn") and ins["distance_m"] < _SHORT_STEP_M
        if not short or nxt is None or (ins["type"] == "depart" and nxt["type"] != "turn"):
            i += 1
            continue
        if ins["type"] == "depart":  # leave on the street that follows, heading its way
            st = meta[i + 1]["st"]
            bearings = _end_bearings(st.coords[st.start : st.start + st.size, :2])
            compass = words["dir"][int((((bearings[0] if bearings else 0.0) + 22.5) % 360) // 45)]
            merged = _instruction(words, "depart", "", st, ins["location"], direction=compass)
            merged["distance_m"] = ins["distance_m"] + nxt["distance_m"]
            merged["duration_s"] = ins["duration_s"] + nxt["duration_s"]
            out[i : i + 2] = [merged]
            meta[i : i + 2] = [{"st": st, "delta": 0.0}]
            continue
        before = out[i - 1]
        before["distance_m"] += ins["distance_m"]
        before["duration_s"] += ins["duration_s"]
        if nxt["type"] == "turn":
            delta = (meta[i]["delta"] + meta[i + 1]["delta"] + 540) % 360 - 180
            mod = _modifier(delta)
            same = "st" in meta[i - 1] and _key(meta[i - 1]["st"]) == _key(meta[i + 1]["st"])
            if mod == "continue" and same:  # back on the street it left: no turn at all
                before["distance_m"] += nxt["distance_m"]
                before["duration_s"] += nxt["duration_s"]
                del out[i : i + 2], meta[i : i + 2]
                continue
            turn = _instruction(words, "turn", mod, meta[i + 1]["st"], ins["location"])
            turn["distance_m"], turn["duration_s"] = nxt["distance_m"], nxt["duration_s"]
            out[i + 1] = turn
            meta[i + 1] = {"st": meta[i + 1]["st"], "delta": delta}
        del out[i], meta[i]


def _via(words, location, n: int) -> dict[str, Any]:
    """The instruction of via point ``n``, at ``location``."""
    return {
        "type": "via",
        "modifier": "",
        "text": words["via"].format(n=n),
        "name": "",
        "distance_m": 0.0,
        "duration_s": 0.0,
        "location": location,
    }


def _instruction(words, kind, mod, st: _Step, location, *, direction="", n=0) -> dict[str, Any]:
    if kind == "via":
        return _via(words, location, n)
    name = st.name
    if kind == "depart":
        text = words["depart"].format(dir=direction, name=name)
    else:
        text = words[mod].format(name=name)
    if st.push_turn:  # a turn bicycles may not make (routes.restrictions), made on foot
        text += words["push_turn"]
    elif st.push:
        text += words["push"]
    return {
        "type": kind,
        "modifier": mod,
        "text": text,
        "name": name,
        "distance_m": 0.0,
        "duration_s": 0.0,
        "location": location,
    }
