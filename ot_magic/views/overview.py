"""The overview of a result: a chart per facet of its sessions, linked as a crossfilter.

    >>> ov = build_overview(result)            # doctest: +SKIP  (or ``result.overview``)
    >>> ov.select("country", ["US"])           # doctest: +SKIP  what clicking the US bar does
    >>> ov.expression                          # doctest: +SKIP
    'df[df.country_code.eq("US")]'
    >>> ov.filtered                            # doctest: +SKIP  the sessions that pass

Sessions over time (a bar an hour, or a day for longer ranges, in the request's zone; brush it
to keep a span), countries, referrers (search engines marked), search terms, entry pages,
browsers, platforms, new or returning visitors, and durations (single-page visits as their own
bar). Clicking a bar keeps its sessions (ctrl-click adds bars); every other chart, the table and
the map then show those sessions only; each filter is a chip that removes it, and the line under
the chips is the pandas expression that gives the same rows (:attr:`Overview.expression`).

Drawn with **bqplot**: it comes with ipydatagrid (a dependency already), ships its JavaScript in
its own JupyterLab extension (nothing is fetched from a CDN, so it renders offline), and its bars
report clicks (``Bars.selected``) and its ``BrushIntervalSelector`` a brushed span to the kernel,
which is all a crossfilter needs; plotly's ``FigureWidget`` would add a large dependency, and
Altair/Vega views draw in the browser from the data itself (state growing with the sessions).

Counting is kernel-side (:mod:`ot_magic.views.crossfilter`): the widgets hold a few bars a chart,
so their state does not grow with the number of sessions.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets
from bqplot import Axis, Bars, DateScale, Figure, LinearScale, OrdinalScale
from bqplot.interacts import BrushIntervalSelector

from ..frame import gc_paused
from .columns import plural
from .crossfilter import Crossfilter, Facet
from .tree import shared, shared_look

if TYPE_CHECKING:
    from ..result import SessionsResult

BAR_COLOR, CHOSEN_COLOR = "#3182bd", "#e6550d"
CHART_HEIGHT, TIME_HEIGHT = "230px", "210px"
COUNT_TICKS = 3  # steps of a count axis
LABEL_CHARS = 26  # a category axis' labels are cut to this many characters


class Overview(widgets.VBox):
    """The charts, the filter chips and the filter's pandas expression of one frame."""

    expression = traitlets.Unicode("df", help="The pandas expression giving the filtered frame.")

    def __init__(
        self, df: pd.DataFrame, charts: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        self.df = df
        plain = df.copy(deep=False)  # pandas deep-copies attrs on every operation
        plain.attrs = {}
        plain.attrs["time_zone"] = df.attrs.get("time_zone")
        self.crossfilter = Crossfilter(plain, charts)
        self._quiet = False
        self._chips: dict[str | None, widgets.Button] = {}
        self.bars: dict[str, Bars] = {}
        self.brush: BrushIntervalSelector | None = None
        counts = self.crossfilter.all_counts()
        figures = {
            name: self._figure(facet, counts[name])
            for name, facet in self.crossfilter.facets.items()
        }
        self.chips = widgets.HBox(**shared_look(widgets.HBox, flex_flow="row wrap"))
        self.line = widgets.HTML(**shared_look(widgets.HTML))
        time = figures.pop("time", None)
        grid = widgets.GridBox(
            list(figures.values()),
            **shared_look(
                widgets.GridBox,
                grid_template_columns=f"repeat({max(1, min(3, len(figures)))}, minmax(0, 1fr))",
                width="100%",
            ),
        )
        super().__init__([self.chips, self.line, *([time] if time else []), grid], **kwargs)
        self._describe()

    # --- charts -----------------------------------------------------------------------------

    def _figure(self, facet: Facet, counts: np.ndarray) -> Figure:
        style = {"selected_style": {"fill": CHOSEN_COLOR}, "unselected_style": {"opacity": 0.55}}
        if facet.kind == "time":
            x_scale, y_scale = DateScale(), LinearScale(min=0)
            starts = facet.extra["starts"]
            bars = Bars(
                x=starts, y=counts, scales={"x": x_scale, "y": y_scale}, colors=[BAR_COLOR],
                padding=0.1, **style,
            )  # fmt: skip
            self.brush = BrushIntervalSelector(scale=x_scale, marks=[bars], color=CHOSEN_COLOR)
            self.brush.observe(self._on_brush, "brushing")
            axes = [
                Axis(
                    scale=x_scale,
                    grid_lines="none",
                    tick_format="%H:%M" if facet.bin_ms < 86_400_000 else "%b %d",
                ),
                Axis(scale=y_scale, side="left", tick_format=",d", grid_lines="dashed"),
            ]
            figure = Figure(
                marks=[bars], axes=axes, interaction=self.brush, title=facet.title,
                fig_margin={"top": 40, "bottom": 30, "left": 60, "right": 20},
                layout=shared(widgets.Layout, width="100%", height=TIME_HEIGHT), **_frame(),
            )  # fmt: skip
        else:  # categories and duration bins: horizontal bars, the first bar on top
            x_scale, y_scale = OrdinalScale(reverse=True), LinearScale(min=0)
            labels = _unique([_cut(facet.labels[c]) for c in facet.shown])
            bars = Bars(
                x=labels, y=counts, scales={"x": x_scale, "y": y_scale}, colors=[BAR_COLOR],
                orientation="horizontal", interactions={"click": "select"}, label_display=True,
                label_display_format=",d", label_font_style={"font-size": "10px"}, **style,
            )  # fmt: skip
            bars.observe(self._on_bars(facet.name), "selected")
            axes = [
                Axis(scale=x_scale, side="left", tick_style={"font-size": "10px"}),
                Axis(
                    scale=y_scale,
                    side="bottom",
                    tick_format=",d",
                    num_ticks=COUNT_TICKS + 1,
                ),
            ]
            left = 8 + 6 * max((len(label) for label in labels), default=4)
            figure = Figure(
                marks=[bars], axes=axes, title=facet.title,
                fig_margin={"top": 40, "bottom": 30, "left": min(left, 170), "right": 30},
                layout=shared(widgets.Layout, width="100%", height=CHART_HEIGHT), **_frame(),
            )  # fmt: skip
        _fit(y_scale, counts)
        figure.title_style = {"font-size": "13px"}
        self.bars[facet.name] = bars
        return figure

    def _on_bars(self, name: str) -> Callable[[dict], None]:
        def changed(change: dict) -> None:
            if self._quiet:
                return
            shown = self.crossfilter.facets[name].shown
            picked = [] if change["new"] is None else [int(i) for i in change["new"]]
            self.crossfilter.choose(name, [shown[i] for i in picked if 0 <= i < len(shown)])
            self._refresh()

        return changed

    def _on_brush(self, change: dict) -> None:
        if self._quiet or change["new"] or self.brush is None:
            return  # act once the brush is released
        span = self.brush.selected
        if span is None or len(span) < 2:
            self.crossfilter.clear("time")
        else:
            self.crossfilter.select_range("time", span[0], span[-1])
        self._refresh()

    # --- filters ----------------------------------------------------------------------------

    @property
    def facets(self) -> dict[str, Facet]:
        return self.crossfilter.facets

    @property
    def mask(self) -> np.ndarray:
        """Which sessions of ``df`` pass the filter."""
        return self.crossfilter.mask

    @property
    def rows(self) -> np.ndarray:
        """Positions in ``df`` of the sessions that pass the filter."""
        return self.crossfilter.rows

    @property
    def filtered(self) -> pd.DataFrame:
        """The sessions that pass the filter (``df`` itself when there is none)."""
        rows = self.crossfilter.rows
        return self.df if len(rows) == len(self.df) else self.df.iloc[rows]

    def select(self, name: str, values: Iterable[Any]) -> None:
        """Keep the sessions of these values (or bar labels) of chart ``name``, as clicking
        its bars does (an empty list removes the chart's filter)."""
        values = list(values)
        if values:
            self.crossfilter.select(name, values)
        else:
            self.crossfilter.clear(name)
        self._refresh()

    def select_range(self, start: Any, end: Any) -> None:
        """Keep the sessions that started from ``start`` to ``end``, as brushing does."""
        self.crossfilter.select_range("time", start, end)
        self._refresh()

    def clear(self, name: str | None = None) -> None:
        """Remove chart ``name``'s filter (``None``: every filter), as its chip's × does."""
        self.crossfilter.clear(name)
        self._refresh()

    def _refresh(self) -> None:
        """Counts, highlighted bars, chips and expression from the crossfilter's state."""
        with gc_paused():  # the table and map rebuilt for the filter make many objects
            self._update()

    def _update(self) -> None:
        cf = self.crossfilter
        counts = cf.all_counts()
        self._quiet = True
        try:
            for name, bars in self.bars.items():
                facet = cf.facets[name]
                position = {int(c): i for i, c in enumerate(facet.shown)}
                picked = [position[c] for c in cf.chosen.get(name, []) if c in position]
                with bars.hold_sync():
                    bars.y = counts[name]
                    bars.selected = picked or None
                _fit(bars.scales["y"], counts[name])
            if (
                "time" not in cf.chosen
                and self.brush is not None
                and self.brush.selected is not None
            ):
                self.brush.selected = None
        finally:
            self._quiet = False
        self._describe()

    def _describe(self) -> None:
        """Chips, the line under them and :attr:`expression` from the crossfilter's state."""
        cf = self.crossfilter
        self.chips.children = [self._chip(name) for name in cf.chosen] + (
            [self._chip(None)] if len(cf.chosen) > 1 else []
        )
        passing = int(np.count_nonzero(cf.mask)) if cf.chosen else len(self.df)
        self.line.value = (
            f"<small><b>{plural(passing, 'session')}</b> of {len(self.df):,} · "
            f"<code>{html.escape(cf.expression, quote=False)}</code></small>"
            if cf.chosen
            else f"<small><b>{plural(len(self.df), 'session')}</b> · click a bar to filter the "
            "table, the map and the other charts (ctrl-click adds bars) · brush the time "
            "chart to keep a span</small>"
        )
        self.expression = cf.expression

    def _chip(self, name: str | None) -> widgets.Button:
        """The chip removing chart ``name``'s filter (``None``: every filter), made once."""
        chip = self._chips.get(name)
        if chip is None:
            chip = widgets.Button(
                tooltip="remove this filter" if name else "remove every filter",
                icon="" if name else "times",
                layout=shared(widgets.Layout, width="auto", max_width="420px"),
                style=shared(widgets.ButtonStyle, button_color="#fde0c5" if name else "#eeeeee"),
            )
            chip.on_click(lambda _: self.clear(name))
            self._chips[name] = chip
        chip.description = (self.crossfilter.describe(name) + "  ×") if name else "clear all"
        return chip


def _frame() -> dict[str, LinearScale]:
    """A figure's own scales (bqplot's default, 0 to 1, that its interactions draw on), one
    scale for every chart: a pair of each figure's own was two models more in a notebook."""
    scale = shared(LinearScale, min=0.0, max=1.0, allow_padding=False)
    return {"scale_x": scale, "scale_y": scale}


def _fit(scale: LinearScale, counts: np.ndarray) -> None:
    """A count axis from 0 to a round number a little over the longest bar (room for its
    label), so that its ticks fall on whole numbers."""
    top = max(int(counts.max(initial=0)), 1) * 1.15 / COUNT_TICKS
    power = 10 ** np.floor(np.log10(top))
    step = next(m * power for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= top)
    scale.max = float(np.ceil(step) * COUNT_TICKS)


def _unique(labels: list[str]) -> list[str]:
    """Labels made distinct (an ordinal axis would draw two equal labels' bars as one)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def build_overview(
    result: SessionsResult | pd.DataFrame, charts: Iterable[str] | None = None, **kwargs: Any
) -> Overview:
    """The overview of ``result`` (a :class:`~ot_magic.result.SessionsResult` or a DataFrame);
    ``charts``: some of ``time``, ``country``, ``referrer``, ``search``, ``entry``,
    ``browser``, ``platform``, ``visitors``, ``duration`` (default: all), e.g.
    ``build_overview(visits, charts=["search"])``."""
    df = result if isinstance(result, pd.DataFrame) else result.df
    return Overview(df, charts, **kwargs)
