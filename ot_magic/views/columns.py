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

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

URL_WIDTH = 48
_URL_PREFIX = r"^(?:https?://)?(?:www\.)?"


# Columns the frame derives (``visits_pageviews`` "16 (2)" split in two): not the answer's own.
DERIVED = frozenset({"visits", "pageviews"})


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
        if not (pd.api.types.is_string_dtype(column.dtype) or column.dtype == object):
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


def readable(column: pd.Series, is_url: bool = False) -> pd.Series | np.ndarray:
    """The values of one column as the table shows them (numbers stay numbers)."""
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        local = column.dt.tz_localize(None) if isinstance(dtype, pd.DatetimeTZDtype) else column
        text = np.datetime_as_string(local.to_numpy().astype("datetime64[s]"), unit="s")
        text = np.char.replace(text, "T", " ")
        return np.where(local.isna().to_numpy(), "", text)
    if pd.api.types.is_timedelta64_dtype(dtype):
        return _durations(column)
    if pd.api.types.is_bool_dtype(dtype):
        return _texts(column)
    if pd.api.types.is_numeric_dtype(dtype):
        return column.astype("float64").to_numpy()  # Int64's NA → NaN, sent as a binary buffer
    if is_url:
        return _per_distinct(column, lambda values: short_url(values).to_numpy(dtype=object))
    return _texts(column)


def as_text(column: pd.Series) -> np.ndarray:
    """Like :func:`readable`, with numbers as text too (``17``, not ``17.0``)."""
    values = readable(column)
    if values.dtype.kind != "f":
        return values
    return np.array(["" if np.isnan(v) else f"{v:g}" for v in values], dtype=object)


def _durations(column: pd.Series) -> np.ndarray:
    seconds = column.dt.total_seconds().to_numpy()
    known = ~np.isnan(seconds)
    distinct, where = np.unique(np.where(known, seconds, 0).astype(np.int64), return_inverse=True)
    hours, rest = np.divmod(distinct, 3600)
    width = max(2, len(str(hours.max()))) if len(hours) else 2
    text = np.array(
        [
            f"{h:0{width}d}:{m:02d}:{s:02d}"
            for h, (m, s) in zip(hours, map(divmod, rest, [60] * len(rest)), strict=True)
        ],
        dtype=object,
    )
    return np.where(known, text[where], "")


def _texts(column: pd.Series) -> np.ndarray:
    return _per_distinct(column, lambda values: values.astype(str).to_numpy(dtype=object))


def _per_distinct(column: pd.Series, render: Any) -> np.ndarray:
    """``render`` applied once per distinct value (sessions repeat pages, browsers, ...),
    missing values as ""."""
    codes, distinct = pd.factorize(column, use_na_sentinel=True)
    texts = np.append(render(pd.Series(distinct)), "").astype(object)
    return texts[codes]  # code -1 (missing) picks the final ""


def display_frame(
    df: pd.DataFrame,
    columns: Sequence[str],
    names: Sequence[str] | None = None,
    urls: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The columns ``columns`` of ``df`` made readable, renamed to ``names`` (default: as is),
    indexed by the row's position in ``df`` (the table's row header, and the key that maps a
    sorted or filtered view back to ``df``). ``urls``: the columns to shorten (default: found
    by :func:`url_columns`)."""
    urls = set(url_columns(df, columns) if urls is None else urls)
    data = {
        new: readable(df[name], name in urls)
        for name, new in zip(columns, names or columns, strict=True)
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(df), name="#"))
