"""The sessions table: an ipydatagrid ``DataGrid`` of the answer's visible columns.

    >>> table = build_table(result)          # doctest: +SKIP  (or simply ``result.table``)
    >>> table.chooser.value = [*table.chooser.value, "city"]   # doctest: +SKIP  show a hidden column
    >>> table.selected                        # doctest: +SKIP  rows of result.df selected in the grid
    [12, 40]

Headers are the answer's labels (the "raw names" toggle shows the field names); the column
chooser adds or removes columns, hidden ones included; sorting and filtering are the grid's own.
Only the shown columns are sent to the browser, numbers as binary buffers, the rest as readable
text (see :mod:`ot_magic.views.columns`). Selections in the grid refer to its sorted/filtered
view; ``selected`` maps them back to positions in ``result.df``, and :meth:`select_rows` goes
the other way.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets
from bqplot.traits import array_to_json
from ipydatagrid import DataGrid, TextRenderer, VegaExpr
from ipydatagrid.datagrid import _data_deserialization_impl, _data_to_json

from ..frame import gc_paused
from .columns import (
    ONLINE,
    TABLE_HEADERS,
    Render,
    datetime_fields,
    headers,
    plural,
    prepare,
    table_columns,
    url_columns,
)

CHAR_PX = 7
MIN_COLUMN_PX, MAX_COLUMN_PX = 56, 340
# Rows a table holds at most (the first ones of df, or of the overview's filter): what a grid
# shows in a browser without stalling; result.df and result.filtered hold them all.
ROW_LIMIT = 20_000
ONLINE_COLOR, OFFLINE_COLOR = "#d94801", "#6b6b6b"


def _data_to_wire(data: dict[str, Any], widget: Any) -> dict[str, Any]:
    """ipydatagrid's own ``_data`` serialization, minus its per-value type probing of text
    columns: ours are all ``str`` (see ``columns.readable``), sent as the same plain lists."""
    if not data:
        return {}
    columns = {}
    for name, values in data["data"].items():
        array = values.to_numpy()
        # Text stays an array: ipywidgets' search for binary buffers visits every item of a
        # list in Python and skips other objects, and the comm's JSON packer makes the array
        # the same list in one step (jupyter_client's json_default: any iterable → list).
        columns[str(name)] = array if array.dtype == object else array_to_json(array)
    dated = set(getattr(widget, "datetime_columns", ()))
    schema = {
        **data["schema"],
        "fields": [
            {**f, "type": "datetime"} if f["name"] in dated else f for f in data["schema"]["fields"]
        ],
    }
    return {"data": columns, "schema": schema, "fields": _data_to_json(data["fields"], widget)}


class SessionsGrid(DataGrid):
    """A DataGrid whose text columns are sent without probing every value's type (its state
    then holds numpy arrays: pack it as a kernel does, with jupyter_client's ``json_packer``;
    a bare ``json.dumps``, as ``ipywidgets.embed`` uses, needs ``default=list``). Columns
    named in ``datetime_columns`` are typed ``datetime`` (their text sorts as time, and the
    grid's filter offers date operators)."""

    datetime_columns: tuple[str, ...] = ()

    _data = traitlets.Dict().tag(
        sync=True, to_json=_data_to_wire, from_json=_data_deserialization_impl
    )


class SessionsTable(widgets.VBox):
    """The column chooser and the raw-names toggle, the grid, and an info line."""

    selected = traitlets.List(traitlets.Int(), help="Positions in df of the selected rows.")

    def __init__(self, df: pd.DataFrame, *, height: str = "340px", **kwargs: Any) -> None:
        self.df = df
        # pandas deep-copies attrs on every operation: work on a view without them.
        self._plain = df.copy(deep=False)
        self._plain.attrs = {}
        self.labels: dict[str, str] = dict(df.attrs.get("labels") or {})
        self.rows = np.arange(min(len(df), ROW_LIMIT))  # the rows of df the grid holds
        self._prepared: dict[str, Render] = {}
        self.matching = len(df)  # the rows of df that the filter lets through
        self.chooser = widgets.TagsInput(
            value=table_columns(df) or list(df.columns),
            allowed_tags=list(df.columns),
            allow_duplicates=False,
            tooltip="columns shown (type a name to add one, hidden ones included)",
            layout=widgets.Layout(flex="1 1 auto"),
        )
        self.raw_names = widgets.ToggleButton(
            value=False, description="raw names", tooltip="head columns by field name"
        )
        self.info = widgets.HTML()
        self._number = TextRenderer(format=",d", missing="", horizontal_alignment="right")
        self._status = TextRenderer(
            text_color=VegaExpr(f"cell.value == '{ONLINE}' ? '{ONLINE_COLOR}' : '{OFFLINE_COLOR}'")
        )
        frame = self._frame(list(self.chooser.value))
        self.grid = SessionsGrid(
            frame,
            selection_mode="row",
            base_row_header_size=56,
            column_widths=_widths(frame),
            renderers=self._renderers(frame),
            layout=widgets.Layout(height=height),
        )
        self.grid.datetime_columns = self._dated
        self.grid.observe(self._on_grid_selections, "selections")
        self.chooser.observe(self._on_columns, "value")
        self.raw_names.observe(self._on_columns, "value")
        controls = widgets.HBox([self.chooser, self.raw_names])
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
        self._dated = tuple(header_of[c] for c in datetime_fields(self._plain, self._fields))
        whole = len(self.rows) == len(self.df)
        data = {
            header: self._render(name)(None if whole else self.rows)
            for name, header in zip(self._fields, self._headers, strict=True)
        }
        index = pd.Index(self.rows, name="#")
        # Text stays object: pandas would otherwise convert it to its string type, only for
        # the grid to turn it back into plain lists.
        return pd.DataFrame(
            {h: pd.Series(v, index=index, dtype=object) if v.dtype == object else v
             for h, v in data.items()},
            index=index,
        )  # fmt: skip

    def _render(self, name: str) -> Render:
        """Field ``name`` ready to show any rows (prepared on first use, then kept)."""
        if name not in self._prepared:
            is_url = bool(url_columns(self._plain, [name]))
            self._prepared[name] = prepare(self._plain, name, is_url)
        return self._prepared[name]

    def _renderers(self, frame: pd.DataFrame) -> dict[str, TextRenderer]:
        """Counts with thousands separators; the status coloured online/offline."""
        status = dict(zip(self._fields, self._headers, strict=True)).get("status")
        numbers = {h: self._number for h, v in frame.items() if v.dtype.kind == "f"}
        return {**numbers, **({status: self._status} if status else {})}

    def _on_columns(self, _change: Any = None) -> None:
        """Rebuild the grid's data for the chosen columns and headers, keeping its sorting,
        filtering (renamed to the new headers) and selection."""
        columns = [c for c in self.chooser.value if c in self.df.columns]
        field_of = dict(zip(self.headers, self._fields, strict=True))
        header_of = dict(zip(columns, self._names(columns), strict=True))
        transforms = [
            {**t, "column": header_of[field_of[t["column"]]]}
            for t in self.grid._transforms
            if field_of.get(t.get("column")) in header_of
        ]
        rows = self.selected
        frame = self._frame(columns)
        self.grid.datetime_columns = self._dated
        self.grid.renderers = self._renderers(frame)
        self.grid.data = frame
        self.grid.column_widths = _widths(frame)
        self.grid.transform(transforms)
        self.select_rows(rows)

    def show_rows(self, mask: np.ndarray | None) -> None:
        """Hold only the rows of df where ``mask`` (a boolean array over df) is true (the
        first ``ROW_LIMIT`` of them); ``None``: every row. Sorting, the grid's filters and the
        selected rows still shown are kept."""
        rows = np.arange(len(self.df)) if mask is None else np.flatnonzero(mask)
        self.matching = len(rows)
        self.rows = rows[:ROW_LIMIT]
        self._on_columns()
        self._show_info()

    # --- selection --------------------------------------------------------------------------

    def _view_rows(self) -> list[int]:
        """For each row of the grid's sorted/filtered view, its position in df."""
        visible = [v for v in self.grid._visible_rows if 0 <= v < len(self.rows)]
        return self.rows[visible].tolist() if visible else self.rows.tolist()

    def _on_grid_selections(self, _change: Any = None) -> None:
        view = self._view_rows()
        rows = (
            view[r]
            for rect in self.grid.selections
            for r in range(max(rect["r1"], 0), min(rect["r2"] + 1, len(view)))
        )
        self.selected = list(dict.fromkeys(rows))
        self._show_info()

    def select_rows(self, rows: Iterable[int]) -> None:
        """Select these rows of df in the grid (the ones its filters hide stay unselected)."""
        where = {row: i for i, row in enumerate(self._view_rows())}
        wanted = {int(r) for r in rows}
        positions = sorted(where[r] for r in wanted if r in where)
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
        if len(self.rows) < matching:
            text += f" · showing the first {len(self.rows):,} (result.filtered has them all)"
        return text


def _widths(frame: pd.DataFrame, sample: int = 200) -> dict[str, int]:
    """Pixels for each column of the grid's frame: its header or most of its first values."""
    widths = {}
    for header, values in frame.head(sample).items():
        lengths = [len(str(v)) for v in values.tolist()] or [0]
        longest = max(len(str(header)), int(np.percentile(lengths, 90)))
        widths[header] = int(np.clip(longest * CHAR_PX + 16, MIN_COLUMN_PX, MAX_COLUMN_PX))
    return widths


def _link(url: str) -> str:
    safe = html.escape(url, quote=True)
    if url.startswith(("http://", "https://")):
        return f'<a href="{safe}" target="_blank" rel="noopener noreferrer">{safe}</a>'
    return safe


def build_table(result: Any, **kwargs: Any) -> SessionsTable:
    """The table of ``result`` (a :class:`~ot_magic.result.SessionsResult` or a DataFrame)."""
    df = result if isinstance(result, pd.DataFrame) else result.df
    with gc_paused():  # many new objects, all kept: the collector would only walk the heap
        return SessionsTable(df, **kwargs)
