"""The static version of a result: plain HTML and an inline SVG map, for where widgets never run.

A result's mimebundle carries this as ``text/html`` beside its widget view; in IPython it is an
output of its own under the widgets (``SessionsResult._ipython_display_`` says why), hidden by
its own CSS where the live view rendered. So a notebook read without a live kernel or a widget
manager — nbconvert's HTML, GitHub, nbviewer, VS Code without widgets — still shows what the
run found::

    >>> from ot_magic.views.static import static_html
    >>> page = static_html(result)     # doctest: +SKIP  summary, first rows, the map as SVG
    >>> "<svg" in page                  # doctest: +SKIP
    True

It is light on purpose (a few tens of KB at most): the summary line, the first
``STATIC_ROWS`` rows of the columns the table shows (the same readable values, escaped), and the
map drawn as SVG: the packaged country outlines (``views.basemap.outline_path``) in Web
Mercator, cropped to the places, and each place a circle sized and coloured as on the live map
(``views.map``), at most ``STATIC_PLACES`` of them.

Other views add their own static parts (e.g. a chart as SVG) with :func:`add_section`, when
their module is imported (this module imports none of them)::

    >>> @add_section                                       # doctest: +SKIP
    ... def overview_svg(result) -> str: ...
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .basemap import mercator_y, outline_path
from .columns import display_frame, headers, shown_columns
from .map import OFFLINE_COLOR, ONLINE_COLOR, RADII, group_places

if TYPE_CHECKING:
    import pandas as pd

    from ..result import SessionsResult

STATIC_ROWS = 10
STATIC_PLACES = 2000
MAP_SIZE = (600, 300)  # pixels of the SVG map
MAX_LATITUDE = 80.0  # the static map's Mercator stops here (the poles grow without end)
MIN_SPAN = 0.05  # a view never narrower than this fraction of the world (no street-level crop)
STEP_PX = 3.0  # outline points closer than this to the last one kept are left out
WATER, LAND, BORDER = "#dde6ee", "#f4f1ea", "#8c8c8c"
# Attributes, not CSS: GitHub and other sanitizers drop <style>.
PLACE_STYLE = 'fill-opacity=".8" stroke="#fff" stroke-width="1"'

LIVE_CLASS = "ot-results"  # the DOM class of a result's live view
# Shown unless the live view rendered in the same output area (JupyterLab, Notebook 7 and Voila
# draw outputs in .jp-OutputArea, as nbconvert's HTML does): the static copy then hides itself.
HIDE_WHEN_LIVE = f".jp-OutputArea:has(.{LIVE_CLASS}) .ot-static{{display:none}}"

Section = Callable[["SessionsResult"], str]
SECTIONS: list[Section] = []
"""Static parts other views add under the map, in order (see :func:`add_section`)."""


def add_section(section: Section) -> Section:
    """Show ``section(result)`` (an HTML or SVG string, ``""`` for nothing) in every static
    display, under the map; usable as a decorator. Added once, however often called."""
    if section not in SECTIONS:
        SECTIONS.append(section)
    return section


def static_html(result: SessionsResult, rows: int = STATIC_ROWS) -> str:
    """The whole static display: summary, the first ``rows`` rows, the map, added sections."""
    df = result.df
    parts = [f"<p><b>{html.escape(result.summary())}</b></p>"]
    if len(df):
        parts.append(table_html(df, rows))
        parts.append(map_svg(df))
    parts.extend(part for section in SECTIONS if (part := section(result)))
    return f'<div class="ot-static"><style>{HIDE_WHEN_LIVE}</style>{"".join(parts)}</div>'


# ---------------------------------------------------------------- the table


def table_html(df: pd.DataFrame, rows: int = STATIC_ROWS) -> str:
    """The first ``rows`` rows of the columns the table shows, under the table's headers, with
    its readable values (dates, durations, short addresses), every value escaped."""
    columns = shown_columns(df) or list(df.columns)
    names = headers(columns, dict(df.attrs.get("labels") or {}))
    head = df.head(rows).copy(deep=False)
    head.attrs = {}
    frame = display_frame(head, columns, names)
    header = "".join(f"<th>{html.escape(str(name))}</th>" for name in ["#", *names])
    body = "".join(
        f"<tr><th>{position}</th>"
        + "".join(f"<td>{html.escape(_cell(value))}</td>" for value in values)
        + "</tr>"
        for position, values in zip(frame.index, frame.itertuples(index=False), strict=True)
    )
    shown = f"the first {len(frame)} of {len(df):,} rows" if len(df) > len(frame) else "all rows"
    return (
        f'<table class="ot-static-table"><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
        f"<p><small>{shown} · the live table and map need a running kernel</small></p>"
    )


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:g}"
    return str(value)


# ---------------------------------------------------------------- the map


def _y(lat: np.ndarray) -> np.ndarray:
    return mercator_y(lat, MAX_LATITUDE)


def _view(lat: np.ndarray, lon: np.ndarray, size: tuple[int, int]) -> tuple[float, float, float]:
    """``(left, top, scale)``: the corner of the view in world fractions and pixels a world
    width, framing every place with a margin, at the SVG's aspect ratio."""
    width, height = size
    top_y, bottom_y = _y(np.array([MAX_LATITUDE, -MAX_LATITUDE]))
    if len(lat):
        xs, ys = (lon + 180.0) / 360.0, _y(lat)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    else:
        x0, x1, y0, y1 = 0.0, 1.0, top_y, bottom_y
    span_x = max(x1 - x0, MIN_SPAN) * 1.15
    span_y = max(y1 - y0, MIN_SPAN * height / width) * 1.15
    scale = min(width / span_x, height / span_y, width)  # never more than the whole world
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - width / scale / 2, cy - height / scale / 2, scale


def map_svg(df: pd.DataFrame, size: tuple[int, int] = MAP_SIZE) -> str:
    """The places of ``df`` as circles on the country outlines, an SVG ``size`` pixels big;
    the largest ``STATIC_PLACES`` places when there are more."""
    width, height = size
    places = group_places(df)
    keep = np.argsort(-places.pages, kind="stable")[:STATIC_PLACES]
    left, top, scale = _view(places.lat[keep], places.lon[keep], size)
    x = np.rint(((places.lon + 180.0) / 360.0 - left) * scale).astype(np.int64)
    y = np.rint((_y(places.lat) - top) * scale).astype(np.int64)
    size_class = places.size_class
    groups = []
    for online in (False, True):  # online on top, as on the live map
        color = ONLINE_COLOR if online else OFFLINE_COLOR
        for cls in reversed(range(len(RADII))):  # small ones over big ones
            chosen = keep[(places.online[keep] == online) & (size_class[keep] == cls)]
            if not len(chosen):
                continue
            r = RADII[cls]
            circles = "".join(f'<circle cx="{x[p]}" cy="{y[p]}" r="{r}"/>' for p in chosen)
            groups.append(f'<g class="ot-places" fill="{color}" {PLACE_STYLE}>{circles}</g>')
    located = int((places.place_of_row >= 0).sum())
    drawn = len(keep)
    more = f" (the {drawn:,} with most pages drawn)" if drawn < len(places) else ""
    caption = f"{located:,} sessions at {len(places):,} places{more}"
    return (
        f'<svg class="ot-static-map" xmlns="http://www.w3.org/2000/svg" width="{width}"'
        f' height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{html.escape(caption)}</title>"
        f'<rect width="{width}" height="{height}" fill="{WATER}"/>'
        f'<path d="{outline_path(left, top, scale, size, STEP_PX, MAX_LATITUDE)}"'
        f' fill="{LAND}" stroke="{BORDER}"'
        f' stroke-width=".5" stroke-linejoin="round"/>{"".join(groups)}</svg>'
        f"<p><small>{html.escape(caption)} · "
        f'<span style="color:{ONLINE_COLOR}">●</span> online '
        f'<span style="color:{OFFLINE_COLOR}">●</span> offline</small></p>'
    )
