"""The one table of every API parameter: name, kind, default, limits and help.

The cell parser, :class:`~ot_magic.request.SessionsRequest`, the panel's controls, the help text
and the emulator's checks all read :data:`PARAMS`, so a parameter is added here and only here.

    >>> from ot_magic.params import PARAMS, params_for
    >>> PARAMS["limit"].parse("200")
    200
    >>> PARAMS["period"].parse("3d")
    Period(count=3, unit='d')
    >>> PARAMS["includeCountryCode"].render(PARAMS["includeCountryCode"].parse("us, gb"))
    'US,GB'
    >>> params_for("sessions_by_user")["limit"].maximum
    10000
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, NamedTuple

from .errors import ParameterError
from .schema import FIELDS


class Period(NamedTuple):
    """A count and a unit: ``d`` (days), ``w`` (weeks) or ``m`` (months)."""

    count: int
    unit: str

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


@dataclass(frozen=True)
class Kind:
    """How values of one kind are read from text (or Python values) and written back as text."""

    name: str
    describe: Callable[[Param], str]
    parse: Callable[[Param, Any], Any]
    render: Callable[[Param, Any], str] = lambda param, value: str(value)


@dataclass(frozen=True)
class Param:
    """One parameter of the API.

    ``user`` parameters may be written in cell text and shown in the panel; the others
    (credentials, output format, JSONP callback) are set by the client only.
    """

    name: str
    kind: Kind
    help: str
    default: str | None = None
    group: str = "advanced"  # "common", "filter", "display", "advanced", "auth", "internal"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    user: bool = True
    secret: bool = False
    synonyms: tuple[str, ...] = ()  # everyday words a user may try first: "country", "keyword"
    endpoints: frozenset[str] = field(default_factory=lambda: frozenset({"sessions"}))

    @property
    def accepted(self) -> str:
        """What this parameter accepts, in words: ``'a whole number from 1 to 1000'``."""
        return self.kind.describe(self)

    def parse(self, value: Any) -> Any:
        """Validate ``value`` (text or a Python value) into its normal Python form."""
        if _has_lone_surrogate(value):
            self.fail(value, _VALID_UNICODE)
        if isinstance(value, str):
            value = value.strip()
            if _CONTROL.search(value):
                self.fail(value)
        try:
            return self.kind.parse(self, value)
        except ParameterError:
            raise
        except (ValueError, TypeError, LookupError):
            self.fail(value)

    def accepts(self, value: Any) -> bool:
        """Whether :meth:`parse` takes ``value``: ``PARAMS["limit"].accepts("0")`` is False."""
        try:
            self.parse(value)
        except ParameterError:
            return False
        return True

    def render(self, value: Any) -> str:
        """The normal Python form as the API's text: ``date(2011, 11, 16)`` → ``'2011-11-16'``."""
        return self.kind.render(self, value)

    def render_cell(self, value: Any) -> str:
        """The value as it is written in cell text (lists get a space after each comma)."""
        text = self.render(value)
        return text.replace(",", ", ") if self.kind.name in _LIST_KINDS else text

    def fail(self, got: Any, accepted: str | None = None) -> None:
        """Raise the one-line :class:`ParameterError` for this parameter."""
        shown = None if self.secret else ("" if got is None else got)
        if isinstance(shown, str):  # a value smuggling a credential: not echoed back
            shown = _CREDENTIAL_VALUE.sub(r"\1=***", shown)
        raise ParameterError(self.name, accepted or self.accepted, shown)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CREDENTIAL_VALUE = re.compile(r"\b(password|ticketId)\s*=[^&]*", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^(\d{1,4})([dwm])$")
_DOTTED_ID = re.compile(r"^\d{1,19}\.\d{1,19}$")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?$")
# language, then optionally script, region and variant: en, en_US, sr_Latn_RS, en_US_POSIX
_LOCALE = re.compile(
    r"^[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_(?:[A-Z]{2}|\d{3}))?(?:_[A-Za-z0-9]{2,8})?$"
)
_VALID_UNICODE = (
    "valid Unicode text (it holds a lone surrogate, as bytes decoded with"
    " errors='surrogateescape' do)"
)
# GeoIP's own codes beside ISO 3166: Europe, Asia/Pacific, anonymous proxy, satellite provider,
# other, and the United Kingdom's ccTLD.
GEOIP_CODES = ("EU", "AP", "A1", "A2", "O1", "UK")
# The sessions table's columns, and the one the reference page's Note says filters add.
COLUMN_NAMES: tuple[str, ...] = (*FIELDS, "filtered_company")
_JAVA_PATTERN_LETTERS = set("GyYMLwWDdFEuaHkKhmsSzZX")
_LIST_KINDS = {"words", "countries", "columns", "sites"}


def _has_lone_surrogate(value: Any) -> bool:
    """Whether text (or an item of a list of text) cannot be encoded as UTF-8 for the form."""
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _split(value: Any) -> list[str]:
    if isinstance(value, (Mapping, bytes, bytearray)):  # list() would take keys or byte numbers
        raise TypeError
    if isinstance(value, str):
        items = value.split(",")
    else:  # a list from a variable: an item holding a comma would become two on the way back
        items = [str(item) for item in value]
        if any("," in item for item in items):
            raise ValueError("a comma inside one item")
    items = [item.strip() for item in items]
    if not items or any(not item or _CONTROL.search(item) for item in items):
        raise ValueError("empty item, or a line break or control character in one")
    return items


def _suggest(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    if not close:
        lower = {k.lower(): k for k in known}
        close = [lower[word.lower()]] if word.lower() in lower else []
    return f" (did you mean {close[0]}?)" if close else ""


def _parse_text(param: Param, value: Any) -> str:
    # '&', '=' and quotes are kept: the value travels encoded in a form body, where it cannot
    # become another parameter (a title may well read "name = value").
    if not isinstance(value, str) or not value:
        raise ValueError
    if param.choices and value not in param.choices:
        raise ValueError
    if param.maximum is not None and len(value) > param.maximum:
        raise ValueError
    return value


def _describe_text(param: Param) -> str:
    if param.choices:
        return "one of " + ", ".join(param.choices)
    return "one line of text" + (
        f" of at most {param.maximum} characters" if param.maximum is not None else ""
    )


def _parse_int(param: Param, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, str):
        if not re.fullmatch(r"[+-]?\d{1,12}", value):
            raise ValueError
        value = int(value)
    if not isinstance(value, int):
        raise TypeError
    if abs(value) >= 10**12:  # at most 12 digits, from a variable as from text
        raise ValueError
    if (param.minimum is not None and value < param.minimum) or (
        param.maximum is not None and value > param.maximum
    ):
        raise ValueError
    return value


def _describe_int(param: Param) -> str:
    if param.minimum is not None and param.maximum is not None:
        return f"a whole number from {param.minimum} to {param.maximum}"
    if param.minimum is not None:
        return f"a whole number of at least {param.minimum}"
    return "a whole number"


def _parse_bool(param: Param, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError


def _parse_date(param: Param, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        return dt.date.fromisoformat(value)
    raise ValueError


def _parse_period(param: Param, value: Any) -> Period:
    if isinstance(value, tuple) and len(value) == 2:
        value = f"{value[0]}{value[1]}"
    match = _PERIOD.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError
    count = int(match.group(1))
    if not param.minimum <= count <= param.maximum:
        raise ValueError
    return Period(count, match.group(2))


def _parse_dotted_id(param: Param, value: Any) -> str:
    if not isinstance(value, str) or not _DOTTED_ID.match(value):
        raise ValueError
    return value


def _parse_words(param: Param, value: Any) -> tuple[str, ...]:
    return tuple(_split(value))  # AT&T, o'reilly, utm_source=google: all kept as typed


def _parse_sites(param: Param, value: Any) -> tuple[str, ...]:
    sites = _split(value)
    for site in sites:
        if not _HOST.match(site):
            raise ValueError
    return tuple(site.lower() for site in sites)


def _parse_countries(param: Param, value: Any) -> tuple[str, ...]:
    codes = tuple(code.upper() for code in _split(value))
    known = country_codes()
    for code in codes:
        if code not in known:
            param.fail(code, param.accepted + ", such as US, GB" + _suggest(code, known))
    return codes


def _parse_columns(param: Param, value: Any) -> tuple[str, ...]:
    columns = tuple(_split(value))
    for column in columns:
        if column not in COLUMN_NAMES:
            param.fail(column, param.accepted + _suggest(column, COLUMN_NAMES))
    return columns


def _parse_order(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    parts = value.split()
    if not 1 <= len(parts) <= 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise ValueError
    if parts[0] not in FIELDS:  # filtered_company exists only with some filters: not sortable
        param.fail(value, param.accepted + _suggest(parts[0], FIELDS))
    return " ".join([parts[0], *(p.lower() for p in parts[1:])])


def _parse_zone(param: Param, value: Any) -> str:
    from .javatime import java_zone, zone_ids

    if not isinstance(value, str):
        raise TypeError
    try:
        java_zone(value)
    except ValueError:
        param.fail(value, param.accepted + _suggest(value, zone_ids()))
    return value


def _parse_locale(param: Param, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    if not _LOCALE.match(value):
        param.fail(value, param.accepted + _suggest(value, known_locales()))
    return value


def _parse_java_pattern(param: Param, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError
    unquoted = re.sub(r"'[^']*'", "", value)
    if "'" in unquoted or any(c.isalpha() and c not in _JAVA_PATTERN_LETTERS for c in unquoted):
        raise ValueError
    return value


def _parse_secret(param: Param, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError
    return value


def _join(param: Param, value: Any) -> str:
    return ",".join(value)


TEXT = Kind("text", _describe_text, _parse_text)
INT = Kind("int", _describe_int, _parse_int)
BOOL = Kind("bool", lambda p: "true or false", _parse_bool, lambda p, v: "true" if v else "false")
DATE = Kind("date", lambda p: "a date as yyyy-MM-dd, such as 2011-11-16", _parse_date,
            lambda p, v: v.isoformat())  # fmt: skip
PERIOD = Kind(
    "period",
    lambda p: f"a count from {p.minimum} to {p.maximum} and a unit d, w or m, such as 3d, 2w, 4m",
    _parse_period,
)
DOTTED_ID = Kind("dotted_id", lambda p: "<epoch ms>.<number>, such as 1321472676886.715589607",
                 _parse_dotted_id)  # fmt: skip
WORDS = Kind("words", lambda p: "words separated by commas (* is a wildcard)", _parse_words, _join)
SITES = Kind("sites", lambda p: "site host names separated by commas", _parse_sites, _join)
COUNTRIES = Kind("countries", lambda p: "ISO 3166 two-letter country codes (or the GeoIP codes "
                 + ", ".join(GEOIP_CODES) + ") separated by commas",
                 _parse_countries, _join)  # fmt: skip
COLUMNS = Kind("columns", lambda p: "column names of the sessions table separated by commas",
               _parse_columns, _join)  # fmt: skip
ORDER = Kind("order", lambda p: "a column name, then optionally asc or desc", _parse_order)
ZONE = Kind("zone", lambda p: "a Java time-zone id such as EST, America/New_York or GMT+1",
            _parse_zone)  # fmt: skip
LOCALE = Kind("locale", lambda p: "a locale such as en_US, nl_NL or sr_Latn_RS", _parse_locale)
JAVA_PATTERN = Kind("java_pattern", lambda p: "a Java date pattern such as yyyy-dd-MM",
                    _parse_java_pattern)  # fmt: skip
SECRET = Kind("secret", lambda p: "a non-empty value", _parse_secret)

_ALL = frozenset({"sessions", "sessions_by_user", "page_views", "login"})
_READS = frozenset({"sessions", "sessions_by_user", "page_views"})
_SESSIONS = frozenset({"sessions"})


def _p(name: str, kind: Kind, help: str, **more: Any) -> Param:
    return Param(name, kind, help, **more)


PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        _p("site", SITES, "Site(s) to show; several are merged, e.g. www.opentracker.net, www.opentracker.de.",
           default="www.opentracker.net", group="common", endpoints=_READS,
           synonyms=("website", "domain", "host", "account")),
        _p("date", DATE, "Show the visits of this date (yyyy-MM-dd); without it, the most recent sessions.",
           group="common", endpoints=frozenset({"sessions", "sessions_by_user"}),
           synonyms=("day", "start", "from", "since")),
        _p("period", PERIOD, "Time range back from the date: a count and d, w or m (3d, 2w, 4m).",
           default="1d", group="common", minimum=1, maximum=400,
           synonyms=("range", "days", "span", "interval", "window")),
        _p("limit", INT, "Number of sessions to return (most recent first).", default="40",
           group="common", minimum=1, maximum=1000,
           endpoints=frozenset({"sessions", "sessions_by_user"}),
           synonyms=("rows", "count", "max", "top", "size", "maxRows")),
        _p("session_id", DOTTED_ID, "Show only this session (a session id is unique per visit).",
           group="filter",
           synonyms=("session", "sessionId", "visit", "visit_id", "visitId")),
        _p("includeCountryCode", COUNTRIES, "Only visits from these countries (ISO codes, e.g. US, GB).",
           group="filter",
           synonyms=("country", "countries", "countryCode", "country_code", "cc", "geo")),
        _p("search", WORDS, "Visits with these words anywhere (* is a wildcard, e.g. *google*).",
           group="filter",
           synonyms=("keyword", "keywords", "query", "q", "referrer", "referer", "source", "page", "url", "words", "text")),
        _p("useOr", BOOL, "Match any search word instead of all of them.", default="false",
           group="filter",
           synonyms=("or", "any", "operator")),
        _p("excludeInUrl", WORDS, "Leave out visits whose pages contain these words.", group="filter",
           synonyms=("exclude", "excludeUrl", "notUrl")),
        _p("excludeInFilteredCompany", WORDS, "Leave out visits whose company contains these words.",
           group="filter",
           synonyms=("excludeCompany", "company")),
        _p("filterByCurrentTitle", TEXT, "Only visits whose current page title is exactly this (case sensitive).",
           group="filter", maximum=500,
           synonyms=("title", "pageTitle", "currentTitle")),
        _p("maxEventThreshold", INT, "Only visits with fewer events (total pages viewed) than this.",
           group="filter", minimum=0,
           synonyms=("events", "maxEvents", "pageviews", "maxPages")),
        _p("maxDuration", INT, "Only visits shorter than this many seconds.", group="filter", minimum=0,
           synonyms=("duration", "seconds", "maxSeconds")),
        _p("removeIsp", BOOL, "Leave out visits from internet providers (keep companies).",
           default="false", group="filter",
           synonyms=("isp", "excludeIsp", "noIsp")),
        _p("showColumns", COLUMNS, "Only these columns (raw column names, comma separated).",
           group="display",
           synonyms=("columns", "fields", "select", "cols")),
        _p("orderCriteria", ORDER, "Sort by this column, then asc or desc (e.g. duration desc).",
           group="display",
           synonyms=("order", "sort", "orderBy", "sortBy")),
        _p("timeZone", ZONE, "Time zone for day boundaries and dates (EST, America/New_York, GMT+1).",
           default="EST", group="display", endpoints=_READS,
           synonyms=("tz", "zone", "time_zone")),
        _p("locale", LOCALE, "Language and region of the labels and dates (en_US, nl_NL, de_DE).",
           default="en_US", group="display", endpoints=_READS,
           synonyms=("language", "lang")),
        _p("ignoreLocale", BOOL, "Show column labels without translation.", default="false",
           group="display", endpoints=_READS,
           synonyms=("untranslated", "raw")),
        _p("dateFormat", JAVA_PATTERN, "Java pattern for dates in the answer (e.g. yyyy-dd-MM).",
           group="display", endpoints=_READS,
           synonyms=("format", "datePattern")),
        _p("unknownCity", TEXT, "Text shown instead of an unknown city.", group="display", maximum=100),
        _p("unknownRegion", TEXT, "Text shown instead of an unknown region.", group="display",
           maximum=100),
        _p("mapEuToCountryDomain", BOOL, "Replace 'Europe'/'EU' by the country of the site's domain.",
           default="false", group="display",
           synonyms=("eu",)),
        _p("gbCountryCode", TEXT, "Show this instead of GB in country_code (United Kingdom only).",
           group="display", maximum=20,
           synonyms=("uk", "gb")),
        _p("nextToken", DOTTED_ID, "Where to go on from: <day epoch ms>.<hour epoch ms> (paging).",
           group="advanced", endpoints=frozenset({"sessions", "sessions_by_user"}),
           synonyms=("token", "next", "cursor", "offset", "page")),
        # Set by the client only: never written in cell text or shown in the panel.
        _p("dataType", TEXT, "Format of the answer.", default="json", group="internal", user=False,
           choices=("json", "html", "jsondatatable", "jsonjqgrid", "csv"), endpoints=_READS),
        _p("metaCsv", BOOL, "With dataType=csv: start with the meta-data lines.", default="true",
           group="internal", user=False),
        _p("jsoncallback", TEXT, "Wrap the JSON answer as JSONP in this callback.", group="internal",
           user=False, endpoints=_READS),
        _p("login", TEXT, "Your Opentracker login email.", group="auth", user=False, endpoints=_ALL),
        _p("password", SECRET, "Your password.", group="auth", user=False, secret=True,
           endpoints=_ALL),
        _p("ticketId", SECRET, "An expiring token used instead of login and password.", group="auth",
           user=False, secret=True, endpoints=_READS),
        _p("expires", INT, "Seconds a new ticket stays valid.", default="60", group="auth", user=False,
           minimum=1, maximum=86400, endpoints=frozenset({"login"})),
        _p("uid", DOTTED_ID, "The visitor id (machine_idx), e.g. 1319502921449.180515048.",
           group="common", endpoints=frozenset({"sessions_by_user"})),
        _p("filterByVisitId", DOTTED_ID, "The visit whose page views to show (visit_id).",
           group="common", endpoints=frozenset({"page_views"})),
    )
}  # fmt: skip

# Other spellings an endpoint accepts for a parameter of the table.
ALIASES: dict[str, dict[str, str]] = {
    "sessions": {"timezone": "timeZone"},
    "sessions_by_user": {"filterByMachineId": "uid", "timezone": "timeZone"},
    "page_views": {"timezone": "timeZone"},
    "login": {},
}

ENDPOINT_PATHS: dict[str, str] = {
    "sessions": "views/c_view_session.jsp",
    "sessions_by_user": "views/c_view_sessions_by_user.jsp",
    "page_views": "visitors-online-email/cassandraPageViews.jsp",
    "login": "management/login_user.jsp",
}

_OVERRIDES: dict[str, dict[str, dict[str, Any]]] = {
    "sessions_by_user": {"limit": {"maximum": 10000}},
}


@cache
def params_for(endpoint: str) -> dict[str, Param]:
    """The parameters one endpoint takes, with that endpoint's limits."""
    overrides = _OVERRIDES.get(endpoint, {})
    return {
        name: replace(p, **overrides.get(name, {}))
        for name, p in PARAMS.items()
        if endpoint in p.endpoints
    }


USER_PARAMS: dict[str, Param] = {
    n: p for n, p in PARAMS.items() if p.user and "sessions" in p.endpoints
}


def lookup(name: str, endpoint: str = "sessions") -> Param:
    """The user parameter called ``name``, or a :class:`ParameterError` with a suggestion."""
    table = params_for(endpoint)
    if name in table and table[name].user:
        return table[name]
    if name in table:
        raise ParameterError(
            name, "", message=f"{name}: set by ot_magic itself, not in cell text"
            + (" (use %otlogin or the OT_* environment variables)" if table[name].group == "auth" else "")
        )  # fmt: skip
    raise ParameterError(
        name, "", message=f"unknown parameter {name!r}{suggest_name(name, endpoint)}"
    )


def suggest_name(word: str, endpoint: str = "sessions") -> str:
    """`` (did you mean ...?)`` for a name that is not a parameter, or ``''``.

    Names in another case, typos and everyday words (each parameter's ``synonyms``) are heard:

        >>> suggest_name("perod"), suggest_name("country"), suggest_name("page")
        (' (did you mean period?)', ' (did you mean includeCountryCode?)', ' (did you mean search or nextToken?)')
    """
    table = {n: p for n, p in params_for(endpoint).items() if p.user}
    meant: dict[str, list[str]] = {}  # lower-case word -> the parameters it may mean
    for name, param in table.items():
        for heard in (name, *param.synonyms):
            meant.setdefault(heard.lower(), []).append(name)
    key = word.lower()
    if key not in meant:
        close = difflib.get_close_matches(key, list(meant), n=1, cutoff=0.75)
        if not close:
            return _suggest(word, table)
        key = close[0]
    return f" (did you mean {' or '.join(meant[key])}?)"


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, plus the GeoIP codes of :data:`GEOIP_CODES`."""
    import pycountry

    return frozenset({c.alpha_2 for c in pycountry.countries} | set(GEOIP_CODES))


@cache
def known_locales() -> tuple[str, ...]:
    """Babel's locales that the ``locale`` parameter accepts, written the Java way: ``en_US``."""
    from babel.localedata import locale_identifiers

    return tuple(sorted(i for i in locale_identifiers() if _LOCALE.match(i)))
