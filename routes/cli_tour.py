"""``bikemap tour`` and ``bikemap destinations``: plan tours on the command line."""

from __future__ import annotations

import argparse

from .cli_common import add_source_argument, check_writable, clock, emit, load_source, print_json
from .errors import InvalidValueError
from .geo import parse_latlon
from .i18n import N_, translate
from .profiles import get_profile


def register(sub) -> None:
    p = sub.add_parser(
        "tour",
        help="plan a tour: best order of stops, discovery in a time budget, or a round trip",
        description="Plan a tour from --start: visit --stops in the best order, discover the most "
        "interesting destinations within --budget-min, or ride a loop of --distance-km.",
    )
    add_source_argument(p)
    p.add_argument("--start", metavar="LAT,LON", help="where the tour starts (required unless --list)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--stops", metavar="ID,ID,...", help="destination ids to visit, in any order")
    mode.add_argument(
        "--budget-min",
        type=float,
        metavar="N",
        help="discovery tour: minutes for riding and visits",
    )
    mode.add_argument("--distance-km", type=float, metavar="N", help="round trip of about this length")
    mode.add_argument("--list", action="store_true", help="list the destinations (ids) and exit")
    p.add_argument(
        "--interests",
        metavar="CAT[:W],...",
        help="discovery: categories, optionally weighted, e.g. museum:2,nature (default: all)",
    )
    p.add_argument("--end", metavar="LAT,LON", help="where the tour ends (default: back at the start)")
    p.add_argument(
        "--start-time",
        metavar="ISO",
        help="when the ride starts, e.g. 2026-07-01T09:30 (network's local time; default now, "
        "or 09:00 the next morning at night)",
    )
    p.add_argument("--profile", default="safe", help="cycling profile (safe, fast, ...)")
    p.add_argument("--lang", default="en", choices=["en", "id"], help="language of the directions")
    p.add_argument("--json", action="store_true", help="print the tour as a GeoJSON Feature")
    p.add_argument("--gpx", metavar="FILE", help="also write the tour as GPX 1.1 (destinations as waypoints)")
    p.set_defaults(func=run)

    d = sub.add_parser(
        "destinations",
        help="list tour destinations of a source",
        description="List the destinations tours can visit (id, category, visit minutes, name).",
    )
    add_source_argument(d)
    d.add_argument("--json", action="store_true", help="print the destinations as JSON")
    d.set_defaults(func=run_destinations)


def _stored(args: argparse.Namespace, net) -> list[dict] | None:
    """Destinations of the web app's database when the ``bikemap`` of the web package gives them
    (``webapp.cli.tours``: database ids, as ``/api/tour``); None: the network's, with OSM ids."""
    load = getattr(args, "load_destinations", None)
    return load(args, net) if load is not None else None


def run_destinations(args: argparse.Namespace) -> int:
    from .tours import _destination_index, destinations_from_network

    net = load_source(args)
    stored = _stored(args, net)  # visit minutes left empty by staff: the category's, as a tour plans them
    dests = list(_destination_index(stored).values()) if stored else destinations_from_network(net)
    if getattr(args, "json", False):
        print_json(dests)
        return 0
    for d in dests:
        hours = f"  [{d['opening_hours']}]" if d.get("opening_hours") else ""
        print(f"{d['id']:<24} {d['category']:<10} {d['visit_min']:>4.0f} min  {d['name']}{hours}")
    return 0


def run(args: argparse.Namespace) -> int:
    from .tours import plan_tour, tour_to_gpx

    if args.list:
        return run_destinations(args)
    if not args.start:
        raise InvalidValueError("--start LAT,LON is required")
    start = parse_latlon(args.start, what="--start")
    end = parse_latlon(args.end, what="--end") if args.end else None
    if args.stops is None and args.budget_min is None and args.distance_km is None:
        raise InvalidValueError("give one of --stops, --budget-min or --distance-km")
    if args.interests and args.budget_min is None:
        raise InvalidValueError("--interests goes with --budget-min")
    get_profile(args.profile)  # fail on a bad name before loading the network
    if args.gpx:
        check_writable(args.gpx)
    net = load_source(args)
    stops = [s for s in args.stops.split(",") if s.strip()] if args.stops is not None else None
    feature = plan_tour(
        net,
        start,
        stops=stops,
        budget_min=args.budget_min,
        distance_km=args.distance_km,
        interests=args.interests,
        end=end,
        profile=args.profile,
        destinations=_stored(args, net),
        start_time=args.start_time,
        lang=args.lang,
    )
    emit(feature, args, to_gpx=tour_to_gpx, summary=lambda f: summary(f, lang=args.lang))
    return 0


def summary(feature: dict, *, lang: str = "en") -> str:
    """A readable timeline of a tour Feature, in ``lang`` (en, id), then its warnings."""
    p = feature["properties"]
    kinds = {
        "order": N_("cli_tour_order"),
        "discovery": N_("cli_tour_discovery"),
        "round_trip": N_("cli_tour_round_trip"),
    }
    km = f"{p['distance_m'] / 1000:.2f}"
    lines = [
        translate(
            "cli_tour_head",
            lang,
            kind=translate(kinds.get(p["kind"], kinds["order"]), lang),
            km=km.replace(".", ",") if lang == "id" else km,
            ride=clock(p["duration_s"], lang),
            total=clock(p["total_s"], lang),
            profile=p["profile"],
            method=p["method"],
        ),
        translate("cli_tour_start", lang, time=p["start_time"], tz=p["timezone"]),
    ]
    stops = {s["id"]: s for s in p["stops"]}
    n = 0
    for step in p["timeline"]:
        if step["type"] == "ride":
            ride = translate("cli_tour_ride", lang)
            lines.append(f"  {ride}  {clock(step['duration_s'], lang):>10}  {step['distance_m'] / 1000:.1f} km")
        elif step["type"] == "wait":
            wait, until = translate("cli_tour_wait", lang), translate("cli_tour_until", lang, name=step["name"])
            lines.append(f"  {wait}  {clock(step['duration_s'], lang):>10}  {until}")
        else:
            n += 1
            s = stops[step["id"]]
            closed = translate("cli_tour_closed", lang) if s.get("open") is False else ""
            cat = translate("cat_" + s["category"], lang)
            cat = s["category"] if cat.startswith("cat_") else cat
            visit, arrive = translate("cli_tour_visit", lang), translate("cli_tour_arrive", lang)
            lines.append(
                f"  {n:>2}. {visit} {clock(step['duration_s'], lang):>7}  {s['name']} "
                f"({cat}, {arrive} {s['arrival_time'][11:16]}{closed})  {s['id']}"
            )
    if p["kind"] == "round_trip" and p["stops"]:
        lines.append(translate("cli_tour_passing", lang) + ": " + ", ".join(s["name"] for s in p["stops"]))
    lines += [f"! {text}" for text in p.get("warnings", [])]
    return "\n".join(lines)
