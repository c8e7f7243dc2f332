"""Cycling profiles (data) and the legal access rules (the same for every profile).

A profile is a table in ``routes/data/profiles.toml``; this module reads it and turns
the OSM tags of every street segment into, per travel direction, an access
mode (no / push / ride) and per profile a riding duration and a routing cost.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import settings
from .errors import UnknownProfileError

__all__ = [
    "NO",
    "PUSH",
    "RIDE",
    "Profile",
    "classify_segment",
    "edge_costs",
    "get_profile",
    "load_profiles",
    "profile_names",
]

NO, PUSH, RIDE = 0, 1, 2

#: Highways nobody may cycle or walk on (motorways, roads under construction...).
_FORBIDDEN = {
    "motorway",
    "motorway_link",
    "construction",
    "proposed",
    "abandoned",
    "disused",
    "raceway",
    "bus_guideway",
    "busway",
    "escape",
    "platform",
    "elevator",
    "emergency_bay",
    "rest_area",
    "services",
}
#: Highways for pedestrians: a bicycle is pushed there unless bicycles are allowed.
_PEDESTRIAN = {"footway", "pedestrian", "steps", "corridor", "bridleway"}
_YES = {"yes", "designated", "permissive", "official", "destination", "customers", "use_sidepath_optional"}
_NO = {"no", "private", "agricultural", "forestry", "delivery", "military", "emergency"}
_ONEWAY_FWD = {"yes", "true", "1"}
_ONEWAY_BWD = {"-1", "reverse"}
_ONEWAY_NO = {"no", "false", "0"}
_MAIN = {"trunk", "primary", "secondary", "tertiary"}
_CYCLEWAY_KEYS = ("cycleway", "cycleway:both", "cycleway:left", "cycleway:right")
_INFRA = {
    "track": "track",
    "opposite_track": "track",
    "lane": "lane",
    "opposite_lane": "lane",
    "shared_lane": "shared",
    "share_busway": "shared",
    "opposite_share_busway": "shared",
}
_UNPAVED_TRACKTYPES = {"grade2", "grade3", "grade4", "grade5"}


@dataclass(frozen=True)
class Profile:
    """One row set of ``routes/data/profiles.toml``: speeds and factors by way type."""

    name: str
    mode: str
    description: str
    default_speed_kmh: float
    push_speed_kmh: float
    steps_speed_kmh: float
    push_factor: float
    highway: dict[str, tuple[float, float]]
    infra: dict[str, float]
    traffic: dict[float, float]
    surface: dict[str, tuple[float, float]]
    smoothness: dict[str, tuple[float, float]] = field(default_factory=dict)
    sac_scale: dict[str, tuple[float, float]] = field(default_factory=dict)
    climb: dict[str, Any] = field(default_factory=dict)  # hills, see routes.elevation.ClimbRules
    turn_push_m: float = 20.0  # metres pushed across a junction to make a turn a bicycle may not ride

    @classmethod
    def from_table(cls, name: str, t: dict[str, Any]) -> Profile:
        pairs = lambda key: {k: (float(v[0]), float(v[1])) for k, v in t.get(key, {}).items()}  # noqa: E731
        return cls(
            name=name,
            mode=t.get("mode", "bicycle"),
            description=t.get("description", ""),
            default_speed_kmh=float(t.get("default_speed_kmh", 16)),
            push_speed_kmh=float(t.get("push_speed_kmh", 4.5)),
            steps_speed_kmh=float(t.get("steps_speed_kmh", 1.5)),
            push_factor=float(t.get("push_factor", 2.0)),
            highway=pairs("highway"),
            infra={k: float(v) for k, v in t.get("infra", {}).items()},
            traffic={float(k): float(v) for k, v in t.get("traffic", {}).items()},
            surface=pairs("surface"),
            smoothness=pairs("smoothness"),
            sac_scale=pairs("sac_scale"),
            climb=dict(t.get("climb", {})),
            turn_push_m=float(t.get("turn_push_m", 20.0)),
        )


@lru_cache(maxsize=8)
def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    """Read every profile from a TOML file (default ``routes/data/profiles.toml``)."""
    path = Path(path) if path else settings.data_folder / "profiles.toml"
    with open(path, "rb") as f:
        tables = tomllib.load(f)
    return {name: Profile.from_table(name, t) for name, t in tables.items()}


def profile_names() -> list[str]:
    """Names of the defined profiles, cycling ones first."""
    profiles = load_profiles()
    return sorted(profiles, key=lambda n: (profiles[n].mode != "bicycle", n))


def get_profile(profile: str | Profile) -> Profile:
    """Return a profile by name, or raise `UnknownProfileError`."""
    if isinstance(profile, Profile):
        return profile
    profiles = load_profiles()
    if profile not in profiles:
        raise UnknownProfileError(f"unknown profile {profile!r}; choose one of: {', '.join(profile_names())}")
    return profiles[profile]


# --------------------------------------------------------------------------- access


def _bike_access(t: dict[str, str]) -> int:
    hw = t.get("highway")
    if not hw or hw in _FORBIDDEN or t.get("motorroad") == "yes" or t.get("area") == "yes" and hw != "pedestrian":
        return NO
    bic = t.get("bicycle")
    if bic in ("no", "use_sidepath", "private"):
        return NO
    if bic == "dismount":
        return PUSH
    if hw == "steps":
        return PUSH
    if bic in _YES:
        return RIDE
    if t.get("access") in _NO or t.get("vehicle") in _NO:
        return NO
    if hw in _PEDESTRIAN:
        return PUSH
    return RIDE


def _foot_access(t: dict[str, str]) -> int:
    hw = t.get("highway")
    if not hw or hw in _FORBIDDEN or t.get("motorroad") == "yes":
        return NO
    foot = t.get("foot")
    if foot in ("no", "private", "use_sidepath"):
        return NO
    if foot in _YES:
        return RIDE
    if t.get("access") in _NO:
        return NO
    return RIDE


def _bike_oneway(t: dict[str, str]) -> tuple[bool, bool]:
    """(forward allowed, backward allowed) by oneway rules for bicycles."""
    owb = t.get("oneway:bicycle")
    if owb in _ONEWAY_NO:
        return True, True
    if owb in _ONEWAY_FWD:
        return True, False
    if owb in _ONEWAY_BWD:
        return False, True
    ow = t.get("oneway")
    fwd_only = ow in _ONEWAY_FWD or (ow is None and t.get("junction") in ("roundabout", "circular"))
    bwd_only = ow in _ONEWAY_BWD
    if not (fwd_only or bwd_only):
        return True, True
    # contraflow cycle lanes/tracks, or a side cycleway that is two-way
    contraflow = any(str(t.get(k, "")).startswith("opposite") for k in _CYCLEWAY_KEYS) or any(
        t.get(f"cycleway:{side}:oneway") in ("no", "-1") for side in ("left", "right")
    )
    if contraflow:
        return True, True
    return fwd_only, bwd_only


@dataclass(frozen=True)
class SegmentClass:
    """What the engine needs to know of one street segment."""

    cls: str  # key into a profile's highway table
    fwd: int  # bicycle access along the way's direction (NO/PUSH/RIDE)
    bwd: int  # against it
    foot: int  # walking access (both directions)
    infra: str  # "", "cycleway", "track", "lane" or "shared"
    surface: str  # key into the surface table
    smoothness: str
    sac_scale: str
    maxspeed: float  # km/h, 0 where unknown
    infra_fwd: str = ""  # `infra` serving travel along the way (a one-sided lane: one way only)
    infra_bwd: str = ""  # ... and against it


_NUM = re.compile(r"\d+(?:\.\d+)?")


def _maxspeed(value: str | None) -> float:
    if not value:
        return 0.0
    m = _NUM.search(value)
    if not m:
        return {"walk": 7.0, "living_street": 20.0}.get(value.split(":")[-1], 0.0)
    speed = float(m.group())
    return speed * 1.609 if "mph" in value else speed


def _infra_by_direction(t: dict[str, str]) -> tuple[str, str]:
    """Best cycle track, lane or shared lane a road offers (along the way, against it).

    ``cycleway``/``cycleway:both`` serve both directions of a two-way road; on a
    oneway they run with the traffic (``opposite_*``: against it). A side
    (``cycleway:right``/``:left``) runs with the traffic on that side: right-hand
    traffic, so ``right`` along the way and ``left`` against it on a two-way
    road, both with the traffic on a oneway; ``cycleway:SIDE:oneway`` overrides.
    """
    ow = t.get("oneway")
    roundabout = ow is None and t.get("junction") in ("roundabout", "circular")
    oneway = ow in _ONEWAY_FWD or ow in _ONEWAY_BWD or roundabout
    reverse = ow in _ONEWAY_BWD  # the traffic runs against the way
    fwd: set[str] = set()
    bwd: set[str] = set()
    for key in _CYCLEWAY_KEYS:
        value = t.get(key, "")
        kind = _INFRA.get(value)
        if not kind:
            continue
        side = key.partition(":")[2]
        side_oneway = t.get(f"cycleway:{side}:oneway") if side in ("left", "right") else None
        opposite = value.startswith("opposite")
        both_ways = side_oneway == "no" or (not oneway and (side in ("", "both") or opposite))
        if both_ways:
            fwd.add(kind)
            bwd.add(kind)
            continue
        if side_oneway in ("yes", "-1"):
            along = side_oneway == "yes"
        else:
            along = (side == "right" or oneway) != reverse
            if opposite:
                along = not along
        (fwd if along else bwd).add(kind)
    best = lambda kinds: next((k for k in ("track", "lane", "shared") if k in kinds), "")  # noqa: E731
    return best(fwd), best(bwd)


def classify_segment(tags: dict[str, str]) -> SegmentClass:
    """Classify one segment from its OSM tags.

    Examples
    --------
    >>> c = classify_segment({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"})
    >>> (c.cls, c.fwd, c.bwd)
    ('residential', 2, 2)
    """
    hw = tags.get("highway", "")
    base = hw[:-5] if hw.endswith("_link") else hw
    access = _bike_access(tags)
    fwd_ok, bwd_ok = _bike_oneway(tags)
    bic = tags.get("bicycle")
    infra = ""
    cls = base
    if base == "cycleway" or (bic == "designated" and base in ("path", "footway", "bridleway", "pedestrian", "track")):
        cls, infra = "cycleway", "cycleway"
        infra_fwd = infra_bwd = infra
    else:
        infra_fwd, infra_bwd = _infra_by_direction(tags)
        kinds = {_INFRA.get(tags.get(k, "")) for k in _CYCLEWAY_KEYS} - {None}
        for kind in ("track", "lane", "shared"):
            if kind in kinds:
                infra = kind
                break
    if access == PUSH and base != "steps":
        cls = "footway" if base in _PEDESTRIAN else base
    surface = tags.get("surface") or ""
    if not surface:
        if base in ("track", "path", "bridleway") and tags.get("tracktype", "grade2") in _UNPAVED_TRACKTYPES:
            surface = "unknown_unpaved"
        else:
            surface = "unknown"
    return SegmentClass(
        cls=cls,
        fwd=access if fwd_ok else NO,
        bwd=access if bwd_ok else NO,
        foot=_foot_access(tags),
        infra=infra,
        surface=surface,
        smoothness=tags.get("smoothness") or "",
        sac_scale=tags.get("sac_scale") or "",
        maxspeed=_maxspeed(tags.get("maxspeed")),
        infra_fwd=infra_fwd,
        infra_bwd=infra_bwd,
    )


def is_main_road(cls: str) -> bool:
    """Whether a class is a main road (trunk to tertiary)."""
    return cls in _MAIN


# --------------------------------------------------------------------------- costs


def pushed_turn_cost(p: Profile) -> float:
    """What a banned turn (`routes.restrictions`) costs made on foot: ``turn_push_m`` pushed; inf where not pushed.

    A profile pushes where it has a pushing speed; ``turn_push_m = 0`` forbids pushing a banned turn.
    """
    if p.mode != "bicycle" or p.push_speed_kmh <= 0 or p.turn_push_m <= 0:
        return float("inf")
    return pushed_turn_seconds(p) * p.push_factor


def pushed_turn_seconds(p: Profile) -> float:
    """How long a banned turn made on foot takes: ``turn_push_m`` at the pushing speed; inf where not pushed."""
    if p.mode != "bicycle" or p.push_speed_kmh <= 0 or p.turn_push_m <= 0:
        return float("inf")
    return p.turn_push_m / (p.push_speed_kmh / 3.6)


def _segment_speed_factor(p: Profile, c: SegmentClass, access: int, infra: str | None = None) -> tuple[float, float]:
    """Riding (or pushing) speed in km/h and cost factor, for an allowed segment.

    ``infra`` is the cycle infrastructure in the direction of travel (default: ``c.infra``).
    """
    infra = c.infra if infra is None else infra
    if access == PUSH:
        speed = p.steps_speed_kmh if c.cls == "steps" else p.push_speed_kmh
        return speed, p.push_factor
    if c.cls not in p.highway:
        return 0.0, 0.0
    speed, factor = p.highway[c.cls]
    if infra in ("track", "lane", "shared") and infra in p.infra:
        factor = max(min(factor, p.infra.get("floor", 1.0)), factor * p.infra[infra])
    elif c.cls in _MAIN or c.cls == "unclassified":
        above = [limit for limit in p.traffic if c.maxspeed > limit]
        if above:
            factor *= p.traffic[max(above)]
    unknown = p.surface.get("unknown", (p.default_speed_kmh, 1.0))
    s_speed, s_factor = p.surface.get(c.surface, unknown)
    speed, factor = min(speed, s_speed), factor * s_factor
    if c.smoothness in p.smoothness:
        m_speed, m_factor = p.smoothness[c.smoothness]
        speed, factor = min(speed, m_speed), factor * m_factor
    if c.sac_scale in p.sac_scale:
        h_speed, h_factor = p.sac_scale[c.sac_scale]
        speed, factor = min(speed, h_speed), factor * h_factor
    return speed, factor


def edge_costs(
    classes: list[SegmentClass], lengths: np.ndarray, profile: str | Profile
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per directed edge (2 per segment: along, against), duration, cost and access.

    Returns
    -------
    duration_s, cost, access
        Arrays of length ``2 * len(classes)``; cost is ``inf`` where the
        direction may not be used.
    """
    distinct, idx = class_index(classes)
    return edge_costs_indexed(distinct, idx, lengths, profile)


def class_speeds(distinct: list[SegmentClass], profile: str | Profile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct class and direction (along, against): speed in km/h (0: not usable), cost factor, access."""
    p = get_profile(profile)
    speed = np.zeros((len(distinct), 2))
    factor = np.ones((len(distinct), 2))
    acc_of = np.zeros((len(distinct), 2), dtype=np.int8)
    for k, c in enumerate(distinct):
        dirs = (c.foot, c.foot) if p.mode == "foot" else (c.fwd, c.bwd)
        for d, acc in enumerate(dirs):
            if acc == NO:
                continue
            kmh, fac = _segment_speed_factor(p, c, acc, c.infra_bwd if d else c.infra_fwd)
            if kmh > 0:
                speed[k, d], factor[k, d], acc_of[k, d] = kmh, fac, acc
    return speed, factor, acc_of


def edge_durations(edges: np.ndarray, idx: np.ndarray, lengths: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """`edge_costs_indexed`'s durations of some directed edges only, to the last bit (``speed``: `class_speeds`)."""
    edges = np.asarray(edges, np.int64)
    seg = edges >> 1
    sp = speed[idx[seg], edges & 1]
    if (sp > 0).all():  # every edge may be ridden (a route's): no mask
        return np.asarray(lengths, dtype=np.float64)[seg] / (sp / 3.6)
    out = np.full(len(edges), np.inf)
    ok = sp > 0
    out[ok] = np.asarray(lengths, dtype=np.float64)[seg[ok]] / (sp[ok] / 3.6)
    return out


def class_index(classes: list[SegmentClass]) -> tuple[list[SegmentClass], np.ndarray]:
    """The distinct classes, and each segment's position among them (the same few hundred repeat everywhere)."""
    index: dict[SegmentClass, int] = {}
    by_id: dict[int, int] = {}  # the network shares one object per distinct class: skip hashing it
    idx = np.empty(len(classes), dtype=np.int64)
    for i, c in enumerate(classes):
        k = by_id.get(id(c))
        if k is None:
            k = by_id[id(c)] = index.setdefault(c, len(index))
        idx[i] = k
    return list(index), idx


def edge_costs_indexed(
    distinct: list[SegmentClass],
    idx: np.ndarray,
    lengths: np.ndarray,
    profile: str | Profile,
    *,
    speeds: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`edge_costs` from `class_index`'s result: each distinct class is worked out once, then gathered.

    ``speeds``: `class_speeds` of ``distinct`` and ``profile``, when the caller has them already.
    """
    speed, factor, acc_of = class_speeds(distinct, profile) if speeds is None else speeds
    sp = speed[idx].ravel()  # directed edge 2 * i + d
    unusable = ~(sp > 0)
    # every edge worked out, then the unusable ones overwritten: the same numbers as on the usable edges alone,
    # without four masked copies of 2 * n values (a third of the time, at every start: issue #19)
    with np.errstate(divide="ignore", invalid="ignore"):
        duration = np.repeat(np.asarray(lengths, dtype=np.float64), 2) / (sp / 3.6)
        duration[unusable] = np.inf
        cost = duration * factor[idx].ravel()
    cost[unusable] = np.inf
    access = acc_of[idx].ravel().astype(np.int8)
    access[unusable] = 0
    return duration, cost, access
