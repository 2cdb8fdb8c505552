"""What the emulated API answers: parameters → a table of rows → (see ``render.py``) bytes.

The choices below are the emulator's where the vendor's reference page is silent, picked as the
behaviour a Java servlet backed by hour buckets most plausibly had:

- **Validation** is the emulator's own (``rules.py``, written from the reference page, never the
  client's table). An invalid value answers HTTP 200 with ``Error: java.lang.RuntimeException:
  <message>``, one message per case (``Unparseable date: "2011-13-45"``, ``Column not found:
  cityy``, ``limit out of range (1-1000): 0``, ...).
- **Range**: ``date`` is the *last* day; ``period=3d`` is that day and the two before it, ``2w``
  fourteen days, ``1m`` one calendar month back (``2011-11-16`` → from ``2011-10-17``). Days are
  those of ``timeZone`` (default ``EST``; ``timezone`` is accepted too). Without ``date`` the range
  is the period ending now (``1d`` = the last 24 hours). Nothing after "now" exists; "now" comes
  from the server's injectable clock.
- **Order**: newest session first (by session start). ``orderCriteria`` ("<field> [asc|desc]",
  asc by default) sorts the rows *of the answer*, the way a backend that reads hour buckets
  newest first and then sorts what it read does; paging is unaffected.
- **Paging**: ``nextToken`` is ``<day>.<hour>``. The *hour* part (epoch ms of the start of an hour
  of ``timeZone``) alone says where to go on: the answer starts with that hour's newest session.
  The *day* part names the day bucket that holds the hour: the emulator writes midnight UTC of
  the hour's UTC day, as the reference sample does (``1321401600000.1321466400000``: 2011-11-16
  00:00 UTC, 18:00 UTC), and reads also midnight UTC or midnight in ``timeZone`` of the hour's
  date in ``timeZone``; any other day part answers "day and hour do not match". With
  ``dataType=jsondatatable`` an answer is made of whole hours, newest first, adding hours until
  it holds at least ``limit`` rows (the reference calls limit "the minimum number of records")
  or the range is done; ``nextToken`` names the next older hour, or is ``""`` once the range is
  done, so following the tokens covers the range with no gap and no duplicate. In ``json`` (and
  the other types) the answer is exactly the newest ``limit`` rows and ``nextToken`` is always
  ``""``: the reference offers it "only in jsondatatable format", and an hour's token cannot go
  on from the middle of an hour, so a token there would lose the rest of that hour's rows.
- **Filters** (on the session's values): ``includeCountryCode`` (after ``mapEuToCountryDomain``),
  ``excludeInUrl`` (entry and current page URLs), ``excludeInFilteredCompany``,
  ``maxEventThreshold`` (``total_pages_viewed`` below it), ``maxDuration`` (seconds below it; a
  single-event visit lasts 0 s), ``removeIsp`` (keep company visits), ``filterByCurrentTitle``
  (exact, case sensitive), ``search`` (case-insensitive; a word with ``*`` must match a whole
  field, ``*`` matching anything, a word without ``*`` may be part of a field; all words unless
  ``useOr=true``) and ``session_id`` (that one session, whatever the range). A word list matches
  like ``search`` does.
- **Columns**: ``filtered_company`` (the company if known, else the provider) is added after the 69
  when ``excludeInFilteredCompany``, ``includeCountryCode``, ``excludeInUrl`` or
  ``maxEventThreshold`` is given; ``showColumns`` keeps those columns, in the order given, and
  may name ``filtered_company`` whatever the filters.
- **Cancelling**: an answer is built hour by hour and asks before each hour whether it is still
  wanted (the client still connected, the server not stopping); if not, it stops there.
- **Sessions of a visitor** (``uid``/``filterByMachineId``): the visitor's sessions from their
  first visit up to the end of ``date`` (or now), newest first, the very rows the sessions
  endpoint shows on those days; paged as sessions are.
- **Page views** (``filterByVisitId``): one row per page view, oldest first, the session's row with
  the page's URL, title, time and time on page (``s.e.`` for the last), ``type`` = ``pageview``.
- **Dates** (``lastEvent``, ``firstMeasurement``) are written in ``timeZone``. The sample's own
  dates read five hours *ahead* of UTC ("Nov 17 12:44 AM" for 19:44 UTC), a quirk of that server
  that nothing documents; the emulator keeps the documented rule instead.
- **Online**: a visitor whose last event is less than 15 minutes before "now" is
  ``puppet_online``/``online`` and their duration runs up to now (as in the sample); a session
  still going on shows the page views made so far. Only these rows depend on the clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import heapq
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import islice
from typing import Any, NamedTuple

from ..schema import COUNT_FIELDS, DURATION_FIELDS, EPOCH_MS_FIELDS, FIELDS, FLOAT_FIELDS
from . import dataset, world
from .dataset import DAY_MS, FIELD_INDEX, HOUR_MS
from .rules import (
    API_DATE_PATTERN,
    COUNTRY_ALIASES,
    CREDENTIALS,
    FILTERED_COMPANY,
    ApiFailure,
    Period,
    format_date,
    java_zone,
    parse_params,
    value,
)

__all__ = ["CREDENTIALS", "ApiFailure", "Table", "parse_params", "sessions_table", "value"]

_ADDS_FILTERED_COMPANY = ("excludeInFilteredCompany", "includeCountryCode", "excludeInUrl",
                          "maxEventThreshold")  # fmt: skip
_SEARCHED = tuple(FIELD_INDEX[f] for f in (
    "city", "region", "country_name", "company_org", "isp", "isp_org", "provider", "browser",
    "platform", "referrer", "session_referrer", "search", "entry_root_url", "entry_title",
    "exit_root_url", "exit_title", "ip_number", "site"))  # fmt: skip
_URLS = tuple(
    FIELD_INDEX[f] for f in ("entryPage", "currentPage", "entry_root_url", "exit_root_url")
)

LOGIN_FAILED = "Login/ site combination is not valid"


class Abandoned(Exception):
    """The client went away (or the server is stopping): the answer is no longer wanted."""


Cancelled = Callable[[], bool]


# --------------------------------------------------------------------------- time


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def local_midnight(day: dt.date, zone: dt.tzinfo) -> int:
    return _ms(dt.datetime.combine(day, dt.time(), tzinfo=zone))


def local_date(epoch_ms: int, zone: dt.tzinfo) -> dt.date:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, zone).date()


def hour_start(epoch_ms: int, zone: dt.tzinfo) -> int:
    """The start of the local hour that holds ``epoch_ms``."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, zone)
    offset = int(moment.utcoffset().total_seconds() * 1000)
    return epoch_ms - (epoch_ms + offset) % HOUR_MS


def _months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def time_range(values: Mapping[str, Any], now: int, zone: dt.tzinfo) -> tuple[int, int]:
    """[low, high) in epoch ms for ``date`` and ``period`` (see the module's notes), within the
    years that hold sessions (a bound past year 1 or 9999 is the data's own)."""
    period: Period = value(values, "period")
    date = values.get("date")
    if date is not None:
        high = _or(lambda: local_midnight(date + dt.timedelta(days=1), zone), dataset.LAST_MS)
        low = _or(lambda: local_midnight(_first_day(date, period), zone), dataset.FIRST_MS)
    else:
        high = now + 1
        low = _or(lambda: _back_from(now, period, zone), dataset.FIRST_MS)
    low, high = max(low, dataset.FIRST_MS), min(high, dataset.LAST_MS)
    return low, max(low, high)


def _or(bound: Callable[[], int], beyond: int) -> int:
    try:
        return bound()
    except (OverflowError, ValueError, OSError):  # past year 1 or 9999
        return beyond


def _first_day(date: dt.date, period: Period) -> dt.date:
    if period.unit == "m":
        return _months_back(date, period.count) + dt.timedelta(days=1)
    return date - dt.timedelta(days=period.count * (7 if period.unit == "w" else 1) - 1)


def _back_from(now: int, period: Period, zone: dt.tzinfo) -> int:
    if period.unit == "m":
        moment = dt.datetime.fromtimestamp(now / 1000, zone)
        return _ms(dt.datetime.combine(_months_back(moment.date(), period.count), moment.timetz()))
    return now - period.count * (7 if period.unit == "w" else 1) * DAY_MS


_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


def make_token(hour: int) -> str:
    """The token for going on from ``hour``: ``<midnight UTC of its UTC day>.<hour>``."""
    return f"{hour - hour % DAY_MS}.{hour}"


def read_token(token: str, low: int, high: int, zone: dt.tzinfo) -> int:
    """The hour a ``nextToken`` names; an error if it is not an hour of this range or the day
    part is no midnight (UTC, or the request's zone) of the day that holds it."""
    parts = token.split(".")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) < 19 for p in parts):
        raise ApiFailure(f"Invalid nextToken: {token} (use <day epoch ms>.<hour epoch ms>)")
    day, hour = int(parts[0]), int(parts[1])
    if not (low < hour + HOUR_MS and hour < high) or hour_start(hour, zone) != hour:
        raise ApiFailure(f"Invalid nextToken: {token} (not an hour of the requested range)")
    local = local_date(hour, zone)
    days = {
        hour - hour % DAY_MS,
        local_midnight(local, zone),
        (local.toordinal() - _EPOCH_DAY) * DAY_MS,
    }
    if day not in days:
        raise ApiFailure(f"Invalid nextToken: {token} (day and hour do not match)")
    return hour


# --------------------------------------------------------------------------- filters


def _word_pattern(words: tuple[str, ...]) -> list[re.Pattern[str]]:
    patterns = []
    for word in words:
        if "*" in word:
            body = ".*".join(re.escape(part) for part in word.split("*"))
            patterns.append(re.compile(f"^{body}$", re.IGNORECASE | re.MULTILINE))
        else:
            patterns.append(re.compile(re.escape(word), re.IGNORECASE))
    return patterns


def duration_seconds(text: str) -> int:
    """``20h 44m 57s`` → 74697; ``s.e.`` → 0."""
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(
        int(part[:-1]) * units[part[-1]]
        for part in text.split()
        if part[-1] in units and part[:-1].isdigit()
    )


def filtered_company(row: Sequence[str]) -> str:
    """The company that best matches the visitor: the company, else the provider."""
    return row[FIELD_INDEX["company_org"]] or row[FIELD_INDEX["isp_org"]] or row[FIELD_INDEX["isp"]]


Predicate = Callable[[Sequence[str]], bool]


def make_filter(values: Mapping[str, Any], site_country: Callable[[str], str]) -> Predicate | None:
    """One predicate for every filter given (None when there is none)."""
    checks: list[Predicate] = []
    i = FIELD_INDEX
    if "includeCountryCode" in values:
        wanted = {COUNTRY_ALIASES.get(code, code) for code in values["includeCountryCode"]}
        checks.append(lambda r: _mapped_code(r, values, site_country) in wanted)
    if "excludeInUrl" in values:
        patterns = _word_pattern(values["excludeInUrl"])
        checks.append(lambda r: not any(p.search("\n".join(r[k] for k in _URLS)) for p in patterns))
    if "excludeInFilteredCompany" in values:
        patterns = _word_pattern(values["excludeInFilteredCompany"])
        checks.append(lambda r: not any(p.search(filtered_company(r)) for p in patterns))
    if "maxEventThreshold" in values:
        limit = values["maxEventThreshold"]
        checks.append(lambda r: int(r[i["total_pages_viewed"]]) < limit)
    if "maxDuration" in values:
        longest = values["maxDuration"]
        checks.append(lambda r: duration_seconds(r[i["duration"]]) < longest)
    if value(values, "removeIsp"):
        checks.append(lambda r: r[i["connection"]] == "Corporate")
    if "filterByCurrentTitle" in values:
        title = values["filterByCurrentTitle"]
        checks.append(lambda r: r[i["currentTitle"]] == title)
    if "search" in values:
        patterns = _word_pattern(values["search"])
        combine = any if value(values, "useOr") else all
        checks.append(
            lambda r: combine(p.search("\n".join(r[k] for k in _SEARCHED)) for p in patterns)
        )
    if not checks:
        return None
    return lambda row: all(check(row) for check in checks)


def _mapped_code(row: Sequence[str], values: Mapping[str, Any], site_country) -> str:
    code = row[FIELD_INDEX["country_code"]]
    if code == "EU" and value(values, "mapEuToCountryDomain"):
        return site_country(row[FIELD_INDEX["site"]]) or code
    return code


# --------------------------------------------------------------------------- the table


class Found(NamedTuple):
    """A session found for an answer; ``day``/``index`` say where its cached row lives, and
    ``finished`` that ``row`` is that finished row (not one rebuilt live)."""

    start: int
    row: Sequence[str]  # read like a tuple (a built day's row reads its columns)
    last_event: int
    day: dataset.Day | None = None
    index: int = -1
    finished: bool = False

    def cached(self) -> bool:
        """True when ``row`` is the day's finished row (not one rebuilt live)."""
        return self.day is not None and self.finished

    @property
    def size(self) -> int:
        return 1

    def sessions(self) -> list[Found]:
        return [self]


class Run(NamedTuple):
    """Finished sessions of a built day, its indexes [first, stop), newest first: what an
    answer takes whole from a day (render.py writes them at once)."""

    day: dataset.Day
    first: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.first

    def sessions(self) -> list[Found]:
        """One :class:`Found` for each session, newest first."""
        day = self.day
        return [Found(day.starts[i], *day.row_and_event(i), day, i, True)
                for i in reversed(range(self.first, self.stop))]  # fmt: skip


@dataclass
class Table:
    """An answer before it is written out: the sessions found, how to show them, the next token."""

    parts: list[Found | Run]  # the sessions found, in the answer's order
    display: Display
    next_token: str = ""
    low: int = 0
    high: int = 0
    sites: tuple[str, ...] = ()
    zone: str = "EST"

    @property
    def columns(self) -> list[str]:
        return list(self.display.columns)

    @property
    def count(self) -> int:
        """How many sessions the answer holds."""
        return sum(part.size for part in self.parts)

    @cached_property
    def found(self) -> list[Found]:
        """Every session of the answer, one :class:`Found` each."""
        return [one for part in self.parts for one in part.sessions()]

    @cached_property
    def rows(self) -> list[list[str]]:
        """Every row as the API shows it (lists of strings in ``columns`` order)."""
        return [self.display.present(f.row, f.last_event) for f in self.found]


def _site_sessions(
    host: str, low: int, high: int, now: int, keep: Predicate | None, runs: bool = False
) -> Iterator[Found | Run]:
    """Sessions of ``host`` starting in [low, min(high, now]), newest first; with ``runs``, each
    day's sessions as one :class:`Run` when every one of them is finished (none may be filtered
    out then: ``keep`` is None)."""
    high = min(high, now + 1)
    if high <= low:
        return
    day = dataset.utc_day(high - 1)
    first_day = dataset.utc_day(low)
    while day >= first_day:
        today = dataset.get_day(host, day)
        indexes = today.index_between(low, high)
        if runs and indexes and today.all_finished(indexes, now):
            yield Run(today, indexes.start, indexes.stop)
        else:
            for index in reversed(indexes):
                row, last_event, finished = today.row_at(index, now)
                if keep is None or keep(row):
                    yield Found(today.starts[index], row, last_event, today, index, finished)
        day -= dt.timedelta(days=1)


def _merged(sources: list[Iterator[Found | Run]]) -> Iterator[Found | Run]:
    if len(sources) == 1:
        return sources[0]
    return heapq.merge(*sources, key=lambda found: -found.start)


def collect(
    source: Callable[[int, int], Iterator[Found | Run]],
    low: int,
    high: int,
    zone: dt.tzinfo,
    limit: int,
    whole_hours: bool,
    token: str | None = None,
    cancelled: Cancelled | None = None,
) -> tuple[list[Found | Run], str]:
    """Rows newest first, hour by hour, and the token of the next hour.

    With ``whole_hours`` (``jsondatatable``) the token is "" once the range is done; without,
    the answer is the newest ``limit`` rows and carries no token, since an hour's token could
    not go on from the middle of that hour (only whole hours may come as a :class:`Run`).
    ``cancelled`` is asked before each hour.
    """
    top = high if token is None else read_token(token, low, high, zone) + HOUR_MS
    found: list[Found | Run] = []
    count = 0
    if top <= low:
        return found, ""
    hour = hour_start(top - 1, zone)
    while True:
        if cancelled is not None and cancelled():
            raise Abandoned
        rows = source(max(hour, low), min(hour + HOUR_MS, top))
        before = len(found)
        found.extend(rows if whole_hours else islice(rows, limit - count))
        count += sum(part.size for part in found[before:])
        if hour <= low:
            return found, ""
        older = hour_start(hour - 1, zone)
        if count >= limit:
            return found, make_token(older) if whole_hours else ""
        hour = older


@dataclass(frozen=True)
class Display:
    """How values are shown: dates, unknown places, country codes, columns."""

    pattern: str = API_DATE_PATTERN
    zone: str = "EST"
    locale: str = "en_US"
    unknown_city: str | None = None
    unknown_region: str | None = None
    map_eu: bool = False
    gb_code: str | None = None
    filtered_company: bool = False
    columns: tuple[str, ...] = FIELDS

    @classmethod
    def from_values(cls, values: Mapping[str, Any], endpoint: str = "sessions") -> Display:
        extra = any(name in values for name in _ADDS_FILTERED_COMPANY)
        columns = values.get("showColumns") or ((*FIELDS, FILTERED_COMPANY) if extra else FIELDS)
        return cls(
            pattern=values.get("dateFormat") or API_DATE_PATTERN,
            zone=value(values, "timeZone") or "EST",
            locale=value(values, "locale", endpoint) or "en_US",
            unknown_city=values.get("unknownCity"),
            unknown_region=values.get("unknownRegion"),
            map_eu=bool(value(values, "mapEuToCountryDomain")),
            gb_code=values.get("gbCountryCode"),
            filtered_company=extra,
            columns=columns,
        )

    def present(self, row: Sequence[str], last_event: int) -> list[str]:
        """The row as the API writes it: formatted dates, display options, chosen columns."""
        i = FIELD_INDEX
        values = [*row, filtered_company(row)]
        values[i["lastEvent"]] = self.date(last_event)
        values[i["firstMeasurement"]] = self.date(int(row[i["first_session_unix_timestamp"]]))
        if self.unknown_city is not None and not row[i["city"]]:
            values[i["city"]] = self.unknown_city
        if self.unknown_region is not None and not row[i["region"]]:
            values[i["region"]] = self.unknown_region
        code = row[i["country_code"]]
        if self.map_eu and code == "EU" and dataset.SITES[row[i["site"]]].country_domain:
            code = dataset.SITES[row[i["site"]]].country_domain
            name = world.country_name(code)
            values[i["country_code"]], values[i["flag"]] = code, code.lower()
            values[i["country"]] = values[i["country_name"]] = name
        if self.gb_code is not None and code == "GB":
            values[i["country_code"]] = self.gb_code
        if self.columns is FIELDS:
            del values[-1]
            return values
        return [values[k] for k in self._indexes]

    def date(self, epoch_ms: int) -> str:
        if self.pattern == API_DATE_PATTERN:  # minutes at most: one cached text a minute
            epoch_ms -= epoch_ms % 60_000
        return format_date(epoch_ms, self.pattern, self.zone, self.locale)

    @cached_property
    def plain(self) -> bool:
        """True when rows differ from the stored values only by their two dates."""
        return (
            self.columns is FIELDS
            and (self.unknown_city, self.unknown_region, self.gb_code)
            == (
                None,
                None,
                None,
            )
            and not self.map_eu
        )

    @cached_property
    def _indexes(self) -> list[int]:
        return [len(FIELDS) if c == FILTERED_COMPANY else FIELD_INDEX[c] for c in self.columns]


def sort_rows(found: list[Found], criteria: str) -> list[Found]:
    """The rows sorted by ``<field> [asc|desc]`` (numbers as numbers, durations by length)."""
    name, *direction = criteria.split()
    index = FIELD_INDEX[name]

    def key(item: Found) -> tuple:
        text = item.row[index]
        if name in COUNT_FIELDS | EPOCH_MS_FIELDS | FLOAT_FIELDS:
            return (text != "", float(text) if text else 0.0)
        if name in DURATION_FIELDS:
            return (text != "s.e.", duration_seconds(text))
        return (True, text)

    return sorted(found, key=key, reverse=bool(direction) and direction[0] == "desc")


def sites_of(values: Mapping[str, Any], endpoint: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value(values, "site", endpoint)))


def sessions_table(
    values: Mapping[str, Any],
    now: int,
    *,
    endpoint: str = "sessions",
    cancelled: Cancelled | None = None,
) -> Table:
    """The sessions answer for validated ``values`` at time ``now`` (epoch ms); raises
    :class:`Abandoned` as soon as ``cancelled()`` says the answer is no longer wanted."""
    zone_name = value(values, "timeZone") or "EST"
    zone = java_zone(zone_name)
    display = Display.from_values(values, endpoint)
    sites = sites_of(values, endpoint)
    keep = make_filter(values, lambda host: dataset.SITES[host].country_domain)
    limit = value(values, "limit", endpoint)
    low, high = time_range(values, now, zone)
    if "session_id" in values:
        found = _one_session(sites, values["session_id"], now, keep)
        token = ""
    else:
        whole_hours = value(values, "dataType", endpoint) == "jsondatatable"
        # A day's rows taken whole, written at once: when nothing is filtered, sorted or shown
        # otherwise, and no other site's rows come between them.
        runs = (whole_hours and keep is None and display.plain and len(sites) == 1
                and "orderCriteria" not in values)  # fmt: skip

        def source(a: int, b: int) -> Iterator[Found | Run]:
            return _merged([_site_sessions(host, a, b, now, keep, runs) for host in sites])

        found, token = collect(source, low, high, zone, limit, whole_hours,
                               values.get("nextToken"), cancelled)  # fmt: skip
    if "orderCriteria" in values:
        found = sort_rows(Table(found, display).found, values["orderCriteria"])
    return Table(found, display, token, low, high, sites, zone_name)


def _one_session(sites, session_id: str, now: int, keep: Predicate | None) -> list[Found]:
    for host in sites:
        hit = dataset.find_session(host, session_id)
        if hit is not None:
            day, index = hit
            if day.starts[index] > now:
                return []
            row, last_event, finished = day.row_at(index, now)
            return (
                [Found(day.starts[index], row, last_event, day, index, finished)]
                if keep is None or keep(row)
                else []
            )
    return []


def visitor_table(
    values: Mapping[str, Any], now: int, *, cancelled: Cancelled | None = None
) -> Table:
    """The sessions of one visitor (``uid``), newest first, as the sessions endpoint shows them."""
    endpoint = "sessions_by_user"
    zone_name = value(values, "timeZone") or "EST"
    zone = java_zone(zone_name)
    display = Display.from_values(values, endpoint)
    sites = sites_of(values, endpoint)
    uid = values.get("uid")
    if uid is None:
        raise ApiFailure("uid is required (the visitor id, machine_idx)")
    first_ms = int(uid.split(".")[0])
    if not dataset.FIRST_MS <= first_ms < dataset.LAST_MS:
        return Table([], display, "", sites=sites)
    date = values.get("date")
    high = now + 1
    if date is not None:
        high = min(high, _or(lambda: local_midnight(date + dt.timedelta(days=1), zone), high))
    low = first_ms
    high = min(high, max(_last_visit_bound(host, uid, first_ms) for host in sites))

    def source(a: int, b: int) -> Iterator[Found]:
        return _merged([_visitor_sessions(host, uid, a, b, now) for host in sites])

    whole_hours = value(values, "dataType", endpoint) == "jsondatatable"
    found, token = collect(source, low, high, zone, value(values, "limit", endpoint), whole_hours,
                           values.get("nextToken"), cancelled)  # fmt: skip
    return Table(found, display, token, low, high, sites, zone_name)


def _last_visit_bound(host: str, uid: str, first_ms: int) -> int:
    """No visit of ``uid`` starts after this: the end of its pool, or of its first day."""
    first_day = first_ms // DAY_MS
    regular = dataset.find_regular(host, uid, range(first_day + 1, first_day + 401))
    if regular is None:
        return (first_day + 1) * DAY_MS
    return (regular.era_start + 2 * dataset.ERA_DAYS) * DAY_MS


def _visitor_sessions(host: str, uid: str, low: int, high: int, now: int) -> Iterator[Found]:
    """The sessions of visitor ``uid`` that start in [low, min(high, now]), newest first."""
    first_ms, number = (int(part) for part in uid.split("."))
    high = min(high, now + 1)
    for epoch_day in range((high - 1) // DAY_MS, low // DAY_MS - 1, -1):
        first_visit = epoch_day == first_ms // DAY_MS
        if not first_visit and number not in dataset.regular_visits(host, epoch_day):
            continue
        day = dataset.get_day(host, dataset.utc_day(epoch_day * DAY_MS))
        for index in reversed(day.index_between(low, high)):
            regular = day.regulars[index]
            if regular is None and not (first_visit and day.starts[index] == first_ms):
                continue
            if regular is not None and regular.number != number:
                continue
            row, last_event, finished = day.row_at(index, now)
            if row[FIELD_INDEX["machine_idx"]] == uid:
                yield Found(day.starts[index], row, last_event, day, index, finished)


def page_views_table(values: Mapping[str, Any], now: int) -> Table:
    """One row per page view of the visit ``filterByVisitId``, oldest first."""
    endpoint = "page_views"
    display = Display.from_values(values, endpoint)
    visit_id = values.get("filterByVisitId")
    if visit_id is None:
        raise ApiFailure("filterByVisitId is required (the visit_id of a session)")
    found: list[Found] = []
    for host in sites_of(values, endpoint):
        hit = dataset.find_session(host, visit_id)
        if hit is not None and hit[0].starts[hit[1]] <= now:
            day, index = hit
            live = now if day.row_and_event(index)[1] + dataset.ONLINE_WINDOW_MS > now else None
            views = dataset.page_view_rows(day.facts(index), live)
            found = [Found(at, row, at) for row, at in views]
            break
    return Table(found, display, sites=sites_of(values, endpoint))
