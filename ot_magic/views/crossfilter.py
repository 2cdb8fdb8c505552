"""The overview's numbers, kernel-side: each chart a *facet* of the sessions, filtered together.

    >>> cf = Crossfilter(result.df)                        # doctest: +SKIP
    >>> cf.counts("country")                               # doctest: +SKIP  sessions per bar
    array([412, 101,  77, ...])
    >>> cf.select("country", ["US"]); cf.select("visitors", ["returning"])   # doctest: +SKIP
    >>> cf.expression                                      # doctest: +SKIP
    'df[df.country_code.eq("US") & df.number_visits.gt(1)]'
    >>> cf.filtered.equals(eval(cf.expression, {"df": result.df, "pd": pd}))   # doctest: +SKIP
    True

Every facet turns its column into small integer *codes* once (``pd.factorize``, or arithmetic on
times and durations; ``-1``: not counted), so counting a chart is one ``np.bincount`` and a
filter is one lookup ``chosen[codes]``, whatever the number of sessions. Each chart counts the
sessions that pass every *other* chart's filter (the usual crossfilter), so a chart with a
filter still shows the bars one can add to it. Sessions pass the whole filter when every
chart's filter lets them through; :attr:`Crossfilter.expression` is the pandas expression that
selects the same rows from the frame, so a user can take the filter into their own code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .columns import SINGLE_PAGE, country_label, short_url, single_page

TOP = 10  # bars of a category chart: its most frequent values
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
HOURLY_UP_TO_MS = 3 * DAY_MS  # a range up to 3 days is binned by the hour, longer by the day
# Upper bounds (seconds) of the duration histogram's bars, after its "single page" bar.
DURATION_BOUNDS = (10, 30, 60, 180, 600, 1800, 3600)
BROWSER_VERSION = r"\s+v?[\d.]+\S*$"  # "Chrome 15.0.874.120" → "Chrome"
START_COLUMNS = ("session_start_unix_timestamp", "eventUnixTimestamp")


@dataclass
class Facet:
    """One chart's view of the sessions: ``codes[i]`` is the bar of session ``i`` (``-1``:
    none), ``labels[c]`` the text of bar ``c``, ``values[c]`` the value it stands for, and
    ``shown`` the bars drawn, in order. ``column`` is the pandas expression of the value the
    bars split by (``df.country_code``); ``terms[c]``, when set, selects bar ``c``'s rows
    instead of ``column``'s value (ranges of times and durations)."""

    name: str
    title: str
    kind: str  # "bar" (categories), "time" (bins of a time axis), "hist" (ordered bins)
    codes: np.ndarray
    labels: list[str]
    values: list[Any]
    column: str
    shown: np.ndarray
    terms: list[str] | None = None
    notna: bool = True  # the column has no missing value (``.eq`` needs no NA handling)
    bin_ms: int = 0  # a time facet's bin, in milliseconds
    totals: np.ndarray | None = None  # sessions per bar with no filter (counted when None)
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def codes_of(self, values: Iterable[Any]) -> list[int]:
        """The bars standing for these values (or labels), in the facet's order."""
        wanted = list(values)
        found = [
            c
            for c, (value, label) in enumerate(zip(self.values, self.labels, strict=True))
            if any(_same(value, w) or label == w for w in wanted)
        ]
        if not found:
            raise ValueError(f"{self.name}: none of {wanted!r} is a bar of this chart")
        return found

    def term(self, codes: Sequence[int]) -> str:
        """The pandas expression selecting the rows of these bars."""
        codes = sorted(codes)
        if self.terms is not None:
            return _ranges(self, codes)
        values = [self.values[c] for c in codes]
        missing = any(v is None for v in values)
        present = [v for v in values if v is not None]
        parts = []
        if len(present) == 1 and self.notna:
            parts.append(f"{self.column}.eq({_literal(present[0])})")
        elif present:
            parts.append(f"{self.column}.isin([{', '.join(map(_literal, present))}])")
        if missing:
            parts.append(f"{self.column}.isna()")
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _same(value: Any, wanted: Any) -> bool:
    if value is None:
        return wanted is None
    try:
        return bool(value == wanted)
    except (TypeError, ValueError):
        return False


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _ranges(facet: Facet, codes: Sequence[int]) -> str:
    """Runs of adjacent bars joined into one term each (``ge(a) & lt(b)``), or'ed together;
    a facet without ``run`` ors the terms of its bars."""
    run_term = facet.extra.get("run")
    runs: list[list[int]] = []
    for c in codes:
        if run_term is not None and runs and runs[-1][-1] == c - 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    terms = [
        run_term(run[0], run[-1]) if run_term is not None else facet.terms[run[0]] for run in runs
    ]
    return terms[0] if len(terms) == 1 else "(" + " | ".join(terms) + ")"


# --- facets ------------------------------------------------------------------------------------


def _categorical(
    df: pd.DataFrame,
    name: str,
    title: str,
    column: str,
    *,
    relabel: Any = None,
    regroup: tuple[str, Any] | None = None,
    missing: str | None = None,
) -> Facet | None:
    """A facet of the distinct values of ``column``: ``relabel(values, rows) -> labels``
    (``rows[c]``: a row holding ``values[c]``);
    ``regroup``: (expression suffix, function of a distinct value to its group) to count
    values by a part of them (a browser's family); ``missing``: the label of a bar for
    sessions without a value (none: they are not counted)."""
    if column not in df:
        return None
    codes, distinct = pd.factorize(df[column], use_na_sentinel=True)
    values: list[Any] = [str(v) for v in distinct]
    expr = f"df.{column}" if column.isidentifier() else f"df[{column!r}]"
    if regroup is not None:
        suffix, group = regroup
        groups = [group(v) for v in values]
        regrouped, inverse = np.unique(np.array(groups, dtype=object), return_inverse=True)
        values = [str(v) for v in regrouped]
        codes = np.where(codes >= 0, inverse.reshape(-1)[codes] if len(inverse) else -1, -1)
        expr += suffix
    codes = codes.astype(np.int32)
    has_missing = bool((codes < 0).any())
    if relabel is not None:
        first = np.zeros(len(values) + 1, dtype=np.int64)  # a row of each value (last: -1)
        first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
        labels = list(relabel(values, first[:-1]))
    else:
        labels = list(values)
    if missing is not None and has_missing:
        codes[codes < 0] = len(values)
        values.append(None)
        labels.append(missing)
    totals = np.bincount(codes + 1, minlength=len(values) + 1)[1:]
    shown = np.argsort(-totals, kind="stable")[: min(TOP, int((totals > 0).sum()))]
    return Facet(
        name, title, "bar", codes, labels, values, expr, shown.astype(np.int32),
        notna=not has_missing, totals=totals,
    )  # fmt: skip


def time_facet(df: pd.DataFrame) -> Facet | None:
    """Sessions by the hour (a range up to 3 days) or the day of their start, in the zone of
    the answer (the request's ``timeZone``)."""
    column = next((c for c in START_COLUMNS if c in df and df[c].notna().any()), None)
    if column is None:
        return None
    series = df[column]
    tz = getattr(series.dtype, "tz", None)
    wall = series.dt.tz_localize(None) if tz is not None else series
    ms = wall.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    known = ~wall.isna().to_numpy()
    low, high = int(ms[known].min()), int(ms[known].max())
    bin_ms = HOUR_MS if high - low <= HOURLY_UP_TO_MS else DAY_MS
    origin = low - low % bin_ms
    codes = np.where(known, (ms - origin) // bin_ms, -1).astype(np.int32)
    count = int((high - origin) // bin_ms) + 1
    starts = np.datetime64(origin, "ms") + np.arange(count) * np.timedelta64(bin_ms, "ms")
    expr = f"df.{column}"

    def instant(code: int) -> str:
        stamp = pd.Timestamp(starts[0] + np.timedelta64(code * bin_ms, "ms"))
        if tz is not None:
            stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        return f'pd.Timestamp("{stamp.isoformat()}")'

    def run(first: int, last: int) -> str:
        return f"{expr}.ge({instant(first)}) & {expr}.lt({instant(last + 1)})"

    step = "%Y-%m-%d %H:00" if bin_ms == HOUR_MS else "%Y-%m-%d"
    labels = [pd.Timestamp(s).strftime(step) for s in starts]
    values = [pd.Timestamp(s) for s in starts]
    terms = [run(c, c) for c in range(count)]
    zone = df.attrs.get("time_zone") or (str(tz) if tz is not None else "")
    title = f"Sessions by {'hour' if bin_ms == HOUR_MS else 'day'}" + (f" ({zone})" if zone else "")
    return Facet(
        "time", title, "time", codes, labels, values, expr, np.arange(count, dtype=np.int32),
        terms=terms, bin_ms=bin_ms, extra={"run": run, "starts": starts, "tz": tz},
    )  # fmt: skip


def duration_facet(df: pd.DataFrame) -> Facet | None:
    """Sessions by duration, single-page visits as their own first bar."""
    single = single_page(df)
    if single is None or "duration" not in df:
        return None
    is_single, single_expr = single
    ms = df["duration"].to_numpy(dtype="timedelta64[ms]")
    bounds_ms = np.asarray(DURATION_BOUNDS, dtype=np.int64) * 1000
    codes = np.searchsorted(bounds_ms, ms.view(np.int64), side="right").astype(np.int32) + 1
    codes[np.isnat(ms)] = -1
    codes[is_single] = 0
    edges = (0, *DURATION_BOUNDS)
    labels = [SINGLE_PAGE]
    for low, high in zip(edges, (*DURATION_BOUNDS, None), strict=True):
        labels.append(f"≥ {_seconds(low)}" if high is None else f"{_seconds(low)}–{_seconds(high)}")
    labels[1] = f"< {_seconds(DURATION_BOUNDS[0])}"
    not_single = "" if single_expr == "df.duration.isna()" else f" & ~{single_expr}"

    def run(first: int, last: int) -> str:
        if first == 0:  # the single-page bar is no range of durations
            return single_expr if last == 0 else f"({single_expr} | {run(1, last)})"
        term = f'df.duration.ge(pd.Timedelta("{edges[first - 1]}s"))'
        if last <= len(DURATION_BOUNDS):
            term += f' & df.duration.lt(pd.Timedelta("{edges[last]}s"))'
        return term + not_single

    terms = [run(c, c) for c in range(len(labels))]
    return Facet(
        "duration", "Duration", "hist", codes, labels, [SINGLE_PAGE, *labels[1:]], "df.duration",
        np.arange(len(labels), dtype=np.int32), terms=terms, extra={"run": run},
    )  # fmt: skip


def _seconds(value: float) -> str:
    value = int(value)
    if value < 60:
        return f"{value} s"
    if value < 3600:
        return f"{value // 60} min"
    return f"{value // 3600} h"


def visitors_facet(df: pd.DataFrame) -> Facet | None:
    """New visitors (their first visit) against returning ones, by ``number_visits``."""
    if "number_visits" not in df:
        return None
    visits = pd.to_numeric(df["number_visits"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    codes = np.where(np.isnan(visits), -1, (visits > 1).astype(np.int32)).astype(np.int32)
    fill = ".fillna(False)" if np.isnan(visits).any() else ""
    terms = [f"df.number_visits.le(1){fill}", f"df.number_visits.gt(1){fill}"]
    return Facet(
        "visitors", "New or returning visitors", "bar", codes, ["new", "returning"],
        ["new", "returning"], "df.number_visits", np.arange(2, dtype=np.int32), terms=terms,
    )  # fmt: skip


CHARTS = ("time", "country", "referrer", "search", "entry", "browser", "platform", "visitors",
          "duration")  # fmt: skip


def build_facets(df: pd.DataFrame, charts: Iterable[str] | None = None) -> dict[str, Facet]:
    """The charts of the overview (``charts``: some of :data:`CHARTS`; default all) that the
    frame has the columns for, in display order."""
    wanted = set(CHARTS if charts is None else charts)
    unknown = wanted - set(CHARTS)
    if unknown:
        raise ValueError(f"charts: expected some of {', '.join(CHARTS)}, got {sorted(unknown)}")
    countries = df.get("country", None)

    def country_labels(codes: list[str], rows: np.ndarray) -> list[str]:
        names = countries.iloc[rows].tolist() if countries is not None else [None] * len(codes)
        return [country_label(code, name) for code, name in zip(codes, names, strict=True)]

    def referrer_labels(hosts: list[str], _rows: np.ndarray) -> list[str]:
        engines = _search_hosts(df)
        return [f"{h} (search)" if h in engines else h for h in hosts]

    def url_labels(urls: list[str], _rows: np.ndarray) -> list[str]:
        return short_url(pd.Series(urls, dtype=object), width=32).tolist()

    search = "session_search" if "session_search" in df else "search"
    builders = {
        "time": lambda: time_facet(df),
        "country": lambda: _categorical(
            df, "country", "Countries", "country_code", relabel=country_labels
        ),
        "referrer": lambda: _categorical(
            df, "referrer", "Referrers (search engines marked)", "session_referrer_hostname",
            relabel=referrer_labels, missing="(direct)",
        ),
        "search": lambda: _categorical(df, "search", "Search terms", search),
        "entry": lambda: _categorical(df, "entry", "Entry pages", "entryPage", relabel=url_labels),
        "browser": lambda: _categorical(
            df, "browser", "Browsers", "browser",
            regroup=(f'.str.replace(r"{BROWSER_VERSION}", "", regex=True)',
                     lambda v: re.sub(BROWSER_VERSION, "", v)),
        ),
        "platform": lambda: _categorical(df, "platform", "Platforms", "platform"),
        "visitors": lambda: visitors_facet(df),
        "duration": lambda: duration_facet(df),
    }  # fmt: skip
    facets = [builders[name]() for name in CHARTS if name in wanted]
    return {facet.name: facet for facet in facets if facet is not None and len(facet)}


def _search_hosts(df: pd.DataFrame) -> set[str]:
    """Referrer hosts that sent sessions with a search term: the search engines."""
    search = "session_search" if "session_search" in df else "search"
    if "session_referrer_hostname" not in df or search not in df:
        return set()
    searched = df[search].notna().to_numpy() & df["session_referrer_hostname"].notna().to_numpy()
    return set(df["session_referrer_hostname"][searched].unique().tolist())


# --- the crossfilter ---------------------------------------------------------------------------


class Crossfilter:
    """The facets of a frame and the bars chosen in each (see the module's notes)."""

    def __init__(self, df: pd.DataFrame, charts: Iterable[str] | None = None) -> None:
        self.df = df
        self.facets = build_facets(df, charts)
        # Every chart's codes in one array: charts without a filter are counted in one pass.
        # Sessions per bar with no filter: what every chart shows first.
        self._totals = {
            name: f.totals
            if f.totals is not None
            else np.bincount(f.codes + 1, minlength=len(f) + 1)[1:]
            for name, f in self.facets.items()
        }
        self.chosen: dict[str, list[int]] = {}
        self._passes: dict[str, np.ndarray] = {}
        self._fails = np.zeros(len(df), dtype=np.int8)

    # --- choosing bars ----------------------------------------------------------------------

    def select(self, name: str, values: Iterable[Any]) -> None:
        """Keep the sessions of these values (or bar labels) in chart ``name``."""
        self.choose(name, self.facets[name].codes_of(values))

    def select_range(self, name: str, start: Any, end: Any) -> None:
        """Keep the sessions of the bins of chart ``name`` that overlap ``[start, end]``."""
        facet = self.facets[name]
        starts = facet.extra["starts"]
        low = np.datetime64(pd.Timestamp(start).tz_localize(None), "ms")
        high = np.datetime64(pd.Timestamp(end).tz_localize(None), "ms")
        ends = starts + np.timedelta64(facet.bin_ms, "ms")
        self.choose(name, np.flatnonzero((ends > low) & (starts <= high)).tolist())

    def choose(self, name: str, codes: Iterable[int]) -> None:
        """Keep the sessions of these bars (codes) of chart ``name`` (none: no filter there)."""
        facet = self.facets[name]
        codes = sorted({int(c) for c in codes if 0 <= int(c) < len(facet)})
        if name in self._passes:
            self._fails -= ~self._passes.pop(name)
        self.chosen.pop(name, None)
        if codes:
            lookup = np.zeros(len(facet) + 1, dtype=bool)  # the last entry: code -1
            lookup[codes] = True
            passes = lookup[facet.codes]
            self._fails += ~passes
            self._passes[name] = passes
            self.chosen[name] = codes

    def clear(self, name: str | None = None) -> None:
        """Remove chart ``name``'s filter (``None``: every filter)."""
        for each in [name] if name is not None else list(self.chosen):
            self.choose(each, [])

    # --- what passes ------------------------------------------------------------------------

    @property
    def mask(self) -> np.ndarray:
        """Which sessions pass every chart's filter."""
        return self._fails == 0

    @property
    def rows(self) -> np.ndarray:
        """The positions in ``df`` of the sessions that pass."""
        return np.flatnonzero(self.mask) if self.chosen else np.arange(len(self.df))

    @property
    def filtered(self) -> pd.DataFrame:
        """The frame's sessions that pass (the frame itself when nothing is chosen)."""
        return self.df[self.mask] if self.chosen else self.df

    def counts(self, name: str, shown: bool = True) -> np.ndarray:
        """Sessions per bar of chart ``name`` passing every other chart's filter (``shown``:
        only the bars drawn, in their order)."""
        facet = self.facets[name]
        if name in self._passes:
            keep = (self._fails == 0) | ((self._fails == 1) & ~self._passes[name])
        elif self.chosen:
            keep = self._fails == 0
        else:
            keep = None
        if keep is None:
            counts = self._totals[name]
        else:
            codes = facet.codes[keep]
            counts = np.bincount(codes[codes >= 0], minlength=len(facet))
        return counts[facet.shown] if shown else counts

    def all_counts(self) -> dict[str, np.ndarray]:
        """:meth:`counts` of every chart (the ones without a filter of their own share the
        positions of the sessions that pass)."""
        if not self.chosen:
            return {name: self._totals[name][f.shown] for name, f in self.facets.items()}
        rows = np.flatnonzero(self._fails == 0)
        out = {}
        for name, facet in self.facets.items():
            if name in self._passes:
                out[name] = self.counts(name)
                continue
            codes = facet.codes.take(rows)
            out[name] = np.bincount(codes[codes >= 0], minlength=len(facet))[facet.shown]
        return out

    @property
    def expression(self) -> str:
        """The pandas expression that gives :attr:`filtered` from the frame, named ``df``."""
        if not self.chosen:
            return "df"
        terms = [self.facets[name].term(codes) for name, codes in self.chosen.items()]
        return "df[" + " & ".join(terms) + "]"

    def describe(self, name: str) -> str:
        """A chip's text: the chart's title and its chosen bars (``Countries: 🇺🇸 United
        States, 🇬🇧 United Kingdom``)."""
        facet = self.facets[name]
        labels = [facet.labels[c] for c in self.chosen.get(name, [])]
        if facet.kind == "time" and len(labels) > 1:
            labels = [f"{labels[0]} – {labels[-1]}"]
        text = ", ".join(labels[:3]) + (f" +{len(labels) - 3}" if len(labels) > 3 else "")
        return f"{facet.title.split(' (')[0]}: {text}"
