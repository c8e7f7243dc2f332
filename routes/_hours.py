"""OpenStreetMap ``opening_hours``: one module checks the syntax and evaluates it.

`check_opening_hours` accepts the wider OSM grammar (month and week ranges,
sunrise/sunset, comments...) and is what staff input must pass;
`parse_opening_hours` evaluates the common forms as weekly intervals for the
tour planner.

Understood: ``24/7``; ``off``/``closed``; rules separated by ``;`` made of an
optional weekday selector (``Mo-Fr``, ``Sa,Su``, ``Tu-Th,Sa``) and times
(``09:00-17:00``, ``10:00-12:00,13:00-18:00``, ``22:00-02:00`` past
midnight) or ``off``. A later rule replaces earlier ones on the days it names,
as in the OSM specification. ``PH`` (public holiday) and ``SH`` rules are
ignored (bikemap knows no holiday calendar). Anything else (month ranges,
sunrise, week numbers, comments...) makes the whole value unknown: ``None``,
which the tour planner treats as "may be visited at any time".

Hand-written because the one maintained Python parser (``humanized_opening_hours``)
is unmaintained for recent Python and pulls a grammar engine; the forms above
cover nearly every tagged tourist destination.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["OPENING_HOURS_EXAMPLES", "check_opening_hours", "open_windows", "parse_opening_hours"]

_DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
_TIME = r"(\d{1,2}):(\d{2})"
_SPAN = re.compile(rf"^{_TIME}\s*-\s*{_TIME}\+?$")
_DAYSEL = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(\s*-\s*(Mo|Tu|We|Th|Fr|Sa|Su))?$")

#: Weekly opening hours: for each weekday (0 = Monday) a list of (open, close)
#: minutes since that day's midnight; ``close`` may exceed 1440 (past midnight).
Week = list[list[tuple[int, int]]]


def _days(text: str) -> list[int] | None:
    out: list[int] = []
    for part in text.split(","):
        m = _DAYSEL.match(part.strip())
        if not m:
            return None
        a = _DAYS.index(m.group(1))
        b = _DAYS.index(m.group(3)) if m.group(3) else a
        out += [(a + k) % 7 for k in range(((b - a) % 7) + 1)]
    return out


_HOLIDAY = re.compile(r"^(?:PH|SH)(?:\s*[+-]\d+\s*days?)?$")


def _drop_holidays(rule: str) -> str:
    """A rule without its ``PH``/``SH`` selectors (``"Su,PH off"`` -> ``"Su off"``); "" if only those."""
    m = re.match(r"^([A-Za-z,\s+-]+?)\s+(\d.*|off|closed|24/7)$", rule)
    if not m:
        return rule
    parts = [p.strip() for p in m.group(1).split(",")]
    kept = [p for p in parts if not _HOLIDAY.match(p)]
    if len(kept) == len(parts):
        return rule
    return f"{','.join(kept)} {m.group(2)}" if kept else ""


def _spans(text: str) -> list[tuple[int, int]] | None:
    spans = []
    for part in text.split(","):
        m = _SPAN.match(part.strip())
        if not m:
            return None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 24 or h2 > 48 or m1 > 59 or m2 > 59:
            return None
        a, b = h1 * 60 + m1, h2 * 60 + m2
        if b <= a:  # past midnight: 22:00-02:00
            b += 1440
        spans.append((a, b))
    return spans


def parse_opening_hours(value: str | None) -> Week | None:
    """Parse an ``opening_hours`` value into a `Week`, or ``None`` when unknown.

    >>> parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-14:00")[5]
    [(600, 840)]
    >>> parse_opening_hours("24/7")[0]
    [(0, 1440)]
    >>> parse_opening_hours("Mo-Fr 08:00-12:00; PH off")[6]
    []
    >>> parse_opening_hours("sunrise-sunset") is None
    True
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text == "24/7":
        return [[(0, 1440)] for _ in range(7)]
    if text.lower() in ("off", "closed"):
        return [[] for _ in range(7)]
    week: Week = [[] for _ in range(7)]
    seen = False
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        rule = _drop_holidays(rule)  # no holiday calendar: PH/SH selectors are ignored
        if not rule:
            continue
        days: list[int] | None
        if rule[0].isdigit():  # times without days: every day
            days, times = list(range(7)), rule
        else:
            # the day selector may contain ", " (Sa, Su): split at the first digit or off/closed
            m = re.match(r"^([A-Za-z,\s-]+?)\s+(\d.*|off|closed|24/7)$", rule)
            if not m:
                return None
            days, times = _days(m.group(1)), m.group(2).strip()
            if days is None:
                return None
        if times in ("off", "closed"):
            spans: list[tuple[int, int]] | None = []
        elif times == "24/7":
            spans = [(0, 1440)]
        else:
            spans = _spans(times)
        if spans is None:
            return None
        for d in days:
            week[d] = list(spans)
        seen = True
    return week if seen else None


def open_windows(week: Week, start: dt.datetime, horizon_s: float) -> list[tuple[float, float]]:
    """Open intervals as seconds after ``start`` (an aware datetime), up to ``horizon_s``.

    Intervals that touch are merged (``Mo 10:00-24:00; Tu 00:00-02:00`` is one).
    """
    spans: list[tuple[float, float]] = []
    day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
    n_days = int(horizon_s // 86400) + 2
    for k in range(-1, n_days):
        day = day0 + dt.timedelta(days=k)
        for a, b in week[day.weekday()]:
            lo = (_local(day, a) - start).total_seconds()
            hi = (_local(day, b) - start).total_seconds()
            if hi > 0 and lo < horizon_s:
                spans.append((max(lo, 0.0), min(hi, float(horizon_s))))
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(spans):  # a day's spans may be written in any order
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _local(day: dt.datetime, minutes: int) -> dt.datetime:
    """Wall-clock time ``minutes`` after the midnight of ``day``, in its time zone."""
    naive = day.replace(tzinfo=None) + dt.timedelta(minutes=minutes)
    return naive.replace(tzinfo=day.tzinfo).astimezone(dt.UTC)


# --------------------------------------------------------------------------- checking the syntax (staff input)

_G_WD = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_G_NTH = r"\[-?[1-5](?:-[1-5])?(?:,-?[1-5](?:-[1-5])?)*\]"
_G_WD_ITEM = rf"(?:{_G_WD}(?:-{_G_WD})?(?:{_G_NTH})?|PH|SH)(?:\s*[+-]\d+\s+days?)?"
_G_WD_SEL = rf"{_G_WD_ITEM}(?:\s*,\s*{_G_WD_ITEM})*"
_G_EVENT = r"(?:sunrise|sunset|dawn|dusk)"
_G_HM = r"\d{1,2}:\d{2}"
_G_TIME = rf"(?:{_G_HM}|{_G_EVENT}|\({_G_EVENT}[+-]{_G_HM}\))"
_G_SPAN = rf"{_G_TIME}(?:\s*-\s*{_G_TIME}(?:\+)?|\+)?"
_G_TIME_SEL = rf"{_G_SPAN}(?:\s*,\s*{_G_SPAN})*"
_G_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_G_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_G_DATE = rf"(?:\d{{4}}\s+)?{_G_MON}(?:\s+{_G_DAY})?|easter"
_G_MON_ITEM = rf"(?:{_G_DATE})(?:\s*-\s*(?:{_G_DATE}|{_G_DAY}))?"
_G_MON_SEL = rf"{_G_MON_ITEM}(?:\s*,\s*{_G_MON_ITEM})*"
_G_YEAR_SEL = r"\d{4}(?:-\d{4})?(?:/\d+)?(?:\s*,\s*\d{4}(?:-\d{4})?)*"
_G_WEEK_SEL = r"week\s+\d{1,2}(?:-\d{1,2})?(?:/\d)?(?:\s*,\s*\d{1,2}(?:-\d{1,2})?(?:/\d)?)*"
_G_MOD = r"(?:open|closed|off|unknown)"
_G_COMMENT = r'"[^"]*"'
_G_RULE = re.compile(
    rf"""^(?:
        24/7
      | (?:{_G_YEAR_SEL}\s+)?(?:(?:{_G_MON_SEL})\s*:?\s*)?(?:{_G_WEEK_SEL}\s*:?\s*)?
        (?:(?:{_G_WD_SEL})\s*:?)?\s*(?:{_G_TIME_SEL})?
    )\s*(?:{_G_MOD})?\s*(?:{_G_COMMENT})?$""",
    re.VERBOSE,
)
_G_HM_RE = re.compile(r"(\d{1,2}):(\d{2})")
OPENING_HOURS_EXAMPLES = "'Mo-Fr 09:00-17:00; Sa 10:00-14:00; Su,PH off' or '24/7'"


def _G_check_rule(rule: str) -> bool:
    if not rule or not _G_RULE.match(rule):
        return False
    for h, m in _G_HM_RE.findall(rule):
        if int(m) > 59 or int(h) > 48:  # up to 48:00 for spans past midnight
            return False
    return True


def check_opening_hours(value: str) -> str | None:
    """Return ``None`` when ``value`` is valid OSM ``opening_hours``, else a message.

    >>> check_opening_hours("Mo-Fr 08:00-12:00,13:00-17:30; Sa 10:00-14:00; PH off") is None
    True
    >>> check_opening_hours("Apr-Oct: Tu-Su 10:00-18:00") is None
    True
    >>> check_opening_hours("monday to friday 9-5").startswith("'monday to friday 9-5' is not valid")
    True
    """
    text = value.strip().rstrip(";").strip()
    if not text:
        return f"is empty; leave opening_hours out, or write it as {OPENING_HOURS_EXAMPLES}"
    for part in re.split(r"\s*(?:;|\|\|)\s*", text):
        if _G_check_rule(part):
            continue
        # ``,`` may also join rules: "Mo-Fr 09:00-17:00, Sa 10:00-12:00"
        pieces = re.split(
            r",\s+(?=(?:\d{4}\s+)?(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
            r"|Sep|Oct|Nov|Dec|week)\b)",
            part,
        )
        if len(pieces) > 1 and all(_G_check_rule(p) for p in pieces):
            continue
        return f"'{part}' is not valid OpenStreetMap opening_hours syntax (for example {OPENING_HOURS_EXAMPLES})"
    return None
