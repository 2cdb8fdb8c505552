"""Which columns a table shows, under which headers, and their values made readable.

The answer decides: its ``hidden`` list (``df.attrs["hidden"]``) hides columns, its ``label``s
head them (``df.attrs["labels"]``). Values are turned into text a reader scans easily and that
still sorts right as text: datetimes as ``2011-11-16 23:44:12`` in the answer's time zone,
durations as ``00:03:16`` (hours padded to the column's widest), URLs without their scheme and
cut to 48 characters (the full value shows in the table's info line when the row is selected)::

    >>> from ot_magic.views.columns import shown_columns, display_frame
    >>> shown_columns(df)                                  # doctest: +SKIP
    ['lastEvent', 'duration', 'status', 'flag', 'visits_pageviews', 'currentPage', 'connection']
    >>> display_frame(df, ["duration", "currentPage"]).iloc[0].tolist()   # doctest: +SKIP
    ['00:14:47', 'opentracker.net/article/hits-or-pageviews']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

URL_WIDTH = 48
_URL_PREFIX = r"^(?:https?://)?(?:www\.)?"


# Columns the frame derives (``visits_pageviews`` "16 (2)" split in two, ``single_event`` from
# ``s.e.`` durations): not the answer's own.
DERIVED = frozenset({"visits", "pageviews", "single_event"})


def shown_columns(df: pd.DataFrame) -> list[str]:
    """The answer's columns it does not mark hidden, in the answer's order."""
    hidden = set(df.attrs.get("hidden") or ()) | DERIVED
    return [name for name in df.columns if name not in hidden]


def coordinates(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``latitude`` and ``longitude`` as float arrays, NaN where the row has no location: the
    one rule the map and the summary share. A coordinate that is missing, not finite or off the
    world (latitude outside [-90, 90], longitude outside [-180, 180]) leaves its row without a
    location (both NaN): ``lat, lon = coordinates(df)``."""

    def floats(name: str) -> np.ndarray:
        if name not in df:
            return np.full(len(df), np.nan)
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    lat, lon = floats("latitude"), floats("longitude")
    with np.errstate(invalid="ignore"):
        on_earth = (np.abs(lat) <= _LATITUDE_LIMIT) & (np.abs(lon) <= _LONGITUDE_LIMIT)
    return np.where(on_earth, lat, np.nan), np.where(on_earth, lon, np.nan)


_LATITUDE_LIMIT, _LONGITUDE_LIMIT = 90.0, 180.0


def located(df: pd.DataFrame) -> np.ndarray:
    """Which rows have both coordinates (the ones a map can show)."""
    lat, lon = coordinates(df)
    return ~(np.isnan(lat) | np.isnan(lon))


def headers(columns: Sequence[str], labels: dict[str, str], raw: bool = False) -> list[str]:
    """One header a column: its label (or raw name), made unique with the raw name if two
    shown columns share a label (``status`` labels both ``status`` and ``user_status``)."""
    if raw:
        return list(columns)
    texts = [labels.get(name) or name for name in columns]
    repeated = {text for text in texts if texts.count(text) > 1}
    return [
        f"{text} ({name})" if text in repeated and text != name else text
        for text, name in zip(texts, columns, strict=True)
    ]


def url_columns(df: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The text columns whose values are web addresses (judged on their first non-empty value)."""
    found = []
    for name in columns:
        column = df[name]
        text = isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object
        if not (text or pd.api.types.is_string_dtype(column.dtype)):
            continue
        first = next((v for v in column.head(200).tolist() if isinstance(v, str) and v), "")
        if first.startswith(("http://", "https://")):
            found.append(name)
    return found


def short_url(values: pd.Series, width: int = URL_WIDTH) -> pd.Series:
    """``http://www.opentracker.net/a/very/long/path`` → ``opentracker.net/a/very/lo…``."""
    text = values.astype("string").fillna("").str.replace(_URL_PREFIX, "", regex=True)
    too_long = text.str.len() > width
    return text.where(~too_long, text.str.slice(0, width - 1) + "…")


Render = Callable[[np.ndarray | None], np.ndarray]
"""Values of a field for some rows (positions in the frame; ``None``: every row)."""


def _at(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def prepare_column(column: pd.Series, is_url: bool = False) -> Render:
    """One column made ready to show any of its rows: what needs the whole column (the
    distinct values rendered, their codes) is done once, the rest for the rows asked for."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        local = column.dt.tz_localize(None) if isinstance(dtype, pd.DatetimeTZDtype) else column
        seconds = local.to_numpy(dtype="datetime64[s]")
        return lambda rows: _datetimes(_at(seconds, rows))
    if pd.api.types.is_timedelta64_dtype(dtype):
        return _per_distinct(column, _durations)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        numbers = column.astype("float64").to_numpy()  # Int64's NA → NaN, a binary buffer
        return lambda rows: _at(numbers, rows)
    if is_url:
        return _per_distinct(column, lambda values: short_url(values).to_numpy(dtype=object))
    return _per_distinct(column, lambda values: values.astype(str).to_numpy(dtype=object))


def readable(column: pd.Series, is_url: bool = False) -> pd.Series | np.ndarray:
    """The values of one column as the table shows them (numbers stay numbers)."""
    return prepare_column(column, is_url)(None)


def as_text(column: pd.Series) -> np.ndarray:
    """Like :func:`readable`, with numbers as text too (``17``, not ``17.0``)."""
    values = readable(column)
    if values.dtype.kind != "f":
        return np.asarray(values, dtype=object)
    return np.array(["" if np.isnan(v) else f"{v:g}" for v in values], dtype=object)


def _datetimes(seconds: np.ndarray) -> np.ndarray:
    """``2011-11-16 23:44:12`` (text that sorts as time), "" for NaT. Each day's text is made
    once, as is each second of the day's, and a row's text is the two laid side by side as
    characters: a million rows in about half ``np.datetime_as_string``'s time."""
    missing = np.isnat(seconds)
    stamps = np.where(missing, 0, seconds.view(np.int64))
    day, second = np.divmod(stamps, _DAY_SECONDS)
    first, last = (int(day.min()), int(day.max())) if len(day) else (0, 0)
    if last - first > _MAX_SPAN_DAYS:  # dates far apart: text for the days present only
        days, day_code = np.unique(day, return_inverse=True)
    else:
        days, day_code = np.arange(first, last + 1), day - first
    day_text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype("U10")
    text = np.empty(len(stamps), dtype=[("day", "V40"), ("time", "V36")])
    text["day"] = day_text.view("V40")[day_code.reshape(-1)]
    text["time"] = _times_of_day()[second]
    shown = text.view("U19").astype(object)
    shown[missing] = ""
    return shown


_DAY_SECONDS, _MAX_SPAN_DAYS = 86_400, 100_000


@functools.cache
def _times_of_day() -> np.ndarray:
    """`` HH:MM:SS`` of every second of a day (a space first), as 36-byte records of 9
    characters."""
    clock = np.arange(_DAY_SECONDS, dtype=np.int64).astype("datetime64[s]")
    chars = np.datetime_as_string(clock, unit="s").astype("U19").view(np.uint32).reshape(-1, 19)
    times = np.ascontiguousarray(chars[:, 10:])  # "T23:44:12"
    times[:, 0] = ord(" ")
    return times.view("V36").reshape(-1)


def _durations(distinct: pd.Series) -> np.ndarray:
    """``00:03:16`` for each of these (distinct, known) durations, hours padded to the widest."""
    seconds = distinct.to_numpy(dtype="timedelta64[s]").view(np.int64)
    hours, rest = np.divmod(seconds, 3600)
    width = max(2, len(str(hours.max()))) if len(hours) else 2
    return np.array(
        [
            f"{h:0{width}d}:{m:02d}:{s:02d}"
            for h, (m, s) in zip(hours, map(divmod, rest, [60] * len(rest)), strict=True)
        ],
        dtype=object,
    )


def factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """Codes (-1: missing) and the distinct values they stand for: a categorical's own codes
    and categories (unused ones too: no row is hashed), else ``pd.factorize``'s.

    >>> codes, distinct = factorize(df["browser"])       # doctest: +SKIP
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), column.cat.categories
    return pd.factorize(column, use_na_sentinel=True)


def _per_distinct(column: pd.Series, render: Callable[[pd.Series], np.ndarray]) -> Render:
    """``render`` applied once per distinct value (sessions repeat pages, browsers, ...),
    missing values as ""."""
    codes, texts = _coded(column, render)
    return lambda rows: texts[_at(codes, rows)]


def _coded(
    column: pd.Series, render: Callable[[pd.Series], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """A code a row and the texts they pick: the distinct values rendered, then "" (which
    code -1, missing, picks)."""
    codes, distinct = factorize(column)
    return codes, np.append(render(pd.Series(distinct)), "").astype(object)


def display_frame(
    df: pd.DataFrame,
    columns: Sequence[str],
    names: Sequence[str] | None = None,
    urls: Iterable[str] | None = None,
    index: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The columns ``columns`` of ``df`` made readable (:func:`field_values`), renamed to
    ``names`` (default: as is), indexed by ``index`` (default: the row's position in ``df``;
    the table's row header, and the key that maps a sorted or filtered view back to ``df``).
    ``urls``: the columns to shorten (default: found by :func:`url_columns`)."""
    urls = set(url_columns(df, columns) if urls is None else urls)
    data = {
        new: field_values(df, name, name in urls)
        for name, new in zip(columns, names or columns, strict=True)
    }
    index = pd.RangeIndex(len(df)) if index is None else pd.Index(index)
    return pd.DataFrame(data, index=index.rename("#"))


# Columns the table shows its own way: the start first (the answer's order), "last event" as
# the datetime it is, the status as online/offline, the flag as flag and country name, and the
# visits and page views as the numbers they are.
START = "session_start_unix_timestamp"
TABLE_HEADERS = {
    START: "started",
    "flag": "country",
    "visits": "visits",
    "pageviews": "page views",
}
ONLINE, OFFLINE = "● online", "○ offline"


def table_columns(df: pd.DataFrame) -> list[str]:
    """The columns a table shows first: the session's start (the rows' order), then the
    answer's visible columns, ``visits_pageviews`` ("16 (2)") as its two numbers."""
    columns = [START] if START in df else []
    for name in shown_columns(df):
        if name == "visits_pageviews" and {"visits", "pageviews"} <= set(df.columns):
            columns += ["visits", "pageviews"]
        elif name not in columns:
            columns.append(name)
    return columns


def datetime_fields(df: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """The columns :func:`field_values` shows as datetimes (text that sorts as time)."""
    return [name for name in columns if _is_datetime(_source(df, name).dtype)]


def wall_clock_ms(df: pd.DataFrame, name: str) -> np.ndarray:
    """Field ``name`` (one of :func:`datetime_fields`) as milliseconds since 1970 of its
    wall-clock time in the answer's zone, NaN when missing: numbers that sort as time, which a
    browser shows as the answer's own time with a UTC format (``2011-11-16 23:44:12``).

    >>> wall_clock_ms(df, "lastEvent")[:1]       # doctest: +SKIP
    array([1.32148705e+12])
    """
    column = _source(df, name)
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_localize(None)
    ms = column.to_numpy(dtype="datetime64[ms]")
    shown = ms.view(np.int64).astype(np.float64)
    shown[np.isnat(ms)] = np.nan
    return shown


def _source(df: pd.DataFrame, name: str) -> pd.Series:
    """The column a field is shown from: "last event" from its epoch-ms twin when the answer
    gives ``lastEvent`` as text (``Nov 16 11:59 PM``)."""
    if name == "lastEvent" and not _is_datetime(df[name].dtype) and "eventUnixTimestamp" in df:
        return df["eventUnixTimestamp"]
    return df[name]


def _is_datetime(dtype: Any) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype)


def prepare(df: pd.DataFrame, name: str, is_url: bool = False) -> Render:
    """Field ``name`` of ``df`` made ready to show any rows as the table does (see
    :data:`TABLE_HEADERS`)."""
    if name == "status" and ("user_status" in df or "status" in df):
        texts = np.array([OFFLINE, ONLINE], dtype=object)[online(df).view(np.uint8)]
        return lambda rows: _at(texts, rows)
    if name == "flag" and ("country_code" in df or "flag" in df):
        codes = df["country_code"] if "country_code" in df else df["flag"]
        names = df["country"] if "country" in df else pd.Series(pd.NA, index=df.index)
        keys, distinct = factorize(codes)
        first = np.zeros(len(distinct) + 1, dtype=np.int64)  # a row of each code (last: -1)
        first[keys[::-1]] = np.arange(len(keys) - 1, -1, -1)
        named = names.iloc[first[:-1]].to_numpy(dtype=object, na_value=None)
        flags = [country_label(code, name) for code, name in zip(distinct, named, strict=True)]
        texts = np.asarray([*flags, ""], dtype=object)
        return lambda rows: texts[_at(keys, rows)]
    column = _source(df, name)
    single = single_page(df) if name == "duration" else None
    if single is None:
        return prepare_column(column, is_url)
    if pd.api.types.is_timedelta64_dtype(column.dtype):  # one more text, picked by code
        codes, texts = _coded(column, _durations)
        texts = np.append(texts, SINGLE_PAGE)
        codes = np.where(single[0], len(texts) - 1, codes)
        return lambda rows: texts[_at(codes, rows)]
    render = prepare_column(column, is_url)
    return lambda rows: np.where(_at(single[0], rows), SINGLE_PAGE, render(rows))


def field_values(df: pd.DataFrame, name: str, is_url: bool = False) -> np.ndarray:
    """The values of field ``name`` as the table shows them (:func:`prepare`, every row)."""
    return prepare(df, name, is_url)(None)


SINGLE_PAGE = "single page"


def single_page(df: pd.DataFrame) -> tuple[np.ndarray, str] | None:
    """Which sessions are single-page visits, and the pandas expression that says so: the
    frame's ``single_event`` column when it has one, else a missing duration (``s.e.``)."""
    if "single_event" in df:
        return df["single_event"].fillna(False).to_numpy(dtype=bool), "df.single_event"
    if "duration" in df:
        return df["duration"].isna().to_numpy(), "df.duration.isna()"
    return None


def online(df: pd.DataFrame) -> np.ndarray:
    """Whether each session is online: ``user_status`` is ``online``, or ``status`` ends so
    (``puppet_online``)."""
    for name in ("user_status", "status"):
        if name in df:  # judged once a distinct status; missing (code -1) is offline
            codes, distinct = factorize(df[name])
            ends = pd.Series(distinct, dtype="string").str.lower().str.endswith("online")
            return np.append(ends.to_numpy(dtype=bool, na_value=False), False)[codes]
    return np.zeros(len(df), dtype=bool)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 session``, ``12,345 sessions`` (``nouns``: an irregular plural)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def flag(code: object) -> str:
    """The flag emoji of a two-letter country code (``"us"`` → 🇺🇸), or "" for anything else."""
    text = str(code).strip().upper() if isinstance(code, str) else ""
    if len(text) != 2 or not text.isascii() or not text.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in text)


def country_label(code: object, name: object = None) -> str:
    """``🇺🇸 United States``: the flag and the country's name (the answer's, else ISO 3166's)."""
    if not (isinstance(name, str) and name):
        name = _country_name(code)
    return f"{flag(code)} {name}".strip()


def _country_name(code: object) -> str:
    import pycountry

    text = str(code).upper() if isinstance(code, str) else ""
    country = pycountry.countries.get(alpha_2=text) if len(text) == 2 else None
    return country.name if country is not None else text
