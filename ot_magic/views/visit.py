"""What the drill-down shows: one visit's page views, or one visitor's sessions on a time axis.

    >>> PageViewsView(client.page_views(visit_id).df)          # doctest: +SKIP
    >>> JourneyView(client.sessions_by_user(machine_idx).df)    # doctest: +SKIP

**Page views**: the path of the visit (entry → … → exit, each page with the time spent on it),
then a table of its page views: time, page, title, time on page and the visit's referrer.
**Visitor's sessions**: each session a bar on a time axis from its start to its end (its
height: the pages viewed), then the sessions table.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from bqplot import Axis, DateScale, Figure, LinearScale, Lines, Scatter
from ipydatagrid import DataGrid

from .columns import plural, prepare_column, short_url
from .table import SessionsTable
from .tree import shared_look

PATH_STEPS = 24  # pages drawn in the path before it is cut (the table lists them all)
ROWS_SHOWN = 10  # the tables grow up to this many rows, then scroll
TIME_COLUMNS = ("eventUnixTimestamp", "session_start_unix_timestamp")
ON_PAGE = ("currentVisitDuration", "duration")


def _first(df: pd.DataFrame, names: tuple[str, ...]) -> pd.Series | None:
    return next((df[n] for n in names if n in df and df[n].notna().any()), None)


def _height(rows: int) -> str:
    return f"{20 * (min(max(rows, 1), ROWS_SHOWN) + 1) + 18}px"


def page_views_frame(df: pd.DataFrame) -> pd.DataFrame:
    """One row a page view, in time order: time, page, title, time on page, referrer."""
    times = _first(df, TIME_COLUMNS)
    order = np.argsort(times.to_numpy(), kind="stable") if times is not None else np.arange(len(df))
    ordered = df.iloc[order]
    empty = pd.Series(pd.NA, index=ordered.index, dtype="string")

    def column(*names: str) -> pd.Series:
        return next((ordered[n] for n in names if n in ordered), empty)

    on_page = _first(ordered, ON_PAGE)
    spent = prepare_column(on_page)(None) if on_page is not None else np.full(len(df), "")
    referrer = column("session_referrer", "referrer")
    return pd.DataFrame(
        {
            "time": prepare_column(times)(None)[order] if times is not None else "",
            "page": short_url(column("currentPage", "entryPage"), width=60).to_numpy(),
            "title": column("currentTitle", "entry_title")
            .astype(object)
            .fillna("")
            .to_numpy(dtype=object),
            "time on page": np.where(spent == "", "—", spent),
            "referrer": short_url(referrer, width=60).to_numpy(),
        },
        index=pd.RangeIndex(1, len(df) + 1, name="#"),
    )


def path_html(views: pd.DataFrame) -> str:
    """The visit as boxes joined by arrows: entry → … → exit, each with its time on page."""
    steps = []
    last = len(views) - 1
    for i, (page, spent) in enumerate(zip(views["page"], views["time on page"], strict=True)):
        if i == PATH_STEPS and last > PATH_STEPS:
            steps.append(f"<span style='color:#666'>… {last - PATH_STEPS} more …</span>")
            i, page, spent = last, views["page"].iloc[last], views["time on page"].iloc[last]
        role = "entry" if i == 0 else "exit" if i == last else f"{i + 1}"
        role = "entry · exit" if last == 0 else role
        path = page.split("/", 1)[1] if "/" in page else ""
        steps.append(
            "<span style='display:inline-block;border:1px solid #9ecae1;border-radius:4px;"
            "padding:2px 6px;margin:2px;background:#f7fbff;font-size:11px;line-height:1.3'>"
            f"<b>{html.escape(role)}</b> /{html.escape(path)}<br>"
            f"<span style='color:#666'>{html.escape(str(spent))}</span></span>"
        )
        if i == last:
            break
    return "<div style='line-height:2'>" + " → ".join(steps) + "</div>"


class PageViewsView(widgets.VBox):
    """One visit: a line on where it came from, its path, and its page views' table."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.views = page_views_frame(df)
        referrer = next((r for r in self.views["referrer"] if r), "")
        search = _first(df, ("session_search", "search"))
        came = f" · from {html.escape(referrer)}" if referrer else " · direct (no referrer)"
        if search is not None:
            came += f" (search: <i>{html.escape(str(search.dropna().iloc[0]))}</i>)"
        times = self.views["time"]
        span = f" · {times.iloc[0]} – {times.iloc[-1]}" if len(times) else ""
        self.line = widgets.HTML(
            f"<small><b>{plural(len(df), 'page view')}</b>{span}{came}</small>",
            **shared_look(widgets.HTML),
        )
        self.path = widgets.HTML(path_html(self.views), **shared_look(widgets.HTML))
        self.table = DataGrid(
            self.views,
            base_row_header_size=32,
            column_widths={"time": 140, "page": 260, "title": 260, "time on page": 90},
            layout=widgets.Layout(height=_height(len(df))),
        )
        super().__init__([self.line, self.path, self.table])


class JourneyView(widgets.VBox):
    """One visitor: their sessions on a time axis, then the sessions table."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        start = _first(df, ("session_start_unix_timestamp", "eventUnixTimestamp"))
        end = _first(df, ("session_end_unix_timestamp", "eventUnixTimestamp"))
        pages = pd.to_numeric(df.get("pages_viewed", pd.Series(1, index=df.index)))
        pages = pages.fillna(1).to_numpy(dtype=float)
        x_scale, y_scale = DateScale(), LinearScale(min=0)
        if start is not None:
            starts = start.dt.tz_localize(None).to_numpy(dtype="datetime64[ms]")
            ends = (end if end is not None else start).dt.tz_localize(None)
            ends = ends.to_numpy(dtype="datetime64[ms]")
            ends = np.where(np.isnat(ends) | (ends < starts), starts, ends)
        else:
            starts = ends = np.array([], dtype="datetime64[ms]")
            pages = np.array([])
        order = np.argsort(starts)
        # One segment a session, from its start to its end, at the height of its pages.
        self.segments = Lines(
            x=np.column_stack([starts, ends]), y=np.column_stack([pages, pages]),
            scales={"x": x_scale, "y": y_scale}, colors=["#3182bd"], stroke_width=6,
        )  # fmt: skip
        self.points = Scatter(
            x=starts[order], y=pages[order], scales={"x": x_scale, "y": y_scale},
            colors=["#e6550d"], default_size=40,
        )  # fmt: skip
        self.path = Lines(
            x=starts[order], y=pages[order], scales={"x": x_scale, "y": y_scale},
            colors=["#bbbbbb"], line_style="dashed",
        )  # fmt: skip
        first = f"{pd.Timestamp(starts.min()):%Y-%m-%d %H:%M}" if len(starts) else ""
        last = f"{pd.Timestamp(starts.max()):%Y-%m-%d %H:%M}" if len(starts) else ""
        self.figure = Figure(
            marks=[self.path, self.segments, self.points],
            axes=[
                Axis(scale=x_scale, label="session start → end", tick_format=_time_format(starts)),
                Axis(scale=y_scale, side="left", label="pages viewed", tick_format="d"),
            ],
            title=f"The visitor's {plural(len(df), 'session')}"
            + (f", {first} → {last}" if len(starts) > 1 else ""),
            fig_margin={"top": 40, "bottom": 40, "left": 55, "right": 20},
            layout=widgets.Layout(width="100%", height="220px"),
        )
        self.figure.title_style = {"font-size": "13px"}
        self.table = SessionsTable(df, height=_height(len(df)))
        super().__init__([self.figure, self.table])


def _time_format(starts: np.ndarray) -> str:
    """Tick labels for a time axis over these instants: days, or hours and minutes."""
    known = starts[~np.isnat(starts)]
    long = len(known) and known.max() - known.min() > np.timedelta64(1, "D")
    return "%b %d" if long else "%H:%M"


def drill_view(kind: str, df: pd.DataFrame) -> Any:
    """The view of what the drill-down fetched: ``page_views`` or ``sessions_by_user``."""
    return PageViewsView(df) if kind == "page_views" else JourneyView(df)
