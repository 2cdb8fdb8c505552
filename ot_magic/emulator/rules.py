"""The emulator's own parameter rules, written from the vendor's reference page as the separate
Java server behind it would read its parameters: nothing here comes from the client's table, so
a wrong guess on one side shows up as a failing test instead of being shared.

    >>> from ot_magic.emulator.rules import parse_params
    >>> parse_params("sessions", {"limit": " 200", "timezone": "GMT+1", "foo": "bar"})
    {'limit': 200, 'timeZone': 'GMT+1'}
    >>> parse_params("sessions", {"limit": "1001"})
    Traceback (most recent call last):
    ...
    ot_magic.emulator.rules.ApiFailure: limit out of range (1-1000): 1001

What the page says is followed as written (endpoints, defaults, ``limit`` at most 1000 for
sessions and 10000 for a visitor's sessions, ``date`` as ``yyyy-MM-dd``, ``period`` as ``3d``,
``2w``, ``4m``, comma-separated lists "with or without spaces", ``timeZone``/``timezone``,
``uid``/``filterByMachineId``, ``showColumns`` failing on a column that does not exist,
``filtered_company`` as a column). Where it is silent, the rules are those of a plain servlet:

- A value is trimmed; an empty value is no value (the default applies). Unknown names are
  ignored, as ``request.getParameter`` ignores them.
- Numbers are Java ``int``/``long`` (``Integer.parseInt`` after trimming): anything else answers
  ``For input string: "x"``. ``limit`` below 1 or above the endpoint's maximum answers
  ``limit out of range (1-1000): 0``; ``maxEventThreshold``/``maxDuration`` take any ``int``
  (a negative one simply keeps nothing); ``expires`` any positive ``int``.
- Booleans are ``Boolean.parseBoolean``: ``true`` in any case is true, anything else false.
- ``date`` is ``SimpleDateFormat("yyyy-MM-dd")`` with ``setLenient(false)``: month 13 or
  February 30 answer ``Unparseable date: "2011-02-30"``; like ``DateFormat.parse(String)``, text
  after a whole date is ignored (``2011-11-16T10:00``); years past 9999 lie beyond the data.
- ``period``: a count of at least 1 (a Java ``int``) and ``d``, ``w`` or ``m``.
- ``timeZone``: Java's ids (``java.time.ZoneId.SHORT_IDS``, the fixed ``EST``/``MST``/``HST``,
  ``GMT+1``/``UTC-05:30``, the tz database's region ids); another id answers
  ``Unknown time zone: x`` rather than silently meaning GMT as ``TimeZone.getTimeZone`` would.
- ``locale``: ``language[_COUNTRY|_Script[_COUNTRY]]`` as ``new Locale`` reads it (``en_US``,
  ``sr_Latn_RS``, ``zz``); a language without resources formats like the root locale (English).
  Only letters, digits, ``_`` and ``-`` are taken (``Invalid locale: x``).
- ``dateFormat``: a ``SimpleDateFormat`` pattern; a letter Java does not know answers
  ``Illegal pattern character 'b'``, an open quote ``Unterminated quote``.
- Lists (``site``, ``includeCountryCode``, ``showColumns``, ``search``, ``excludeIn*``) split on
  commas, trim each item and skip empty ones (no item at all: no value). Words may hold any character (``AT&T``,
  ``o'reilly``, ``utm_source=google``); sites are compared in lower case.
- ``includeCountryCode`` takes GeoIP country codes (ISO 3166 alpha-2 in any case, ``EU``, ``AP``,
  ``A1`` anonymous proxy, ``A2`` satellite, ``O1`` other, and ``UK`` for ``GB``); another code
  answers ``Unknown country code: XX``.
- Ids (``session_id``, ``uid``, ``filterByVisitId``) are ``<long>.<long>``; a part that is no
  ``long`` answers ``For input string: "x"``. ``nextToken`` is read in ``query.py``.
- ``dataType`` is one of ``json``, ``html``, ``jsondatatable``, ``jsonjqgrid``, ``csv``
  (``Invalid dataType: x``); ``orderCriteria`` is a column, then ``asc`` or ``desc``.

Dates are formatted here too (:func:`format_date`), as the server's JVM formats them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, available_timezones

from ..schema import FIELDS

ENDPOINT_PATHS: dict[str, str] = {
    "sessions": "views/c_view_session.jsp",
    "sessions_by_user": "views/c_view_sessions_by_user.jsp",
    "page_views": "visitors-online-email/cassandraPageViews.jsp",
    "login": "management/login_user.jsp",
}
CREDENTIALS = ("login", "password", "ticketId")
FILTERED_COMPANY = "filtered_company"
COLUMNS: frozenset[str] = frozenset({*FIELDS, FILTERED_COMPANY})
DATA_TYPES = ("json", "html", "jsondatatable", "jsonjqgrid", "csv")
JAVA_INT_MAX = 2**31 - 1
JAVA_LONG_MAX = 2**63 - 1


class ApiFailure(Exception):
    """An answer of the form ``Error: java.lang.RuntimeException: <message>``."""

    def body(self) -> str:
        return f"Error: java.lang.RuntimeException: {self}"


class Period(NamedTuple):
    """A count and a unit: ``d`` (days), ``w`` (weeks) or ``m`` (months)."""

    count: int
    unit: str


# --------------------------------------------------------------------------- readers


def _java_int(text: str, limit: int = JAVA_INT_MAX) -> int:
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", text) or not -limit - 1 <= int(text) <= limit:
        raise ApiFailure(f'For input string: "{text}"')
    return int(text)


def _int(low: int | None = None, high: int | None = None) -> Callable[[str, str], int]:
    def read(name: str, text: str) -> int:
        number = _java_int(text)
        if (low is not None and number < low) or (high is not None and number > high):
            raise ApiFailure(f"{name} out of range ({low}-{high or JAVA_INT_MAX}): {text}")
        return number

    return read


def _bool(name: str, text: str) -> bool:
    return text.lower() == "true"


def _text(name: str, text: str) -> str:
    return text


def _date(name: str, text: str) -> dt.date:
    match = re.match(r"([0-9]{1,9})-([0-9]{1,9})-([0-9]{1,9})(?![0-9])", text)
    if match is None:
        raise ApiFailure(f'Unparseable date: "{text}"')
    year, month, day = (int(part) for part in match.groups())
    if year > 9999 and 1 <= month <= 12 and 1 <= day <= 31:
        return dt.date.max  # a real date, past every session
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ApiFailure(f'Unparseable date: "{text}"') from None


def _period(name: str, text: str) -> Period:
    match = re.fullmatch(r"([0-9]{1,10})([dwm])", text)
    if match is None or not 1 <= int(match.group(1)) <= JAVA_INT_MAX:
        raise ApiFailure(f"Invalid period: {text} (use a count and d, w or m, such as 3d)")
    return Period(int(match.group(1)), match.group(2))


def _items(text: str) -> tuple[str, ...]:
    return tuple(item for item in (part.strip() for part in text.split(",")) if item)


def _words(name: str, text: str) -> tuple[str, ...]:
    return _items(text)


def _sites(name: str, text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(site.lower() for site in _items(text)))


# GeoIP's codes beside ISO 3166: Europe, Asia/Pacific, anonymous proxy, satellite, other.
GEOIP_CODES = frozenset({"EU", "AP", "A1", "A2", "O1"})
COUNTRY_ALIASES = {"UK": "GB"}


@cache
def country_codes() -> frozenset[str]:
    """Every code ``includeCountryCode`` takes (ISO 3166 alpha-2, GeoIP's own, ``UK``)."""
    import pycountry

    return frozenset({c.alpha_2 for c in pycountry.countries} | GEOIP_CODES | set(COUNTRY_ALIASES))


def _countries(name: str, text: str) -> tuple[str, ...]:
    codes = tuple(code.upper() for code in _items(text))
    for code in codes:
        if code not in country_codes():
            raise ApiFailure(f"Unknown country code: {code}")
    return codes


def _columns(name: str, text: str) -> tuple[str, ...]:
    columns = _items(text)
    for column in columns:
        if column not in COLUMNS:
            raise ApiFailure(f"Column not found: {column}")
    return columns


def _order(name: str, text: str) -> str:
    column, *direction = text.split()
    if column not in COLUMNS:
        raise ApiFailure(f"Column not found: {column}")
    if len(direction) > 1 or (direction and direction[0].lower() not in ("asc", "desc")):
        raise ApiFailure(f"Invalid orderCriteria: {text} (use <column> asc or <column> desc)")
    return " ".join([column, *(d.lower() for d in direction)])


def _dotted_id(name: str, text: str) -> str:
    parts = text.split(".")
    if len(parts) != 2:
        raise ApiFailure(f"Invalid {name}: {text} (use <epoch ms>.<number>)")
    for part in parts:
        _java_int(part, JAVA_LONG_MAX)
    return text


def _zone(name: str, text: str) -> str:
    try:
        java_zone(text)
    except ValueError:
        raise ApiFailure(f"Unknown time zone: {text}") from None
    return text


def _locale(name: str, text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+){0,3}", text):
        raise ApiFailure(f"Invalid locale: {text}")
    return text


_PATTERN_LETTERS = frozenset("GyYMLwWDdFEuaHkKhmsSzZX")


def _date_format(name: str, text: str) -> str:
    unquoted = re.sub(r"'[^']*'", "", text)
    if "'" in unquoted:
        raise ApiFailure("Unterminated quote")
    for char in unquoted:
        if char.isascii() and char.isalpha() and char not in _PATTERN_LETTERS:
            raise ApiFailure(f"Illegal pattern character '{char}'")
    return text


def _data_type(name: str, text: str) -> str:
    if text not in DATA_TYPES:
        raise ApiFailure(f"Invalid dataType: {text} (use {', '.join(DATA_TYPES)})")
    return text


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rule:
    """How one parameter is read (``read(name, text)``) and its default as request text."""

    read: Callable[[str, str], Any]
    default: str | None = None


_TOKEN = Rule(_text)  # read against the request's range in query.py
_COMMON = {
    "site": Rule(_sites, "www.opentracker.net"),
    "locale": Rule(_locale, "en_US"),
    "ignoreLocale": Rule(_bool, "false"),
    "timeZone": Rule(_zone, "EST"),
    "dataType": Rule(_data_type, "json"),
    "dateFormat": Rule(_date_format),
    "jsoncallback": Rule(_text),
}
RULES: dict[str, dict[str, Rule]] = {
    "sessions": {
        **_COMMON,
        "session_id": Rule(_dotted_id),
        "date": Rule(_date),
        "period": Rule(_period, "1d"),
        "limit": Rule(_int(1, 1000), "40"),
        "nextToken": _TOKEN,
        "includeCountryCode": Rule(_countries),
        "excludeInUrl": Rule(_words),
        "excludeInFilteredCompany": Rule(_words),
        "maxEventThreshold": Rule(_int()),
        "maxDuration": Rule(_int()),
        "removeIsp": Rule(_bool, "false"),
        "metaCsv": Rule(_bool, "true"),
        "unknownCity": Rule(_text),
        "unknownRegion": Rule(_text),
        "mapEuToCountryDomain": Rule(_bool, "false"),
        "gbCountryCode": Rule(_text),
        "showColumns": Rule(_columns),
        "filterByCurrentTitle": Rule(_text),
        "orderCriteria": Rule(_order),
        "search": Rule(_words),
        "useOr": Rule(_bool, "false"),
    },
    "sessions_by_user": {
        **_COMMON,
        "uid": Rule(_dotted_id),
        "date": Rule(_date),
        "limit": Rule(_int(1, 10000), "40"),
        "nextToken": _TOKEN,
    },
    "page_views": {**_COMMON, "filterByVisitId": Rule(_dotted_id)},
    "login": {"expires": Rule(_int(1), "60")},
}
ALIASES: dict[str, dict[str, str]] = {
    "sessions": {"timezone": "timeZone"},
    "sessions_by_user": {"filterByMachineId": "uid", "timezone": "timeZone"},
    "page_views": {"timezone": "timeZone"},
    "login": {},
}


def endpoint_of(path: str) -> str | None:
    """``views/c_view_session.jsp`` → ``sessions`` (None for a path the API does not have)."""
    return next((name for name, known in ENDPOINT_PATHS.items() if known == path), None)


def parse_params(endpoint: str, raw: Mapping[str, str]) -> dict[str, Any]:
    """The endpoint's parameters read from request text, credentials and unknown names left out;
    :class:`ApiFailure` for a value the server cannot read."""
    rules, aliases = RULES[endpoint], ALIASES[endpoint]
    values: dict[str, Any] = {}
    for given, text in raw.items():
        name = aliases.get(given, given)
        rule, text = rules.get(name), text.strip()
        if rule is not None and text:
            read = rule.read(name, text)
            if read != ():  # a list of nothing but commas and spaces is no value
                values[name] = read
    if "dateFormat" in values:
        _check_pattern(values["dateFormat"], value(values, "locale", endpoint))
    return values


def value(values: Mapping[str, Any], name: str, endpoint: str = "sessions") -> Any:
    """The given value, else the endpoint's default, else None."""
    return values[name] if name in values else _default(endpoint, name)


@cache
def _default(endpoint: str, name: str) -> Any:
    rule = RULES[endpoint].get(name)
    return None if rule is None or rule.default is None else rule.read(name, rule.default)


# --------------------------------------------------------------------------- Java time

# java.time.ZoneId.SHORT_IDS, but the three that java.util.TimeZone keeps as fixed offsets.
_SHORT_IDS = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo", "AST": "America/Anchorage", "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka", "CAT": "Africa/Harare", "CNT": "America/St_Johns",
    "CST": "America/Chicago", "CTT": "Asia/Shanghai", "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris", "IET": "America/Indiana/Indianapolis", "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan", "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi", "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
}  # fmt: skip
_FIXED_HOURS = {"EST": -5, "MST": -7, "HST": -10}
_OFFSET_ID = re.compile(r"(?:GMT|UTC|UT)([+-])([0-9]{1,2})(?::?([0-9]{2}))?")


@cache
def java_zone(name: str) -> dt.tzinfo:
    """The zone a Java server reads from ``name``; ``ValueError`` for an id Java does not know.

    >>> java_zone("GMT+1"), java_zone("EST").utcoffset(None)
    (datetime.timezone(datetime.timedelta(seconds=3600), 'GMT+01:00'), datetime.timedelta(days=-1, seconds=68400))
    """
    if name in _FIXED_HOURS:
        return dt.timezone(dt.timedelta(hours=_FIXED_HOURS[name]), name)
    if name in ("GMT", "UTC", "UT", "Z"):
        return dt.timezone.utc
    match = _OFFSET_ID.fullmatch(name)
    if match:
        sign, hours, minutes = match.groups()
        minutes_total = int(hours) * 60 + int(minutes or 0)
        if minutes_total > 18 * 60 or int(minutes or 0) > 59:
            raise ValueError(name)
        label = f"GMT{sign}{minutes_total // 60:02d}:{minutes_total % 60:02d}"
        signed = -minutes_total if sign == "-" else minutes_total
        return dt.timezone(dt.timedelta(minutes=signed), label)
    region = _SHORT_IDS.get(name, name)
    if region in _regions():
        return ZoneInfo(region)
    raise ValueError(name)


@cache
def _regions() -> frozenset[str]:
    return frozenset(available_timezones())


API_DATE_PATTERN = "MMM dd hh:mm a"  # the sample's "Nov 17 12:44 AM"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=64)
def _babel_locale(locale: str) -> Any:
    """babel's locale for a Java locale id; the root locale (English) when babel has none."""
    from babel import Locale, UnknownLocaleError

    for candidate in (locale, locale.split("_")[0]):
        try:
            return Locale.parse(candidate.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return Locale("en")


_PIECE = re.compile(r"'((?:[^']|'')*)'|([A-Za-z])\2*|[^A-Za-z']+")
_NUMBERS: dict[str, Callable[[dt.datetime], int]] = {
    "y": lambda m: m.year, "d": lambda m: m.day, "D": lambda m: m.timetuple().tm_yday,
    "F": lambda m: (m.day - 1) // 7 + 1, "H": lambda m: m.hour, "k": lambda m: m.hour or 24,
    "K": lambda m: m.hour % 12, "h": lambda m: m.hour % 12 or 12, "m": lambda m: m.minute,
    "s": lambda m: m.second, "S": lambda m: m.microsecond // 1000, "u": lambda m: m.isoweekday(),
}  # fmt: skip
# Text fields: the LDML field babel writes for Java's letter repeated ``count`` times.
_TEXTS: dict[str, Callable[[int], str]] = {
    "M": lambda n: "MMM" if n == 3 else "MMMM", "L": lambda n: "LLL" if n == 3 else "LLLL",
    "E": lambda n: "EEE" if n < 4 else "EEEE", "z": lambda n: "z" if n < 4 else "zzzz",
    "a": lambda n: "a", "G": lambda n: "G", "Z": lambda n: "Z",
}  # fmt: skip


def _java_format(moment: dt.datetime, pattern: str, locale: Any) -> str:
    """``SimpleDateFormat.format``: a number field is padded with zeros to its letter count
    (``dddd`` → ``0016``, ``yy`` alone keeps two digits), a text field is short below four
    letters and long from four; week fields come from the locale's calendar (via babel)."""
    from babel.dates import format_datetime

    out = []
    for piece in _PIECE.finditer(pattern):
        quoted, letter = piece.group(1), piece.group(2)
        count = len(piece.group(0))
        if quoted is not None:
            out.append(quoted.replace("''", "'") if quoted else "'")
        elif letter is None:
            out.append(piece.group(0))
        elif letter in _NUMBERS or letter in "wWY" or (letter in "ML" and count < 3):
            if letter in _NUMBERS:
                number = _NUMBERS[letter](moment)
            else:
                number = int(format_datetime(moment, letter.replace("L", "M"), locale=locale))
            if letter in "yY" and count == 2:
                out.append(f"{number % 100:02d}")
            else:
                out.append(str(number).zfill(count))
        elif letter in _TEXTS:
            out.append(format_datetime(moment, _TEXTS[letter](count), locale=locale))
        elif letter == "X" and count <= 3:
            out.append(format_datetime(moment, "X" * count, locale=locale))
        else:
            raise ValueError(f"{letter * count} cannot be written")
    return "".join(out)


@lru_cache(maxsize=8192)  # the dates of a few warm 1000-row answers
def format_date(
    epoch_ms: int, pattern: str = API_DATE_PATTERN, zone: str = "EST", locale: str = "en_US"
) -> str:
    """Epoch ms as ``new SimpleDateFormat(pattern, locale)`` in ``zone`` writes it.

    >>> format_date(1321472680399), format_date(1321472680399, "yyyy-dd-MM", "GMT+1", "de_DE")
    ('Nov 16 02:44 PM', '2011-16-11')
    """
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, java_zone(zone))
    babel_locale = _babel_locale(locale)
    if pattern == API_DATE_PATTERN and babel_locale.language == "en":
        noon = "AM" if moment.hour < 12 else "PM"
        return f"{_MONTHS[moment.month - 1]} {moment.day:02d} {moment.hour % 12 or 12:02d}:{moment.minute:02d} {noon}"
    return _java_format(moment, pattern, babel_locale)


def _check_pattern(pattern: str, locale: str) -> None:
    """Refuse, before any row, a pattern the formatter cannot write (as ``applyPattern`` would)."""
    try:
        format_date(1321472680399, pattern, "EST", locale)
    except Exception:  # babel's refusals have no common class
        raise ApiFailure(f"Illegal pattern: {pattern}") from None
