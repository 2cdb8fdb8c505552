"""The sessions table: an ipydatagrid ``DataGrid`` of the answer's visible columns.

    >>> table = build_table(result)          # doctest: +SKIP  (or simply ``result.table``)
    >>> table.chooser.value = [*table.chooser.value, "city"]   # doctest: +SKIP  show a hidden column
    >>> table.selected                        # doctest: +SKIP  rows of result.df selected in the grid
    [12, 40]

Headers are the answer's labels (the "raw names" toggle shows the field names); the column
chooser adds or removes columns, hidden ones included. The grid streams: it holds every row of
``result.df`` (or of the overview's filter) kernel-side, made readable (see
:mod:`ot_magic.views.columns`; datetimes as numbers the browser formats), and sends the browser only the rows in view, fetched as the
user scrolls; sorting and filtering from the column headers run kernel-side too. Selections in
the grid refer to its sorted/filtered view; ``selected`` maps them back to positions in
``result.df``, and :meth:`select_rows` goes the other way.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets
from ipydatagrid import TextRenderer, VegaExpr

from ..frame import gc_paused
from .columns import (
    ONLINE,
    TABLE_HEADERS,
    datetime_fields,
    headers,
    plural,
    prepare,
    table_columns,
    url_columns,
    wall_clock_ms,
)
from .gridcompat import StreamingGrid
from .tree import shared_look

if TYPE_CHECKING:
    from ..result import SessionsResult

CHAR_PX = 7
MIN_COLUMN_PX, MAX_COLUMN_PX = 56, 340
ONLINE_COLOR, OFFLINE_COLOR = "#d94801", "#6b6b6b"
# Datetimes travel as numbers (the wall-clock time's milliseconds: they sort as time, in the
# kernel, at no cost) and read as the answer's own time, whatever the browser's zone.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
WALL_CLOCK = f"isNaN(cell.value) ? ' ' : utcFormat(cell.value, '{DATETIME_FORMAT}')"
DATETIME_CHARS = 19
# How long the browser waits for scrolling to pause before it asks for the rows in view
# (ipydatagrid's default: 160 ms).
SCROLL_DEBOUNCE_MS = 50


class SessionsTable(widgets.VBox):
    """The column chooser and the raw-names toggle, the grid, and an info line."""

    selected = traitlets.List(traitlets.Int(), help="Positions in df of the selected rows.")

    def __init__(self, df: pd.DataFrame, *, height: str = "340px", **kwargs: Any) -> None:
        self.df = df
        # pandas deep-copies attrs on every operation: work on a view without them.
        self._plain = df.copy(deep=False)
        self._plain.attrs = {}
        self.labels: dict[str, str] = dict(df.attrs.get("labels") or {})
        self.rows = np.arange(len(df))  # the rows of df the grid holds (the overview's filter)
        self._texts: dict[str, np.ndarray] = {}
        self.matching = len(df)  # the rows of df that the filter lets through
        self.chooser = widgets.TagsInput(
            value=table_columns(df) or list(df.columns),
            allowed_tags=list(df.columns),
            allow_duplicates=False,
            tooltip="columns shown (type a name to add one, hidden ones included)",
            **shared_look(widgets.TagsInput, flex="1 1 auto"),
        )
        self.raw_names = widgets.ToggleButton(
            value=False,
            description="raw names",
            tooltip="head columns by field name",
            **shared_look(widgets.ToggleButton),
        )
        self.info = widgets.HTML(**shared_look(widgets.HTML))
        self._number = TextRenderer(format=",d", missing="", horizontal_alignment="right")
        self._status = TextRenderer(
            text_color=VegaExpr(f"cell.value == '{ONLINE}' ? '{ONLINE_COLOR}' : '{OFFLINE_COLOR}'")
        )
        self._clock = TextRenderer(text_value=VegaExpr(WALL_CLOCK))
        frame = self._frame(list(self.chooser.value))
        self.grid = StreamingGrid(
            frame,
            selection_mode="row",
            base_row_header_size=56,
            debounce_delay=SCROLL_DEBOUNCE_MS,
            column_widths=_widths(frame, self._dated),
            renderers=self._renderers(frame),
            layout=widgets.Layout(height=height),
        )
        self.grid.observe(self._on_grid_selections, "selections")
        self.chooser.observe(self._on_columns, "value")
        self.raw_names.observe(self._on_columns, "value")
        controls = widgets.HBox([self.chooser, self.raw_names], **shared_look(widgets.HBox))
        super().__init__([controls, self.grid, self.info], **kwargs)
        self._show_info()

    # --- columns ----------------------------------------------------------------------------

    @property
    def columns(self) -> list[str]:
        """The field names of the shown columns, in order."""
        return list(self._fields)

    @property
    def headers(self) -> list[str]:
        """The grid's column headers, in order."""
        return list(self._headers)

    def _names(self, columns: Sequence[str]) -> list[str]:
        return headers(columns, {**self.labels, **TABLE_HEADERS}, raw=self.raw_names.value)

    def _frame(self, columns: Sequence[str]) -> pd.DataFrame:
        """The grid's data for these columns and rows (remembered as the shown ones)."""
        self._fields, self._headers = list(columns), self._names(columns)
        header_of = dict(zip(self._fields, self._headers, strict=True))
        self._dated = [header_of[c] for c in datetime_fields(self._plain, self._fields)]
        whole = len(self.rows) == len(self.df)
        index = pd.RangeIndex(len(self.df), name="#") if whole else pd.Index(self.rows, name="#")
        data = {
            header: self._values(name) if whole else self._values(name)[self.rows]
            for name, header in zip(self._fields, self._headers, strict=True)
        }
        # Text stays object (pandas would otherwise convert it to its string type, row by row)
        # and no column is copied (nor stacked with the others of its type).
        return pd.DataFrame(
            {h: pd.Series(v, index=index, dtype=object, copy=False) if v.dtype == object
             else pd.Series(v, index=index, copy=False) for h, v in data.items()},
            index=index,
            copy=False,
        )  # fmt: skip

    def _values(self, name: str) -> np.ndarray:
        """Field ``name`` of every row of df, as shown (made on first use, then kept: the
        overview's filter then only picks rows)."""
        if name not in self._texts:
            if datetime_fields(self._plain, [name]):
                self._texts[name] = wall_clock_ms(self._plain, name)
            else:
                is_url = bool(url_columns(self._plain, [name]))
                self._texts[name] = prepare(self._plain, name, is_url)(None)
        return self._texts[name]

    def _renderers(self, frame: pd.DataFrame) -> dict[str, TextRenderer]:
        """Counts with thousands separators; datetimes as the answer's time; the status
        coloured online/offline."""
        status = dict(zip(self._fields, self._headers, strict=True)).get("status")
        numbers = {h: self._number for h, v in frame.items() if v.dtype.kind == "f"}
        dated = dict.fromkeys(self._dated, self._clock)
        return {**numbers, **dated, **({status: self._status} if status else {})}

    def _on_columns(self, _change: Any = None) -> None:
        """Rebuild the grid's data for the chosen columns and headers, keeping its sorting,
        filtering (renamed to the new headers) and selection."""
        columns = [c for c in self.chooser.value if c in self.df.columns]
        field_of = dict(zip(self.headers, self._fields, strict=True))
        header_of = dict(zip(columns, self._names(columns), strict=True))
        transforms = [
            {**t, "column": header_of[field_of[t["column"]]]}
            for t in self.grid.transforms
            if field_of.get(t.get("column")) in header_of
        ]
        rows = self.selected
        frame = self._frame(columns)
        self.grid.renderers = self._renderers(frame)
        self.grid.data = frame
        self.grid.column_widths = _widths(frame, self._dated)
        self.grid.restream(transforms)
        self.select_rows(rows)

    def show_rows(self, mask: np.ndarray | None) -> None:
        """Hold only the rows of df where ``mask`` (a boolean array over df) is true; ``None``:
        every row. Sorting, the grid's filters and the selected rows still shown are kept."""
        self.rows = np.arange(len(self.df)) if mask is None else np.flatnonzero(mask)
        self.matching = len(self.rows)
        self._on_columns()
        self._show_info()

    # --- selection --------------------------------------------------------------------------

    def _view_rows(self) -> np.ndarray:
        """For each row of the grid's sorted/filtered view, its position in df."""
        return self.grid.view_index()

    def _on_grid_selections(self, _change: Any = None) -> None:
        view = self._view_rows()
        picked = [view[max(rect["r1"], 0) : rect["r2"] + 1] for rect in self.grid.selections]
        rows = np.concatenate(picked).tolist() if picked else []
        self.selected = list(dict.fromkeys(rows))
        self._show_info()

    def select_rows(self, rows: Iterable[int]) -> None:
        """Select these rows of df in the grid (the ones its filters hide stay unselected)."""
        wanted = np.unique(np.fromiter((int(r) for r in rows), dtype=np.int64))
        positions = np.flatnonzero(np.isin(self._view_rows(), wanted)).tolist()
        last = max(len(self._headers) - 1, 0)
        rects: list[dict[str, int]] = []
        for p in positions:
            if rects and rects[-1]["r2"] == p - 1:
                rects[-1]["r2"] = p
            else:
                rects.append({"r1": p, "c1": 0, "r2": p, "c2": last})
        self.grid.selections = rects
        if len(positions) < len(wanted):
            self._show_info(hidden=len(wanted) - len(positions))

    def _show_info(self, hidden: int = 0) -> None:
        """The info line: the selected row's full addresses (and how many rows asked for by
        :meth:`select_rows` the grid's filters hide)."""
        rows = self.selected
        note = f" · {hidden} more hidden by the table's filters" if hidden else ""
        if not rows and hidden:
            self.info.value = (
                f"<small>the {plural(hidden, 'session')} picked "
                f"{'is' if hidden == 1 else 'are'} hidden by the table's filters</small>"
            )
            return
        if not rows:
            self.info.value = (
                f"<small>{self._counts()} · select a row to see its full "
                "addresses · sort and filter from the column headers</small>"
            )
            return
        row = self._plain.iloc[rows[0]]
        more = f" (and {len(rows) - 1} more selected)" if len(rows) > 1 else ""
        parts = [f"<b>row {rows[0]}</b>{more}"]
        for name in url_columns(self._plain, self.columns):
            if isinstance(row[name], str) and row[name]:
                parts.append(f"{html.escape(self.labels.get(name, name))}: {_link(row[name])}")
        self.info.value = "<small>" + " · ".join(parts) + note + "</small>"

    def _counts(self) -> str:
        """``200 sessions``, ``1,204 of 20,000 sessions (the overview's filter)``, or how many
        the grid holds when there are more."""
        total, matching = len(self.df), self.matching
        text = (
            plural(total, "session")
            if matching == total
            else (f"{matching:,} of {plural(total, 'session')} (the overview's filter)")
        )
        return text


def _widths(frame: pd.DataFrame, dated: Sequence[str] = (), sample: int = 200) -> dict[str, int]:
    """Pixels for each column of the grid's frame: its header or most of its first values
    (``dated``: the columns shown as datetimes)."""
    widths = {}
    for header, values in frame.head(sample).items():
        lengths = [DATETIME_CHARS] if header in dated else [len(str(v)) for v in values.tolist()]
        lengths = lengths or [0]
        longest = max(len(str(header)), int(np.percentile(lengths, 90)))
        widths[header] = int(np.clip(longest * CHAR_PX + 16, MIN_COLUMN_PX, MAX_COLUMN_PX))
    return widths


def _link(url: str) -> str:
    safe = html.escape(url, quote=True)
    if url.startswith(("http://", "https://")):
        return f'<a href="{safe}" target="_blank" rel="noopener noreferrer">{safe}</a>'
    return safe


def build_table(result: SessionsResult | pd.DataFrame, **kwargs: Any) -> SessionsTable:
    """The table of ``result`` (a :class:`~ot_magic.result.SessionsResult` or a DataFrame)."""
    df = result if isinstance(result, pd.DataFrame) else result.df
    with gc_paused():  # many new objects, all kept: the collector would only walk the heap
        return SessionsTable(df, **kwargs)
