"""Deterministic, realistic sessions: a pure function of (site, UTC day).

Every generator is a :class:`random.Random` seeded from a BLAKE2 hash of its site, day and role
(never Python's ``hash()`` or the clock), so the same day holds the same sessions on any machine.
Days are generated on demand and kept in a bounded LRU cache; a day first holds only its skeleton
(start times and seeds), and each session's 69 values are built the first time it is read::

    >>> import datetime as dt
    >>> day = get_day("www.opentracker.net", dt.date(2011, 11, 16))
    >>> len(day) > 1000, day.starts == sorted(day.starts)
    (True, True)
    >>> row = day.row(len(day) - 1)          # the day's newest session, 69 strings in FIELDS order
    >>> row[FIELD_INDEX["site"]], row[FIELD_INDEX["type"]]
    ('www.opentracker.net', 'session')

The model: traffic follows the hours and weekdays of the site's home time zone (quiet nights and
weekends) on top of a worldwide base; about one session in nine comes from a *regular* visitor of a
pool that lasts half a year, who keeps the same ``machine_idx``, place and browser on every visit;
the others are new visitors. Visitors come from real cities (``data/cities.csv``, from GeoNames),
about 5% without a known location; browsers, platforms and search engines are those of the day's
year; entry pages follow the referrer (search engines with query terms, other sites, direct
visits).
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import hashlib
import math
import operator
import random
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from itertools import accumulate
from threading import Lock
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ..schema import FIELDS
from .world import (
    ENGINES,
    GOOGLE_DOMAIN,
    LOGOUT,
    OTHER_REFERRERS,
    Weighted,
    between,
    choice,
    era_choice,
    pick_cum,
    visitor_profile,
)

FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}
_in_field_order = operator.itemgetter(*FIELDS)
DAY_MS = 86_400_000
# Sessions exist from 1990 to 2199 (Java's dates go further; Python's datetime does not).
FIRST_MS, LAST_MS = 631_152_000_000, 7_258_118_400_000
HOUR_MS = 3_600_000
ONLINE_WINDOW_MS = 15 * 60_000  # a visitor counts as online this long after their last event
# The day cache holds at most DAY_CACHE_SIZE days and, on average, ROWS_PER_CACHED_DAY built
# rows per day (a built row of www.opentracker.net weighs about 4 KB with its JSON).
DAY_CACHE_SIZE = 12
ROWS_PER_CACHED_DAY = 500


def seed_of(*parts: object) -> int:
    """A 64-bit seed from the parts' text: the same on every machine and every run."""
    text = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


# --------------------------------------------------------------------------- the sites


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    weight: float


@dataclass(frozen=True)
class Site:
    host: str
    daily_sessions: int
    home_zone: str
    country_weights: dict[str, float]
    pages: tuple[Page, ...]
    search_terms: tuple[tuple[str, str], ...]  # (query, landing path)
    regulars: int
    country_domain: str  # the ccTLD's country for mapEuToCountryDomain ("" for .net)

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    @cached_property
    def countries(self) -> Weighted:
        """Where the site's visitors come from ("" for the rest of the world)."""
        return Weighted(self.country_weights)


_NET_PAGES = (
    Page("", "Opentracker.net | Real-time Website Visitor Tracking, Traffic Monitoring, Statistics & Analysis", 30),
    Page("/loginpage", "Get in here. | Opentracker.net", 18),
    Page("/features", "Get More | Opentracker.net", 9),
    Page("/pricing", "Pricing and Plans | Opentracker.net", 7),
    Page("/signup", "Start your free trial | Opentracker.net", 4),
    Page("/article/hits-or-pageviews", "Hits or pageviews? | Opentracker.net", 5),
    Page("/article/clickstream-or-clickpath-analysis", "Clickstream or clickpath analysis | Opentracker.net", 4),
    Page("/article/what-is-a-unique-visitor", "What is a unique visitor? | Opentracker.net", 4),
    Page("/article/bounce-rate", "Bounce rate explained | Opentracker.net", 3),
    Page("/article/web-analytics-definitions", "Web analytics definitions | Opentracker.net", 3),
    Page("/article/cookies-and-privacy", "Cookies and privacy | Opentracker.net", 2),
    Page("/resources/video-screencasts", "Video Screencasts | Opentracker.net", 3),
    Page("/resources/whitepapers", "Whitepapers | Opentracker.net", 2),
    Page("/features/visitor-tracking", "Visitor tracking | Opentracker.net", 3),
    Page("/features/real-time-statistics", "Real-time statistics | Opentracker.net", 3),
    Page("/api", "API | Opentracker.net", 3),
    Page("/company/about-us", "About us | Opentracker.net", 2),
    Page("/company/contact", "Contact | Opentracker.net", 2),
    Page("/company/pressreleases/amnesty-international-msf-and-red-cross-join-opentracker-philanthropy-program",
         "amnesty international, MSf, and red cross join Opentracker philanthropy program | Opentracker.net", 1),
    Page("/support/faq", "Frequently asked questions | Opentracker.net", 3),
)  # fmt: skip
_NET_TERMS = (
    ("open tracker", ""), ("opentracker", ""), ("opentracker login", "/loginpage"),
    ("track user on website", ""), ("website visitor tracking", "/features/visitor-tracking"),
    ("real time web statistics", "/features/real-time-statistics"),
    ("pageveiws", "/article/hits-or-pageviews"), ("hits vs pageviews", "/article/hits-or-pageviews"),
    ("metrics for following clickpath", "/article/clickstream-or-clickpath-analysis"),
    ("clickstream analysis", "/article/clickstream-or-clickpath-analysis"),
    ("unique visitor definition", "/article/what-is-a-unique-visitor"),
    ("what is bounce rate", "/article/bounce-rate"), ("web analytics api", "/api"),
    ("web analytics glossary", "/article/web-analytics-definitions"),
    ("tracking cookies privacy", "/article/cookies-and-privacy"), ("web stats pricing", "/pricing"),
)  # fmt: skip
_DE_PAGES = (
    Page("", "Opentracker.de | Webanalyse und Besucher-Tracking in Echtzeit", 35),
    Page("/anmelden", "Anmelden | Opentracker.de", 15),
    Page("/funktionen", "Funktionen | Opentracker.de", 10),
    Page("/preise", "Preise | Opentracker.de", 8),
    Page("/artikel/besucher-oder-seitenaufrufe", "Besucher oder Seitenaufrufe? | Opentracker.de", 5),
    Page("/artikel/absprungrate", "Die Absprungrate erklärt | Opentracker.de", 4),
    Page("/kontakt", "Kontakt | Opentracker.de", 3),
    Page("/impressum", "Impressum | Opentracker.de", 2),
)  # fmt: skip
_DE_TERMS = (
    ("opentracker", ""), ("webanalyse", ""), ("besucher tracking", "/funktionen"),
    ("seitenaufrufe zählen", "/artikel/besucher-oder-seitenaufrufe"),
    ("absprungrate", "/artikel/absprungrate"), ("webstatistik preise", "/preise"),
)  # fmt: skip

SITES: dict[str, Site] = {
    s.host: s
    for s in (
        Site("www.opentracker.net", 3000, "America/New_York",
             {"US": 34, "GB": 8, "IN": 6, "CA": 5, "DE": 4, "NL": 4, "AU": 3, "FR": 3, "BR": 3,
              "ES": 2, "IT": 2, "SE": 1, "BE": 1, "IE": 1, "PL": 1, "NZ": 1, "CH": 1, "": 20},
             _NET_PAGES, _NET_TERMS, 1200, ""),
        Site("www.opentracker.de", 450, "Europe/Berlin",
             {"DE": 62, "AT": 9, "CH": 8, "NL": 4, "US": 4, "GB": 3, "PL": 2, "": 8},
             _DE_PAGES, _DE_TERMS, 200, "DE"),
    )
}  # fmt: skip

# Relative traffic by hour of the site's home clock, and by weekday (Monday first).
_HOUR_SHAPE = (2, 1.5, 1, 1, 1, 1.5, 3, 5, 8, 10, 11, 11, 10, 10, 11, 10, 9, 7, 6, 5, 5, 4, 3, 2.5)
_WEEKDAY_SHAPE = (1.05, 1.1, 1.1, 1.05, 0.95, 0.55, 0.5)
_WORLD_BASE = 2.5  # visitors from other time zones flatten the curve

# --------------------------------------------------------------------------- visitors


@dataclass(frozen=True)
class Regular:
    """A visitor who comes back: same machine_idx, place and browser on every visit."""

    number: int
    first_ms: int
    visit_chance: float  # per day
    visits_before: int
    pages_per_visit: float
    era_start: int  # epoch day of its pool
    seed: int

    @property
    def machine_idx(self) -> str:
        return f"{self.first_ms}.{self.number}"


ERA_DAYS = 91  # a pool of regulars is active for two eras


@lru_cache(maxsize=64)
def regular_pool(host: str, era: int) -> tuple[Regular, ...]:
    """The regular visitors whose pool starts on epoch day ``era * ERA_DAYS``."""
    site = SITES[host]
    rng = random.Random(seed_of("regulars", host, era))
    start_day = era * ERA_DAYS
    pool = []
    for _ in range(site.regulars):
        ago = between(rng, 1, 400)
        chance = choice(rng, (0.9, 0.6, 0.4)) if rng.random() < 0.05 else rng.uniform(0.03, 0.25)
        first_ms = (start_day - ago) * DAY_MS + between(rng, 0, DAY_MS)
        pool.append(Regular(between(rng, 10**7, 2**31), first_ms, chance, 1 + int(ago * chance),
                            rng.uniform(1.5, 8), start_day, rng.getrandbits(63)))  # fmt: skip
    return tuple(pool)


@lru_cache(maxsize=4096)
def regular_profile(host: str, regular: Regular) -> dict[str, str]:
    """Where a regular visitor is and what they use, the same on every visit (do not modify)."""
    year = utc_day(regular.era_start * DAY_MS).year
    return visitor_profile(random.Random(regular.seed), SITES[host].countries, year)


def active_regulars(host: str, epoch_day: int) -> tuple[Regular, ...]:
    era = epoch_day // ERA_DAYS
    return regular_pool(host, era - 1) + regular_pool(host, era)


# --------------------------------------------------------------------------- sessions


@dataclass
class Facts:
    """One session as generated: what its row and its page views are made of."""

    site: Site
    start: int
    number: int
    first_ms: int
    visits: int
    pages_before: int
    profile: dict[str, str]
    path: list[Page]  # one page per page view
    times: list[int]  # epoch ms of each page view
    referrer: str
    session_referrer: str
    search: str
    rnd: str

    @property
    def session_id(self) -> str:
        return f"{self.start}.{self.number}"


def _page_count(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.46:
        return 1
    if roll < 0.62:
        return 2
    if roll < 0.72:
        return 3
    if roll < 0.93:
        return between(rng, 4, 11)
    if roll < 0.995:
        return between(rng, 11, 41)
    return between(rng, 41, 1201)


def _referrer(
    rng: random.Random, site: Site, country: str, regular: bool, year: int
) -> tuple[str, str, str, str]:
    """(referrer, session_referrer, search term, landing path); all empty for a direct visit."""
    roll = rng.random()
    if regular and roll < 0.5:
        return ("", "", "", "/loginpage") if roll < 0.3 else (LOGOUT, LOGOUT, "", "/loginpage")
    if roll < 0.3:
        return "", "", "", ""
    if roll < 0.42:
        url = choice(rng, OTHER_REFERRERS)
        return url, url, "", ""
    term, landing = choice(rng, site.search_terms)
    q = _quote(term)
    target = _quote(site.url(landing), "")
    engine = era_choice(rng, ENGINES, year)[0]
    if engine == "google":
        host = "www." + GOOGLE_DOMAIN.get(country, "google.com")
        tail = (f"&source=web&cd={between(rng, 1, 10)}&ved=0CDYQFjA{choice(rng, 'ABCDE')}&url={target}"
                f"&ei={_token(rng, 22)}&usg=AFQjCN{_token(rng, 28)}")  # fmt: skip
        return (f"http://{host}/search?sa=t&rct=j&q={q}{tail}",
                f"http://{host}/url?sa=t&rct=j&q={q}{tail}", term, landing)  # fmt: skip
    url = {"bing": f"http://www.bing.com/search?q={q.replace('%20', '+')}&form=QBRE",
           "yahoo": f"http://search.yahoo.com/search?p={q.replace('%20', '+')}&fr=yfp-t",
           "ask": f"http://www.ask.com/web?q={q.replace('%20', '+')}&qsrc=0&o=0&l=dir",
           "msn": f"http://search.msn.com/results.aspx?q={q.replace('%20', '+')}&FORM=QBRE"}[engine]  # fmt: skip
    return url, url, term, landing


_quote = cache(quote)  # few distinct search terms and landing pages


def _token(rng: random.Random, length: int) -> str:
    raw = rng.getrandbits(6 * length).to_bytes((6 * length + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode()[:length]


@cache
def _pages_by_path(host: str) -> dict[str, Page]:
    return {p.path: p for p in SITES[host].pages}


@cache
def _page_weights(host: str) -> tuple[list[Page], list[float]]:
    pages = list(SITES[host].pages)
    return pages, list(accumulate(p.weight for p in pages))


def build_facts(host: str, start: int, seed: int, regular: Regular | None) -> Facts:
    """Everything about one session, from its seed alone."""
    site = SITES[host]
    rng = random.Random(seed)
    year = dt.datetime.fromtimestamp(start / 1000, dt.timezone.utc).year
    if regular is None:
        profile = visitor_profile(rng, site.countries, year)
        number, first_ms, visits = between(rng, 10**7, 2**31), start, 1
        pages_before = 0
    else:
        profile = regular_profile(host, regular)
        number, first_ms = regular.number, regular.first_ms
        visits = (
            regular.visits_before
            + int((start // DAY_MS - regular.era_start) * regular.visit_chance)
            + 1
        )
        pages_before = int((visits - 1) * regular.pages_per_visit)
    referrer, session_referrer, term, landing = _referrer(
        rng, site, profile["country_code"], regular is not None, year
    )
    pages, cum = _page_weights(host)
    by_path = _pages_by_path(host)
    count = _page_count(rng)
    entry = (
        by_path[landing]
        if landing in by_path and (landing or term or rng.random() < 0.5)
        else pick_cum(rng, pages, cum)
    )
    path = [entry]
    times = [start]
    t = start
    for _ in range(count - 1):
        t += 2_000 + int(min(1_800_000, 38_000 * rng.expovariate(1.0) ** 1.6))  # a long tail
        path.append(pick_cum(rng, pages, cum))
        times.append(t)
    return Facts(site, start, number, first_ms, visits, pages_before, profile, path, times,
                 referrer, session_referrer, term, str(between(rng, 10000, 99999)))  # fmt: skip


def format_duration(ms: int | None) -> str:
    """``20h 44m 57s``, ``3m 16s``, ``20s``; ``s.e.`` for a single-event visit (None)."""
    if ms is None:
        return "s.e."
    seconds = ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {seconds}s"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def _hostname(url: str) -> tuple[str, str]:
    """(referrersLogo, session_referrer_hostname): ``google.co.uk``, ``google``."""
    host = url.split("/")[2]
    logo = host[4:] if host.startswith("www.") else host
    labels = logo.split(".")
    second_level = len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac")
    name = labels[-3] if second_level else labels[-2] if len(labels) >= 2 else labels[0]
    return (".".join(labels[-3:]) if second_level else ".".join(labels[-2:])), name


def session_row(facts: Facts, now: int | None = None) -> tuple[tuple[str, ...], int]:
    """The 69 values of the session as seen at ``now`` (None: after it ended), and its last event.

    ``lastEvent`` and ``firstMeasurement`` hold "" here: they are formatted per request.
    """
    times = facts.times
    seen = len(times) if now is None else bisect.bisect_right(times, now)
    end = times[seen - 1]
    pages = seen
    number = facts.number
    last_event = end + 300 + (facts.number % 1700)
    online = now is not None and now - last_event < ONLINE_WINDOW_MS
    if now is not None:
        last_event = min(last_event, now)
    if online:
        duration = format_duration(max(0, now - facts.start))
    else:
        duration = format_duration(end - facts.start if pages > 1 else None)
    entry, exit_ = facts.path[0], facts.path[seen - 1]
    site = facts.site
    p = facts.profile
    logo, ref_host = _hostname(facts.session_referrer) if facts.session_referrer else ("", "")
    visitor = f"{facts.first_ms}.{number}"
    session_id = facts.session_id
    v = {
        **p,
        "lastEvent": "",
        "duration": duration,
        "status": "puppet_online" if online else "puppet_offline",
        "visits_pageviews": f"{facts.visits} ({pages})",
        "currentPage": site.url(exit_.path),
        "currentTitle": exit_.title,
        "currentVisitDuration": duration,
        "entryPage": site.url(entry.path),
        "entry_query": "",
        "entry_root_url": site.url(entry.path),
        "entry_title": entry.title,
        "eventUnixTimestamp": str(last_event),
        "event_id": f"{end}.{number}",
        "exit_query_id": "",
        "exit_root_url": site.url(exit_.path),
        "exit_title": exit_.title,
        "firstMeasurement": "",
        "first_session_unix_timestamp": str(facts.first_ms),
        "machine_id": f"{p['machine_server']}:{facts.first_ms}",
        "machine_idx": visitor,
        "number_of_pages_viewed": str(pages),
        "number_visits": str(facts.visits),
        "pages_viewed": str(pages),
        "referrer": facts.referrer,
        "referrersLogo": logo,
        "rnd": facts.rnd,
        "search": facts.search,
        "session_end_unix_timestamp": str(end),
        "session_id": session_id,
        "session_referrer": facts.session_referrer,
        "session_referrer_hostname": ref_host,
        "session_referrer_unix_timestamp": str(facts.start) if facts.session_referrer else "",
        "session_search": facts.search,
        "session_start_unix_timestamp": str(facts.start),
        "site": site.host,
        "total_duration": "",
        "total_number_visits": str(facts.visits),
        "total_pages_viewed": str(facts.pages_before + pages),
        "type": "session",
        "use_id": visitor,
        "user_status": "online" if online else "offline",
        "visit_id": session_id,
    }
    return _in_field_order(v), last_event


def page_view_rows(facts: Facts, now: int | None = None) -> list[tuple[tuple[str, ...], int]]:
    """One row per page view of the session (as seen at ``now``), oldest first."""
    session, _ = session_row(facts, now)
    seen = len(session) and int(session[FIELD_INDEX["number_of_pages_viewed"]])
    rows = []
    for i in range(seen):
        page, at = facts.path[i], facts.times[i]
        stay = facts.times[i + 1] - at if i + 1 < seen else None
        values = list(session)
        values[FIELD_INDEX["currentPage"]] = values[FIELD_INDEX["exit_root_url"]] = facts.site.url(
            page.path
        )
        values[FIELD_INDEX["currentTitle"]] = values[FIELD_INDEX["exit_title"]] = page.title
        values[FIELD_INDEX["eventUnixTimestamp"]] = str(at)
        values[FIELD_INDEX["event_id"]] = f"{at}.{facts.number}"
        values[FIELD_INDEX["duration"]] = values[FIELD_INDEX["currentVisitDuration"]] = (
            format_duration(stay)
        )
        values[FIELD_INDEX["type"]] = "pageview"
        rows.append((tuple(values), at))
    return rows


# --------------------------------------------------------------------------- days


class Day:
    """The sessions of one site on one UTC day: a skeleton first, rows built when read."""

    def __init__(self, host: str, day: dt.date) -> None:
        self.host = host
        self.day = day
        epoch_day = (day - dt.date(1970, 1, 1)).days
        self.start_ms = epoch_day * DAY_MS
        rng = random.Random(seed_of("day", host, day.isoformat()))
        weights, count, regulars = _day_plan(rng, host, epoch_day)
        cum = list(accumulate(weights))
        total = cum[-1]
        entries = []
        for i in range(count):
            hour = bisect.bisect(cum, rng.random() * total)
            start = self.start_ms + hour * HOUR_MS + between(rng, 0, HOUR_MS)
            entries.append((start, rng.getrandbits(63), regulars[i] if i < len(regulars) else None))
        entries.sort(key=lambda e: e[0])
        self.starts = [e[0] for e in entries]
        self.seeds = [e[1] for e in entries]
        self.regulars = [e[2] for e in entries]
        self._rows: dict[int, tuple[tuple[str, ...], int]] = {}
        self._live: dict[int, Facts] = {}  # sessions near "now" are rebuilt from these
        self.encoded: dict[int, tuple[bytes, bytes]] = {}  # rows as render.py writes them
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self.starts)

    def facts(self, i: int) -> Facts:
        return build_facts(self.host, self.starts[i], self.seeds[i], self.regulars[i])

    def row(self, i: int) -> tuple[str, ...]:
        """The finished session's 69 values (lastEvent/firstMeasurement left empty)."""
        return self.row_and_event(i)[0]

    def row_and_event(self, i: int) -> tuple[tuple[str, ...], int]:
        found = self._rows.get(i)
        if found is None:
            found = session_row(self.facts(i))
            with self._lock:
                self._rows[i] = found
        return found

    def row_at(self, i: int, now: int) -> tuple[tuple[str, ...], int]:
        """The row as seen at ``now``: sessions still running or just ended are rebuilt live."""
        values, last_event = self.row_and_event(i)
        if last_event + ONLINE_WINDOW_MS > now:
            facts = self._live.get(i)
            if facts is None:
                facts = self._live[i] = self.facts(i)
            return session_row(facts, now)
        return values, last_event

    def index_between(self, low_ms: int, high_ms: int) -> range:
        """Indexes of the sessions that start in [low_ms, high_ms), oldest first."""
        return range(
            bisect.bisect_left(self.starts, low_ms), bisect.bisect_left(self.starts, high_ms)
        )

    def find(self, start: int, number: int) -> int | None:
        """The index of the session ``<start>.<number>``, or None."""
        for i in self.index_between(start, start + 1):
            if self.facts_number(i) == number:
                return i
        return None

    def facts_number(self, i: int) -> int:
        regular = self.regulars[i]
        if regular is not None:
            return regular.number
        return self.facts(i).number

    def visits_of(self, number: int) -> list[int]:
        """Indexes of the sessions of the regular visitor ``number``."""
        return [i for i, r in enumerate(self.regulars) if r is not None and r.number == number]


def _day_plan(
    rng: random.Random, host: str, epoch_day: int
) -> tuple[list[float], int, list[Regular]]:
    """The day's hourly weights, its number of sessions and the regulars who visit that day."""
    site = SITES[host]
    weights = _hour_weights(host, epoch_day)
    day = utc_day(epoch_day * DAY_MS)
    season = 1 + 0.08 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365.25)
    expected = site.daily_sessions * season * sum(weights) / _weekday_mean_weight(host)
    count = max(1, int(expected * rng.uniform(0.92, 1.08)))
    regulars = [r for r in active_regulars(host, epoch_day) if rng.random() < r.visit_chance]
    return weights, max(count, len(regulars)), regulars


@lru_cache(maxsize=4096)
def regular_visits(host: str, epoch_day: int) -> frozenset[int]:
    """The numbers of the regulars who visit ``host`` that day, without generating the day."""
    rng = random.Random(seed_of("day", host, utc_day(epoch_day * DAY_MS).isoformat()))
    return frozenset(r.number for r in _day_plan(rng, host, epoch_day)[2])


@cache
def _home_zone(host: str) -> ZoneInfo:
    return ZoneInfo(SITES[host].home_zone)


def _hour_weights(host: str, epoch_day: int) -> list[float]:
    zone = _home_zone(host)
    weights = []
    for hour in range(24):
        local = dt.datetime.fromtimestamp((epoch_day * 24 + hour) * 3600, zone)
        weights.append(_WORLD_BASE + _HOUR_SHAPE[local.hour] * _WEEKDAY_SHAPE[local.weekday()])
    return weights


@cache
def _weekday_mean_weight(host: str) -> float:
    """The mean daily weight sum over a week, so ``daily_sessions`` is a weekly average."""
    return sum(sum(_hour_weights(host, 15000 + d)) for d in range(7)) / 7


_DAYS: OrderedDict[tuple[str, dt.date], Day] = OrderedDict()
_DAYS_LOCK = Lock()


def get_day(host: str, day: dt.date) -> Day:
    """The day's sessions, from the bounded cache (memory stays flat whatever the period)."""
    key = (host, day)
    with _DAYS_LOCK:
        found = _DAYS.get(key)
        if found is not None:
            _DAYS.move_to_end(key)
            return found
    made = Day(host, day)
    with _DAYS_LOCK:
        found = _DAYS.setdefault(key, made)
        _DAYS.move_to_end(key)
        budget = DAY_CACHE_SIZE * ROWS_PER_CACHED_DAY
        while len(_DAYS) > DAY_CACHE_SIZE or (
            len(_DAYS) > 1 and sum(len(d._rows) for d in _DAYS.values()) > budget
        ):
            _DAYS.popitem(last=False)
    return found


def utc_day(epoch_ms: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=epoch_ms // DAY_MS)


def find_session(host: str, session_id: str) -> tuple[Day, int] | None:
    """The day and index of a session (or visit) id ``<start ms>.<number>`` of ``host``."""
    start, number = (int(part) for part in session_id.split("."))
    if not FIRST_MS <= start < LAST_MS:
        return None
    day = get_day(host, utc_day(start))
    index = day.find(start, number)
    return None if index is None else (day, index)


def find_regular(host: str, machine_idx: str, epoch_days: range) -> Regular | None:
    """The regular visitor with this id among the pools active on those days."""
    eras = {d // ERA_DAYS for d in epoch_days} | {d // ERA_DAYS - 1 for d in epoch_days}
    for era in sorted(eras):
        for regular in regular_pool(host, era):
            if regular.machine_idx == machine_idx:
                return regular
    return None
