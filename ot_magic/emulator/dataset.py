"""Deterministic, realistic sessions: a pure function of (site, UTC day).

Every random number is the ``k``-th of a seed (:func:`~ot_magic.emulator.world.uniform`, a
counter-based stream over BLAKE2 seeds, never Python's ``hash()`` or the clock), so the same day
holds the same sessions on any machine, and a session's values are the same whether it is built
alone or with its whole day. A day is generated at once, vectorised with numpy (its unique texts
made in Arrow), when its rows are first read, and kept as 69 columns of texts
(:meth:`Day.columns`); a row's tuple is made when it is read (a few single sessions, such as one
visitor's, are built alone)::

    >>> import datetime as dt
    >>> day = get_day("www.opentracker.net", dt.date(2011, 11, 16))
    >>> len(day) > 1000, day.starts == sorted(day.starts)
    (True, True)
    >>> row = day.row(len(day) - 1)          # the day's newest session, 69 strings in FIELDS order
    >>> row[FIELD_INDEX["site"]], row[FIELD_INDEX["type"]]
    ('www.opentracker.net', 'session')

The model: traffic follows the hours and weekdays of the site's home time zone (quiet nights and
weekends) on top of a worldwide base; about one session in eight comes from a *regular* visitor,
who keeps the same ``machine_idx``, place and browser on every visit. A regular's whole history
exists: their first visit (``first_session_unix_timestamp``) is a session, and visit ``k`` (the
``k``-th in time) has ``number_visits`` ``k``; their schedule is a pure function of their own
seed. The others are new visitors. Visitors come from real cities (``data/cities.csv``, from
GeoNames), about 5% without a known location; browsers, platforms and search engines are those of
the year; entry pages follow the referrer (search engines with query terms, other sites, direct
visits).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from operator import add
from threading import Lock
from urllib.parse import quote
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import FIELDS
from .world import (
    COUNTRY,
    ENGINES,
    GOOGLE_DOMAIN,
    LOGOUT,
    OTHER_REFERRERS,
    PROFILE_CODES,
    PROFILE_STREAMS,
    SERVER,
    SERVERS,
    Weighted,
    arrow_ints,
    arrow_texts,
    between,
    bits,
    choice,
    country_codes,
    draws,
    era_candidates,
    joined,
    objects,
    pick_cum,
    profile_texts,
    profiles,
    repeated,
    small_text,
    text,
    texts,
    uniform,
)

FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}
DAY_MS = 86_400_000
# Sessions exist from 1990 to 2199 (Java's dates go further; Python's datetime does not).
FIRST_MS, LAST_MS = 631_152_000_000, 7_258_118_400_000
HOUR_MS = 3_600_000
ONLINE_WINDOW_MS = 15 * 60_000  # a visitor counts as online this long after their last event
# The day cache holds at most DAY_CACHE_SIZE days and, on average, ROWS_PER_CACHED_DAY built
# rows per day (a built row weighs about 1.4 KB in its columns): room for the ~10 UTC days of
# www.opentracker.net that the client's day split (8 days at once) reads together.
DAY_CACHE_SIZE = 12
ROWS_PER_CACHED_DAY = 2500
# A day builds this many sessions one by one (a visitor's history reads one a day); the next
# read builds the whole day at once.
SINGLE_ROWS = 2


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
             _NET_PAGES, _NET_TERMS, 500, ""),
        Site("www.opentracker.de", 450, "Europe/Berlin",
             {"DE": 62, "AT": 9, "CH": 8, "NL": 4, "US": 4, "GB": 3, "PL": 2, "": 8},
             _DE_PAGES, _DE_TERMS, 80, "DE"),
    )
}  # fmt: skip

# Relative traffic by hour of the site's home clock, and by weekday (Monday first).
_HOUR_SHAPE = (2, 1.5, 1, 1, 1, 1.5, 3, 5, 8, 10, 11, 11, 10, 10, 11, 10, 9, 7, 6, 5, 5, 4, 3, 2.5)
_WEEKDAY_SHAPE = (1.05, 1.1, 1.1, 1.05, 0.95, 0.55, 0.5)
_WORLD_BASE = 2.5  # visitors from other time zones flatten the curve

# --------------------------------------------------------------------------- regulars


@dataclass(frozen=True)
class Regular:
    """A visitor who comes back: same machine_idx, place and browser on every visit."""

    number: int
    first_ms: int
    visit_chance: float  # per day
    pages_per_visit: float
    era_start: int  # epoch day of its pool
    seed: int

    @property
    def machine_idx(self) -> str:
        return f"{self.first_ms}.{self.number}"


ERA_DAYS = 91  # a pool of regulars is active for two eras
MAX_AGO = 400  # and its regulars started visiting up to this many days before
_SPAN = MAX_AGO + 2 * ERA_DAYS
# A regular visits on epoch day d when uniform(seed, _VISIT_STREAM + d) < their chance.
_VISIT_STREAM = 1 << 20


@dataclass(frozen=True, eq=False)
class _Pool:
    """The regulars of one era with their whole schedules and profiles."""

    regulars: tuple[Regular, ...]
    origin: int  # epoch day of row 0 of ``visits``
    # Day-major, so that one day's regulars are read from one contiguous row:
    visits: np.ndarray  # [day - origin, regular]: visits so far, that day included (0 before)
    visited: np.ndarray  # [day - origin, regular]: True on the days they visit
    first_day: np.ndarray
    numbers: np.ndarray
    first_ms: np.ndarray
    pages_per_visit: np.ndarray
    profile: np.ndarray  # [code, regular]: world.profiles' codes


@lru_cache(maxsize=24)
def _pool(host: str, era: int) -> _Pool:
    site = SITES[host]
    start_day = era * ERA_DAYS
    seeds = bits(np.array([seed_of("regulars", host, era)], np.uint64), np.arange(site.regulars))
    u = lambda stream: uniform(seeds, stream)  # noqa: E731
    ago = between(u(0), 1, MAX_AGO + 1)
    keen = u(1) < 0.05
    chance = np.where(keen, choice(u(2), (0.9, 0.6, 0.4)).astype(float), 0.03 + 0.22 * u(3))
    first_day = np.maximum(start_day - ago, FIRST_MS // DAY_MS)  # no visit before sessions exist
    first_ms = first_day * DAY_MS + between(u(4), 0, DAY_MS)
    numbers = between(u(5), 10**7, 2**31)
    pages = 1.5 + 6.5 * u(6)
    origin = start_day - MAX_AGO
    days = np.arange(origin, origin + _SPAN)
    roll = uniform(seeds[:, None], _VISIT_STREAM + days[None, :])
    visited = (days[None, :] >= first_day[:, None]) & (
        (roll < chance[:, None]) | (days[None, :] == first_day[:, None])
    )
    regulars = tuple(
        Regular(int(n), int(f), float(c), float(p), start_day, int(s))
        for n, f, c, p, s in zip(numbers, first_ms, chance, pages, seeds, strict=True)
    )
    year = utc_day(start_day * DAY_MS).year
    profile = profiles(seeds, site.countries, year)
    visited = np.ascontiguousarray(visited.T)
    return _Pool(regulars, origin, np.cumsum(visited, axis=0, dtype=np.int16), visited,
                 first_day, numbers, first_ms, pages, profile)  # fmt: skip


def regular_pool(host: str, era: int) -> tuple[Regular, ...]:
    """The regular visitors whose pool starts on epoch day ``era * ERA_DAYS``."""
    return _pool(host, era).regulars


def _eras(epoch_day: int) -> range:
    """The eras whose regulars may visit on ``epoch_day``."""
    return range((epoch_day - 2 * ERA_DAYS) // ERA_DAYS + 1, (epoch_day + MAX_AGO) // ERA_DAYS + 1)


def _regulars_on(host: str, epoch_day: int) -> list[tuple[_Pool, np.ndarray]]:
    """(pool, indexes of its regulars who visit that day) for every pool active that day."""
    found = []
    for era in _eras(epoch_day):
        pool = _pool(host, era)
        column = epoch_day - pool.origin
        if 0 <= column < _SPAN:
            found.append((pool, np.flatnonzero(pool.visited[column])))
    return found


@lru_cache(maxsize=4096)
def regular_visits(host: str, epoch_day: int) -> frozenset[int]:
    """The numbers of the regulars who visit ``host`` that day, without generating the day."""
    return frozenset(
        number
        for pool, rows in _regulars_on(host, epoch_day)
        for number in pool.numbers[rows].tolist()
    )


# --------------------------------------------------------------------------- sessions

# A session's draws: the k-th uniform of its seed is used for one thing only.
(_HOUR, _MINUTE, _NUMBER, _REFERRER, _OTHER, _TERM, _ENGINE, _CD, _VED, _ENTRY, _ENTRY_PAGE,
 _COUNT, _COUNT_LENGTH, _RND) = range(PROFILE_STREAMS, PROFILE_STREAMS + 14)  # fmt: skip
_TOKEN = PROFILE_STREAMS + 20  # and the next 5: the 50 characters of a Google link's tokens
# Page view j >= 1 of a session: its page from stream _VIEW + 2j, the time before it from the next.
_VIEW = 1 << 16
_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8)


def _gap_table(size: int = 4096) -> np.ndarray:
    """Milliseconds between two page views at ``size`` quantiles: a long tail up to 30 min."""
    q = (np.arange(size) + 0.5) / size
    return np.array([2_000 + int(min(1_800_000, 38_000 * (-math.log(1 - p)) ** 1.6)) for p in q])


_GAPS = _gap_table()


@cache
def _site_pages(host: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """(URLs, titles, cumulative weights, index by path) of the site's pages."""
    site = SITES[host]
    urls = np.array([site.url(p.path) for p in site.pages], dtype=object)
    titles = np.array([p.title for p in site.pages], dtype=object)
    weights = np.cumsum([p.weight for p in site.pages], dtype=np.float64)
    return urls, titles, weights, {p.path: i for i, p in enumerate(site.pages)}


@dataclass(eq=False)
class _Batch:
    """Sessions as generated (any subset of a day: each session depends on its seed alone)."""

    host: str
    start: np.ndarray
    number: np.ndarray
    first_ms: np.ndarray
    visits: np.ndarray
    pages_before: np.ndarray
    profile: np.ndarray  # [code, session]: world.profiles' codes
    came: _Referrers
    offsets: np.ndarray  # page views of session i: offsets[i]:offsets[i + 1]
    view_page: np.ndarray
    view_time: np.ndarray
    rnd: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


def _page_counts(roll: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Page views of each session, from its _COUNT and _COUNT_LENGTH draws: 1, 2 or 3, or a
    number in one of three ranges (the first range whose chance is above the roll)."""
    kind = np.searchsorted(_COUNT_CHANCES, roll, side="right")
    low, high = _COUNT_LOW[kind], _COUNT_HIGH[kind]
    return low + (length * (high - low)).astype(np.int64)  # as between(length, low, high)


_COUNT_CHANCES = np.array([0.46, 0.62, 0.72, 0.93, 0.995])
_COUNT_LOW = np.array([1, 2, 3, 4, 11, 41])
_COUNT_HIGH = np.array([1, 2, 3, 11, 41, 1201])  # 1, 2, 3: high == low, no range


def _google_tails(seeds: np.ndarray) -> pa.Array:
    """What Google's links hold after the search term's landing page, a session each:
    ``<ei token>&usg=AFQjCN<usg token>`` (50 URL-safe base64 characters in all)."""
    words = bits(seeds[:, None], _TOKEN + np.arange(5)[None, :])
    # each word's 60 low bits, 12 at a time: two characters each (the lower six bits first)
    twelves = ((words[:, :, None] >> _TWELVES) & np.uint64(4095)).astype(np.intp)
    sixes = _B64_PAIRS[twelves].view(np.uint8).reshape(len(seeds), 50)
    chars = np.empty((len(seeds), 50 + len(_USG)), dtype=np.uint8)
    chars[:, :22], chars[:, 22 : 22 + len(_USG)], chars[:, 22 + len(_USG) :] = (
        sixes[:, :22], np.frombuffer(_USG, np.uint8), sixes[:, 22:])  # fmt: skip
    return _ascii(chars)


_USG = b"&usg=AFQjCN"
_VED_TEXT = b"&ved=0CDYQFjA"


_TWELVES = np.arange(5, dtype=np.uint64) * np.uint64(12)
# The two base64 characters of each 12-bit number, its lower six bits first (two bytes a number).
_B64_PAIRS = np.stack([_B64[np.arange(4096) & 63], _B64[np.arange(4096) >> 6]], axis=1).view(
    np.uint16
)[:, 0]


def _ascii(chars: np.ndarray) -> pa.Array:
    """An Arrow string array of the rows of a matrix of ASCII codes (each row a text)."""
    rows, width = chars.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


@dataclass(frozen=True)
class _Links:
    """A site's referrer URLs by search term, engine and Google's country domain."""

    terms: np.ndarray  # the query of each search term, and "" last
    landing: np.ndarray  # the page index of each search term's landing page (-1: none)
    login: int  # the page index of /loginpage (-1: none)
    urls: np.ndarray  # every referrer but Google's: "", LOGOUT, OTHER_REFERRERS, [engine, term]
    google_search: np.ndarray  # [domain * terms + term]: the start of a Google results link ...
    google_url: np.ndarray  # [domain * terms + term]: ... and of the link Google redirects through
    google_tail: pa.Array  # [term]: "&url=<landing page>&ei="
    domain: np.ndarray  # [country number]: Google's domain index there (0: google.com)
    logo: np.ndarray  # referrersLogo of "", LOGOUT, OTHER_REFERRERS, ENGINES, Google's domains
    hostname: np.ndarray  # and session_referrer_hostname of each (same order)


_AT_OTHER = 2  # the first of OTHER_REFERRERS in _Links.urls, logo and hostname
_AT_ENGINE = _AT_OTHER + len(OTHER_REFERRERS)  # the first engine's (in urls: its first term)
_AT_DOMAIN = _AT_ENGINE + len(ENGINES)  # the first Google domain's (in logo and hostname)


@cache
def _links(host: str) -> _Links:
    site = SITES[host]
    _, _, _, by_path = _site_pages(host)
    terms = [term for term, _ in site.search_terms]
    domains = ["google.com", *dict.fromkeys(GOOGLE_DOMAIN.values())]
    engines = [
        _ENGINE_URLS.get(e[0], "").format(quote(t).replace("%20", "+"))
        for e in ENGINES
        for t in terms
    ]

    def google(kind: str) -> np.ndarray:
        return objects(tuple(f"http://www.{d}/{kind}?sa=t&rct=j&q={quote(t)}&source=web&cd="
                             for d in domains for t in terms))  # fmt: skip

    hosts = [
        _hostname(url.split("/")[2])
        for url in (
            LOGOUT,
            *OTHER_REFERRERS,
            *(_ENGINE_URLS.get(e[0], "http://www.google.com/") for e in ENGINES),
            *(f"http://www.{d}/" for d in domains),
        )
    ]
    domain_of = {code: domains.index(domain) for code, domain in GOOGLE_DOMAIN.items()}
    return _Links(
        objects((*terms, "")),
        np.array([by_path.get(landing, -1) for _, landing in site.search_terms]),
        by_path.get("/loginpage", -1),
        objects(("", LOGOUT, *OTHER_REFERRERS, *engines)),
        google("search"),
        google("url"),
        arrow_texts(
            [f"&url={quote(site.url(landing), '')}&ei=" for _, landing in site.search_terms]
        ),
        np.array([domain_of.get(code, 0) for code in country_codes().tolist()]),
        objects(("", *(logo for logo, _ in hosts))),
        objects(("", *(name for _, name in hosts))),
    )


@dataclass(frozen=True)
class _Referrers:
    url: np.ndarray  # codes into _Links.urls (-1: Google's, in ``google``)
    google: np.ndarray  # the sessions Google sent
    search_url: np.ndarray  # the referrer of each of them ...
    redirect_url: np.ndarray  # ... and its session_referrer (the link Google redirects through)
    host: np.ndarray  # codes into _Links.logo and hostname
    term: np.ndarray  # codes into _Links.terms (-1: no search)
    landing: np.ndarray  # the page index the referrer leads to (-1: none in particular)
    aimed: np.ndarray  # True when the visit is aimed at that page (a search or a login)


def _referrers(
    host: str,
    seeds: np.ndarray,
    regular: np.ndarray,
    countries: np.ndarray,
    year: int,
    u: dict[int, np.ndarray],
) -> _Referrers:
    """Where each session comes from: nowhere, a login, another site or a search engine
    (``u``: the sessions' _REFERRER, _TERM and _ENGINE draws)."""
    links = _links(host)
    roll = u[_REFERRER]
    login = regular & (roll < 0.5)
    logout = login & (roll >= 0.3)
    other = ~regular & (roll >= 0.3) & (roll < 0.42)
    search = ~regular & (roll >= 0.42) | regular & (roll >= 0.5)
    url = logout.astype(np.int64)  # 0: no referrer, 1: LOGOUT
    which = (uniform(seeds[other], _OTHER) * len(OTHER_REFERRERS)).astype(np.intp)
    url[other] = _AT_OTHER + which
    host_code = url.copy()
    terms = len(links.terms) - 1
    term = (u[_TERM] * terms).astype(np.intp)
    engine = pick_cum(u[_ENGINE], _engine_weights(year))
    google = search & (engine == 0)
    elsewhere = search & (engine != 0)
    url[elsewhere] = _AT_ENGINE + (engine * terms + term)[elsewhere]
    host_code[elsewhere] = _AT_ENGINE + engine[elsewhere]
    search_url = redirect_url = _array([])
    if google.any():
        g = np.flatnonzero(google)
        url[g] = -1
        domain = links.domain[countries[g]]
        host_code[g] = _AT_DOMAIN + domain
        # cd (one digit), "&ved=0CDYQFjA" and ved (one letter)
        head = np.empty((len(g), 2 + len(_VED_TEXT)), dtype=np.uint8)
        mine = draws(seeds[g], _CD, _VED)
        head[:, 0] = ord("0") + between(mine[_CD], 1, 10)
        head[:, 1:-1] = np.frombuffer(_VED_TEXT, np.uint8)
        head[:, -1] = np.frombuffer(b"ABCDE", np.uint8)[(mine[_VED] * 5).astype(np.intp)]
        tail = links.google_tail.take(arrow_ints(term[g]))
        rest = (_ascii(head), tail, _google_tails(seeds[g]), repeated("", len(g)))
        # what both links hold after their start, made once and joined to each start in Python
        ends = pc.binary_join_element_wise(*rest).to_pylist()
        at = domain * terms + term[g]
        search_url, redirect_url = (
            _array(list(map(add, start[at].tolist(), ends)))
            for start in (links.google_search, links.google_url)
        )
    landing = np.where(search, links.landing[term], np.where(login, links.login, _HOME))
    return _Referrers(url, google, search_url, redirect_url, host_code,
                      np.where(search, term, -1), landing, search | login)  # fmt: skip


_HOME = 0  # every site's first page is its home page


@cache
def _engine_weights(year: int) -> np.ndarray:
    """Cumulative weights of ENGINES in ``year`` (0 for an engine not in use then)."""
    items, _ = era_candidates(ENGINES, year, None)
    used = {e[0] for e in items.tolist()}
    return np.cumsum([e[-1] if e[0] in used else 0 for e in ENGINES], dtype=np.float64)


_ENGINE_URLS = {
    "bing": "http://www.bing.com/search?q={}&form=QBRE",
    "yahoo": "http://search.yahoo.com/search?p={}&fr=yfp-t",
    "ask": "http://www.ask.com/web?q={}&qsrc=0&o=0&l=dir",
    "msn": "http://search.msn.com/results.aspx?q={}&FORM=QBRE",
}


@dataclass(frozen=True)
class _Visitors:
    """Who makes each session: a regular (their pool and row) or a new visitor (pool -1)."""

    pools: tuple[_Pool, ...]
    pool: np.ndarray  # index into ``pools``, -1 for a new visitor
    row: np.ndarray
    visits: np.ndarray  # the regular's visit number (1 for new visitors)

    def __getitem__(self, indexes: np.ndarray) -> _Visitors:
        return _Visitors(self.pools, self.pool[indexes], self.row[indexes], self.visits[indexes])


def _generate(
    host: str, start: np.ndarray, seeds: np.ndarray, who: _Visitors, every_page: bool = True
) -> _Batch:
    """Every value of the sessions ``start``/``seeds`` (any subset of a day); without
    ``every_page``, only each session's first and last page views have their page (all a
    finished session's row shows)."""
    site = SITES[host]
    n = len(start)
    year = utc_day(int(start[0]) if n else 0).year
    regular = who.pool >= 0
    new = np.flatnonzero(~regular)
    u = draws(seeds, _NUMBER, _REFERRER, _TERM, _ENGINE, _ENTRY, _ENTRY_PAGE, _COUNT,
              _COUNT_LENGTH, _RND)  # fmt: skip
    number = between(u[_NUMBER], 10**7, 2**31)
    first_ms = start.copy()
    pages_before = np.zeros(n, dtype=np.int64)
    profile = np.empty((PROFILE_CODES, n), dtype=np.int64)
    profile[:, new] = profiles(seeds[new], site.countries, year)
    for k in np.unique(who.pool[regular]).tolist():
        pool, mine = who.pools[k], np.flatnonzero(who.pool == k)
        rows = who.row[mine]
        number[mine], first_ms[mine] = pool.numbers[rows], pool.first_ms[rows]
        pages_before[mine] = ((who.visits[mine] - 1) * pool.pages_per_visit[rows]).astype(np.int64)
        profile[:, mine] = pool.profile[:, rows]
    came = _referrers(host, seeds, regular, profile[COUNTRY], year, u)
    _, _, weights, _ = _site_pages(host)
    chosen = (came.landing >= 0) & (came.aimed | (u[_ENTRY] < 0.5))
    entry = np.where(chosen, came.landing, pick_cum(u[_ENTRY_PAGE], weights))
    counts = _page_counts(u[_COUNT], u[_COUNT_LENGTH])
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    first = offsets[:-1]
    j = np.arange(offsets[-1]) - np.repeat(first, counts)  # each view's number in its session
    view_seeds = np.repeat(seeds, counts)
    if every_page:
        view_page = pick_cum(uniform(view_seeds, _VIEW + 2 * j), weights)
    else:
        view_page = np.zeros(len(j), dtype=np.intp)
        view_page[offsets[1:] - 1] = pick_cum(uniform(seeds, _VIEW + 2 * (counts - 1)), weights)
    view_page[first] = entry
    gaps = _GAPS[bits(view_seeds, _VIEW + 2 * j + 1) >> np.uint64(52)]
    gaps[first] = 0
    elapsed = np.cumsum(gaps)
    view_time = np.repeat(start - elapsed[first], counts) + elapsed
    return _Batch(host, start, number, first_ms, who.visits.astype(np.int64), pages_before,
                  profile, came, offsets, view_page, view_time,
                  between(u[_RND], 10000, 99999))  # fmt: skip


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


@lru_cache(maxsize=65536)
def _seconds_text(seconds: int) -> str:
    return format_duration(seconds * 1000)


@cache
def _hostname(url_host: str) -> tuple[str, str]:
    """(referrersLogo, session_referrer_hostname) of a host: ``google.co.uk``, ``google``."""
    logo = url_host[4:] if url_host.startswith("www.") else url_host
    labels = logo.split(".")
    second_level = len(labels) >= 3 and labels[-2] in ("co", "com", "org", "net", "ac")
    name = labels[-3] if second_level else labels[-2] if len(labels) >= 2 else labels[0]
    return (".".join(labels[-3:]) if second_level else ".".join(labels[-2:])), name


_MACHINE_STARTS = objects(tuple(f"{server}:" for server in SERVERS))  # machine_id's start
_STATUS = objects(("puppet_offline", "puppet_online"))
_USER_STATUS = objects(("offline", "online"))
_CONSTANT = {"lastEvent": "", "entry_query": "", "exit_query_id": "", "firstMeasurement": "",
             "total_duration": "", "type": "session"}  # fmt: skip


def _rows(batch: _Batch, now: int | None = None) -> tuple[list[list[str]], list[int]]:
    """The 69 columns of the sessions as seen at ``now`` (None: after they ended), in FIELDS
    order (one list of texts each; fields that always agree share a list), and each one's last
    event.

    ``lastEvent`` and ``firstMeasurement`` hold "" here: they are formatted per request.
    """
    site = SITES[batch.host]
    n = len(batch)
    first = batch.offsets[:-1]
    counts = np.diff(batch.offsets)
    if now is None:
        seen = counts
    else:
        seen = np.maximum(np.add.reduceat((batch.view_time <= now).astype(np.int64), first), 1)
    last = first + seen - 1
    end = batch.view_time[last]
    start, number = batch.start, batch.number
    last_event = end + 300 + number % 1700
    if now is None:
        online = np.zeros(n, dtype=bool)
    else:
        online = now - last_event < ONLINE_WINDOW_MS
        last_event = np.minimum(last_event, now)
    durations = np.where(online, np.maximum(0, (now or 0) - start), end - start) // 1000
    duration = _durations(np.where((seen == 1) & ~online, -1, durations))
    urls, titles, _, _ = _site_pages(batch.host)
    entry, exit_ = batch.view_page[first], batch.view_page[last]
    start_text, end_text, number_text = texts(start), texts(end), texts(number)
    starts, ends = start_text.to_pylist(), end_text.to_pylist()
    session_id = joined(".", start_text, number_text)
    # A new visitor's first session is this one: their id is the session's.
    firsts, visitor = starts.copy(), session_id.copy()
    returning = np.flatnonzero(batch.first_ms != start)
    first_ms = batch.first_ms[returning]
    for i, first_text, their in zip(returning.tolist(), text(first_ms),
                                    joined(".", first_ms, number[returning]), strict=True):  # fmt: skip
        firsts[i], visitor[i] = first_text, their
    came, links = batch.came, _links(batch.host)
    visits, pages = small_text(batch.visits), small_text(seen)
    referrer = links.urls[came.url]
    session_referrer = referrer.copy()
    referrer[came.google], session_referrer[came.google] = came.search_url, came.redirect_url
    dated = _array(starts)  # when the referrer was seen: the session's start, if any
    dated[came.url == 0] = ""
    searches = links.terms[came.term].tolist()
    exit_urls, entry_urls = urls[exit_].tolist(), urls[entry].tolist()
    exit_titles = titles[exit_].tolist()
    pages_list = pages.tolist()
    visits_list = visits.tolist()
    profile = profile_texts(batch.profile)
    # the visitor's server and first visit: that visit's start is already text (firsts)
    machine_id = list(map(add, _MACHINE_STARTS[batch.profile[SERVER]].tolist(), firsts))
    values = {
        **profile,
        "duration": duration,
        "status": _by_flag(_STATUS, online),
        "visits_pageviews": _pairs(batch.visits, seen),
        "currentPage": exit_urls,
        "currentTitle": exit_titles,
        "currentVisitDuration": duration,
        "entryPage": entry_urls,
        "entry_root_url": entry_urls,
        "entry_title": titles[entry].tolist(),
        "eventUnixTimestamp": text(last_event),
        "event_id": joined(".", end_text, number_text),
        "exit_root_url": exit_urls,
        "exit_title": exit_titles,
        "first_session_unix_timestamp": firsts,
        "machine_id": machine_id,
        "machine_idx": visitor,
        "number_of_pages_viewed": pages_list,
        "number_visits": visits_list,
        "pages_viewed": pages_list,
        "referrer": referrer.tolist(),
        "referrersLogo": links.logo[came.host].tolist(),
        "rnd": small_text(batch.rnd).tolist(),  # 10000-99999
        "search": searches,
        "session_end_unix_timestamp": ends,
        "session_id": session_id,
        "session_referrer": session_referrer.tolist(),
        "session_referrer_hostname": links.hostname[came.host].tolist(),
        "session_referrer_unix_timestamp": dated.tolist(),
        "session_search": searches,
        "session_start_unix_timestamp": starts,
        "site": [site.host] * n,
        "total_number_visits": visits_list,
        "total_pages_viewed": _numbers_text(batch.pages_before + seen),
        "use_id": visitor,
        "user_status": _by_flag(_USER_STATUS, online),
        "visit_id": session_id,
    }
    blank = {text: [text] * n for text in set(_CONSTANT.values())}
    columns = [values[f] if f in values else blank[_CONSTANT[f]] for f in FIELDS]
    return columns, last_event.tolist()


def _by_flag(texts: np.ndarray, flags: np.ndarray) -> list[str]:
    """``texts[1]`` where the flag is set, ``texts[0]`` elsewhere (one list repeat when none is
    set, as for every finished session)."""
    if not flags.any():
        return [texts[0]] * len(flags)
    return texts[flags.view(np.int8)].tolist()


def _durations(seconds: np.ndarray) -> list[str]:
    """Durations as text from whole seconds (-1: ``s.e.``, a single-event visit)."""
    table = _short_durations()
    found = table[np.minimum(seconds, len(table) - 2)]  # -1: the last, s.e.
    long = np.flatnonzero(seconds >= len(table) - 1)
    found[long] = _array([_seconds_text(s) for s in seconds[long].tolist()])
    return found.tolist()


@cache
def _short_durations() -> np.ndarray:
    """The text of every duration under an hour, by seconds, then ``s.e.``."""
    return objects((*(format_duration(s * 1000) for s in range(3600)), "s.e."))


def _pairs(visits: np.ndarray, pages: np.ndarray) -> list[str]:
    """``visits (pages)`` of each session."""
    first = _first_visits()
    found = first[np.minimum(pages, len(first) - 1)]  # a new visitor's: 1 (pages)
    other = np.flatnonzero((visits != 1) | (pages >= len(first)))
    if len(other):
        found[other] = _array([f"{v} ({p})" for v, p in zip(visits[other].tolist(),
                                                            pages[other].tolist(), strict=True)])  # fmt: skip
    return found.tolist()


@cache
def _first_visits() -> np.ndarray:
    """``1 (pages)`` for sessions of up to 1200 pages."""
    return objects(tuple(f"1 ({pages})" for pages in range(1201)))


def _array(texts: list[str]) -> np.ndarray:
    """The texts as an object array (the same string objects)."""
    return np.fromiter(texts, dtype=object, count=len(texts))


def _numbers_text(values: np.ndarray) -> list[str]:
    """Whole numbers as text (the small ones shared)."""
    if len(values) and values.min() >= 0 and values.max() < 100_000:
        return small_text(values).tolist()
    return text(values)


@dataclass(frozen=True)
class Facts:
    """One session's page views, as generated: what ``page_view_rows`` is made of."""

    day: Day
    index: int
    pages: list[int]  # the site's page index of each page view
    times: list[int]  # epoch ms of each page view

    @property
    def site(self) -> Site:
        return SITES[self.day.host]


def page_view_rows(facts: Facts, now: int | None = None) -> list[tuple[tuple[str, ...], int]]:
    """One row per page view of the session (as seen at ``now``), oldest first."""
    session = (
        facts.day.row_at(facts.index, now)[0] if now is not None else facts.day.row(facts.index)
    )
    seen = int(session[FIELD_INDEX["number_of_pages_viewed"]])
    urls, titles, _, _ = _site_pages(facts.day.host)
    number = facts.day.numbers[facts.index]
    i = FIELD_INDEX
    rows = []
    for k in range(seen):
        page, at = facts.pages[k], facts.times[k]
        stay = facts.times[k + 1] - at if k + 1 < seen else None
        values = list(session)
        values[i["currentPage"]] = values[i["exit_root_url"]] = urls[page]
        values[i["currentTitle"]] = values[i["exit_title"]] = titles[page]
        values[i["eventUnixTimestamp"]] = str(at)
        values[i["event_id"]] = f"{at}.{number}"
        values[i["duration"]] = values[i["currentVisitDuration"]] = format_duration(stay)
        values[i["type"]] = "pageview"
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
        day_seed = np.array([seed_of("day", host, day.isoformat())], np.uint64)
        weights, count, visiting = _day_plan(float(uniform(day_seed, 0)[0]), host, epoch_day)
        pools = tuple(pool for pool, _ in visiting)
        pool = np.concatenate(
            [np.full(len(rows), k) for k, (_, rows) in enumerate(visiting)] or [[]]
        )
        rows = np.concatenate([rows for _, rows in visiting] or [[]]).astype(np.intp)
        pool = pool.astype(np.intp)
        total = max(count, len(rows))
        seeds = bits(day_seed, 16 + np.arange(total))
        cumulative = np.cumsum(weights)
        u = draws(seeds, _HOUR, _MINUTE, _NUMBER)
        hour = np.searchsorted(cumulative, u[_HOUR] * cumulative[-1], side="right")
        starts = self.start_ms + hour * HOUR_MS + between(u[_MINUTE], 0, HOUR_MS)
        numbers = between(u[_NUMBER], 10**7, 2**31)
        visits = np.ones(total, dtype=np.int64)
        end = 0
        for regulars, mine in visiting:  # each pool's regulars, one block after another
            at = np.arange(end, end + len(mine))
            end += len(mine)
            visits[at] = regulars.visits[epoch_day - regulars.origin, mine]
            numbers[at] = regulars.numbers[mine]
            first = regulars.first_day[mine] == epoch_day
            starts[at[first]] = regulars.first_ms[mine[first]]
        owner = np.full(total, -1, dtype=np.intp)
        owner[: len(rows)] = pool
        row = np.full(total, -1, dtype=np.intp)
        row[: len(rows)] = rows
        order = np.argsort(starts)
        if (np.diff(starts[order]) == 0).any():  # sessions starting the same ms: by seed
            order = np.lexsort((seeds, starts))
        self._start_ms = starts[order]
        self.starts: list[int] = self._start_ms.tolist()
        self.seeds = seeds[order]
        self._numbers = numbers[order]
        self._who = _Visitors(pools, owner[order], row[order], visits[order])
        self._columns: list[list[str]] | None = None  # every finished value, once built
        self._events: list[int] = []  # and the epoch ms of each session's last event
        self._rows: dict[int, tuple[tuple[str, ...], int]] = {}
        self.written: object = None  # render.py's text of the built rows (one way to write dates)
        self._lock = Lock()
        self._build_lock = Lock()

    def __len__(self) -> int:
        return len(self.starts)

    @cached_property
    def numbers(self) -> list[int]:
        """The visitor number of each session (its id's second part), when first asked."""
        return self._numbers.tolist()

    @cached_property
    def regulars(self) -> list[Regular | None]:
        """The regular visitor of each session (None: a new visitor), when first asked."""
        found: list[Regular | None] = [None] * len(self)
        who = self._who
        owners, rows = who.pool.tolist(), who.row.tolist()
        for k in np.flatnonzero(who.pool >= 0).tolist():
            found[k] = who.pools[owners[k]].regulars[rows[k]]
        return found

    @property
    def is_built(self) -> bool:
        """True once every row of the day is made (:meth:`build`)."""
        return self._columns is not None

    def columns(self) -> list[list[str]]:
        """Every finished value of the day: 69 columns in FIELDS order, sessions in time order
        (built first if need be); fields that always agree share one list. Read only."""
        if self._columns is None:
            self.build()
        return self._columns  # type: ignore[return-value]

    def last_events(self) -> list[int]:
        """The epoch ms of each finished session's last event, in the order of :meth:`columns`
        (built first if need be). Read only."""
        if self._columns is None:
            self.build()
        return self._events

    def all_finished(self, indexes: range, now: int) -> bool:
        """True when every session of ``indexes`` (some) is finished at ``now`` (built first)."""
        return max(self.last_events()[indexes.start : indexes.stop]) + ONLINE_WINDOW_MS <= now

    @property
    def built(self) -> int:
        """How many of the day's rows are held in memory."""
        return len(self.starts) if self._columns is not None else len(self._rows)

    def _batch(self, indexes: np.ndarray, every_page: bool = True) -> _Batch:
        starts = self._start_ms[indexes]
        return _generate(self.host, starts, self.seeds[indexes], self._who[indexes], every_page)

    def build(self) -> None:
        """Generate every value of the day at once (vectorised)."""
        with self._build_lock:
            if self._columns is None:
                columns, events = _rows(self._batch(np.arange(len(self)), every_page=False))
                self._events = events  # before _columns: readers check _columns first
                self._columns = columns
                self._rows = {}

    def facts(self, i: int) -> Facts:
        batch = self._batch(np.array([i]))
        return Facts(self, i, batch.view_page.tolist(), batch.view_time.tolist())

    def row(self, i: int) -> tuple[str, ...]:
        """The finished session's 69 values (lastEvent/firstMeasurement left empty)."""
        return tuple(self._finished(i)[0])

    def row_and_event(self, i: int) -> tuple[tuple[str, ...], int]:
        """:meth:`row` and the epoch ms of the session's last event."""
        values, last_event = self._finished(i)
        return tuple(values), last_event

    def _finished(self, i: int) -> tuple[Sequence[str], int]:
        columns = self._columns
        if columns is not None:
            return Row(columns, i), self._events[i]
        found = self._rows.get(i)
        if found is None:
            if len(self._rows) >= SINGLE_ROWS:
                self.build()
                return self._finished(i)
            columns, events = _rows(self._batch(np.array([i])))
            with self._lock:
                found = self._rows.setdefault(i, (_first_row(columns), events[0]))
        return found

    def row_at(self, i: int, now: int) -> tuple[Sequence[str], int, bool]:
        """The row as seen at ``now`` (its 69 values, read like a tuple), its last event, and
        False when it was rebuilt live (a session still running or just ended at ``now``)
        rather than the finished row."""
        values, last_event = self._finished(i)
        if last_event + ONLINE_WINDOW_MS > now:
            columns, events = _rows(self._batch(np.array([i])), now)
            return _first_row(columns), events[0], False
        return values, last_event, True

    def index_between(self, low_ms: int, high_ms: int) -> range:
        """Indexes of the sessions that start in [low_ms, high_ms), oldest first."""
        return range(
            bisect.bisect_left(self.starts, low_ms), bisect.bisect_left(self.starts, high_ms)
        )

    def find(self, start: int, number: int) -> int | None:
        """The index of the session ``<start>.<number>``, or None."""
        for i in self.index_between(start, start + 1):
            if self.numbers[i] == number:
                return i
        return None

    def visits_of(self, number: int) -> list[int]:
        """Indexes of the sessions of the regular visitor ``number``."""
        return [i for i, r in enumerate(self.regulars) if r is not None and r.number == number]


class Row(Sequence[str]):
    """A built day's session, its 69 values read from the day's columns when asked (the row is
    read like a tuple; ``tuple(row)`` makes one)."""

    __slots__ = ("_columns", "_index")

    def __init__(self, columns: list[list[str]], index: int) -> None:
        self._columns = columns
        self._index = index

    def __getitem__(self, key):  # type: ignore[override]
        if key.__class__ is slice:
            return tuple([column[self._index] for column in self._columns[key]])
        return self._columns[key][self._index]

    def __len__(self) -> int:
        return len(self._columns)

    def __iter__(self) -> Iterator[str]:
        return iter([column[self._index] for column in self._columns])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(tuple(self))


def _first_row(columns: list[list[str]]) -> tuple[str, ...]:
    return tuple([column[0] for column in columns])


def _day_plan(
    u: float, host: str, epoch_day: int
) -> tuple[list[float], int, list[tuple[_Pool, np.ndarray]]]:
    """The day's hourly weights, its number of sessions and the regulars who visit that day."""
    site = SITES[host]
    weights = _hour_weights(host, epoch_day)
    day = utc_day(epoch_day * DAY_MS)
    season = 1 + 0.08 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365.25)
    expected = site.daily_sessions * season * sum(weights) / _weekday_mean_weight(host)
    count = max(1, int(expected * (0.92 + 0.16 * float(u))))
    return weights, count, _regulars_on(host, epoch_day)


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
            len(_DAYS) > 1 and sum(d.built for d in _DAYS.values()) > budget
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
